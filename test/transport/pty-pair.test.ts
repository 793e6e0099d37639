import { lstat, mkdtemp, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { autoDetect } from '@serialport/bindings-cpp';
import { SerialPortStream } from '@serialport/stream';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, isKioskError } from '../../core/errors.js';
import { hangupAwareBinding } from '../../core/hangup-aware-binding.js';
import { openPtyPair, type PtyPair } from '../../simulators/harness/pty-pair.js';
import { requireTool } from '../helpers/require-tool.js';

const binding = hangupAwareBinding(autoDetect());
const pairs: PtyPair[] = [];
const ports: SerialPortStream[] = [];

beforeAll(() => requireTool('socat'));

afterEach(async () => {
  for (const port of ports.splice(0)) {
    if (port.isOpen) await new Promise((resolve) => port.close(resolve));
  }
  for (const pair of pairs.splice(0)) await pair.close();
});

async function open(): Promise<PtyPair> {
  const pair = await openPtyPair();
  pairs.push(pair);
  return pair;
}

async function openPort(path: string): Promise<SerialPortStream> {
  const port = new SerialPortStream({ binding, path, baudRate: 9600, autoOpen: false });
  port.on('error', () => undefined);
  ports.push(port);
  await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
  return port;
}

function received(port: SerialPortStream, count: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const timer = setTimeout(
      () => reject(new Error(`got ${Buffer.concat(chunks).length} of ${count} bytes`)),
      2_000,
    );
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      if (Buffer.concat(chunks).length >= count) {
        clearTimeout(timer);
        port.off('data', onData);
        resolve(Buffer.concat(chunks));
      }
    };
    port.on('data', onData);
  });
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}

describe('openPtyPair', () => {
  it('links two ptys that pass raw bytes both ways unchanged', async () => {
    const pair = await open();
    expect(await readlink(pair.hostPath)).toMatch(/^\/dev\/pts\/\d+$/);
    expect(await readlink(pair.devicePath)).toMatch(/^\/dev\/pts\/\d+$/);
    const host = await openPort(pair.hostPath);
    const device = await openPort(pair.devicePath);
    // Bytes a cooked tty would eat or translate: CR, LF, ^C, ^D, XON/XOFF, 0xFF.
    const frame = Buffer.from([0xfc, 0x0d, 0x0a, 0x03, 0x04, 0x11, 0x13, 0xff, 0x00]);
    const atDevice = received(device, frame.length);
    host.write(frame);
    expect([...(await atDevice)]).toEqual([...frame]);
    const atHost = received(host, 2);
    device.write(Buffer.from([0x50, 0xaa]));
    expect([...(await atHost)]).toEqual([0x50, 0xaa]);
  });

  it('kill() pulls the cable and restart() brings the same paths back', async () => {
    const pair = await open();
    const host = await openPort(pair.hostPath);
    // The daemon reads through the hangup-aware binding: a read pending or started after the
    // hangup both notice it.
    host.resume();
    const closed = new Promise<unknown>((resolve, reject) => {
      host.once('close', resolve);
      // Generous: this checks that the hangup is noticed at all, not how fast (a loaded CI
      // machine once took just over 2 s to run the poll that reports it).
      setTimeout(() => reject(new Error('host end did not notice socat dying within 10 s')), 10_000);
    });
    pair.kill();
    const error = (await closed) as { disconnected?: boolean } | null;
    expect(error?.disconnected).toBe(true);

    await pair.restart();
    const again = await openPort(pair.hostPath);
    const device = await openPort(pair.devicePath);
    const atDevice = received(device, 3);
    again.write(Buffer.from([1, 2, 3]));
    expect([...(await atDevice)]).toEqual([1, 2, 3]);
  });

  it('close() stops socat and removes the links and its own directory', async () => {
    const pair = await open();
    const dir = join(pair.hostPath, '..');
    await pair.close();
    await pair.close();
    expect(await exists(pair.hostPath)).toBe(false);
    expect(await exists(dir)).toBe(false);
    await expect(pair.restart()).rejects.toSatisfy((e: unknown) => isKioskError(e, ErrorCode.SimPtyFailed));
  });

  it('uses a given directory and leaves it in place', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kioskd-pty-test-'));
    try {
      const pair = await openPtyPair({ dir });
      expect(pair.hostPath).toBe(join(dir, 'host'));
      expect(pair.devicePath).toBe(join(dir, 'device'));
      await pair.close();
      expect(await exists(dir)).toBe(true);
      expect(await exists(pair.devicePath)).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('fails with SimToolMissing naming socat when socat is not on PATH', async () => {
    const path = process.env['PATH'];
    process.env['PATH'] = '/nonexistent';
    try {
      const error = await openPtyPair().catch((e: unknown) => e);
      expect(isKioskError(error, ErrorCode.SimToolMissing)).toBe(true);
      expect((error as Error).message).toBe('missing tool: socat (apt-get install socat)');
    } finally {
      process.env['PATH'] = path;
    }
  });
});
