import { SerialPort } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, isKioskError } from '../../../core/errors.js';
import { EchoModel } from '../../../simulators/echo/echo-model.js';
import { openPtyPair } from '../../../simulators/harness/pty-pair.js';
import { attachToSerialPath } from '../../../simulators/harness/serial-endpoint.js';
import { SimulatorHost } from '../../../simulators/harness/simulator-host.js';
import { silentLogger } from '../../../src/log.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function openHostSide(path: string): Promise<SerialPort> {
  const port = new SerialPort({ path, baudRate: 9600, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        if (port.isOpen) port.close(() => resolve());
        else resolve();
      }),
  );
  return port;
}

function collect(port: SerialPort, bytes: number, timeoutMs = 3000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const timer = setTimeout(() => {
      port.off('data', onData);
      reject(new Error(`got only ${total} of ${bytes} bytes`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      total += chunk.length;
      if (total >= bytes) {
        clearTimeout(timer);
        port.off('data', onData);
        resolve(Buffer.concat(chunks));
      }
    };
    port.on('data', onData);
  });
}

async function rig() {
  const pair = await openPtyPair();
  cleanups.push(() => pair.close());
  const host = new SimulatorHost(new EchoModel(), { seed: 1 });
  cleanups.push(() => host.close());
  const endpoint = await attachToSerialPath(host, pair.devicePath, silentLogger());
  cleanups.push(() => endpoint.close());
  const port = await openHostSide(pair.hostPath);
  return { pair, host, endpoint, port };
}

describe('attachToSerialPath over a socat pty pair', () => {
  it('serves the device on the pty: bytes both ways, paced at wire time', async () => {
    const { port, host } = await rig();
    const started = performance.now();
    const echoed = collect(port, 6);
    port.write(Buffer.from([0xfc, 0x06, 0x13, 0x63, 0xa2, 0xd8]));
    expect([...(await echoed)]).toEqual([0xfc, 0x06, 0x13, 0x63, 0xa2, 0xd8]);
    // 6 bytes in and out at 9600 8N1 plus 2 ms answer delay: 14.5 ms at the very least.
    expect(performance.now() - started).toBeGreaterThanOrEqual(14);
    expect(host.snapshot().model).toMatchObject({ bytesIn: 6, bytesOut: 6 });
  });

  it('loses bytes while the simulated cable is out, and carries them again once it is back', async () => {
    const { port, host } = await rig();
    host.control({ action: 'cable.unplug' });
    const nothing = collect(port, 1, 300);
    port.write(Buffer.from('lost'));
    await expect(nothing).rejects.toThrow(/got only 0/);
    host.control({ action: 'cable.plug' });
    const echoed = collect(port, 4);
    port.write(Buffer.from('back'));
    expect((await echoed).toString()).toBe('back');
  });

  it('claims the device: a second attach is refused, and close releases it', async () => {
    const { pair, host, endpoint } = await rig();
    const busy = await attachToSerialPath(host, pair.devicePath, silentLogger()).catch((e: unknown) => e);
    expect(isKioskError(busy, ErrorCode.SimPortBusy)).toBe(true);
    await endpoint.close();
    await endpoint.close();
    const again = await attachToSerialPath(host, pair.devicePath, silentLogger());
    await again.close();
  });

  it('survives the pty going away under it and still closes cleanly', async () => {
    const { pair, host, endpoint, port } = await rig();
    port.resume(); // only a pending read notices the hangup
    const hostSideClosed = new Promise<void>((resolve, reject) => {
      port.once('close', () => resolve());
      setTimeout(() => reject(new Error('host end did not notice socat dying within 10 s')), 10_000);
    });
    // Let the read reach the pty first: a read started after the hangup sees end-of-file, not an error.
    await new Promise((resolve) => setTimeout(resolve, 100));
    pair.kill();
    await hostSideClosed;
    // The device keeps running; its output has nowhere to go and is discarded.
    host.fromHost(Uint8Array.of(1, 2, 3));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(host.snapshot().model).toMatchObject({ bytesIn: 3, bytesOut: 3 });
    await endpoint.close();
  });

  it('rejects a path it cannot open and leaves the device free', async () => {
    const host = new SimulatorHost(new EchoModel(), { seed: 1 });
    cleanups.push(() => host.close());
    const error = await attachToSerialPath(host, '/nonexistent/ttyX', silentLogger()).catch(
      (e: unknown) => e,
    );
    expect(isKioskError(error, ErrorCode.SimBadPortOptions)).toBe(true);
    expect((error as Error).message).toContain('/nonexistent/ttyX');
    host.attach('next owner')();
  });
});
