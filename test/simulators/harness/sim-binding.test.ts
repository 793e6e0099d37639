import { SerialPortStream } from '@serialport/stream';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, isKioskError } from '../../../core/errors.js';
import { EchoModel } from '../../../simulators/echo/echo-model.js';
import { SimulatorBinding, type SimulatorPort } from '../../../simulators/harness/sim-binding.js';
import { SimulatorHost } from '../../../simulators/harness/simulator-host.js';
import { SimulatorRegistry } from '../../../simulators/harness/simulator-registry.js';

const hosts: SimulatorHost[] = [];
const streams: SerialPortStream[] = [];

afterEach(async () => {
  for (const stream of streams.splice(0)) {
    if (stream.isOpen) await new Promise<void>((resolve) => stream.close(() => resolve()));
  }
  for (const host of hosts.splice(0)) host.close();
});

function setup(model = new EchoModel({ answerDelayMs: 1 }), options: { inputBufferBytes?: number } = {}) {
  const host = new SimulatorHost(model, { seed: 1, wireTime: false });
  hosts.push(host);
  const registry = new SimulatorRegistry();
  registry.register('echo', host);
  const binding = new SimulatorBinding(registry, options);
  return { host, registry, binding };
}

function stream(binding: SimulatorBinding, options: Partial<{ baudRate: number; parity: string }> = {}) {
  const s = new SerialPortStream({
    binding,
    path: 'sim:echo',
    baudRate: options.baudRate ?? 9600,
    ...(options.parity ? { parity: options.parity } : {}),
    autoOpen: false,
  });
  streams.push(s);
  return s;
}

function open(s: SerialPortStream): Promise<void> {
  return new Promise((resolve, reject) => s.open((error) => (error ? reject(error) : resolve())));
}

function collect(s: SerialPortStream, bytes: number, timeoutMs = 2000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const timer = setTimeout(() => reject(new Error(`got only ${total} of ${bytes} bytes`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      total += chunk.length;
      if (total >= bytes) {
        clearTimeout(timer);
        s.off('data', onData);
        resolve(Buffer.concat(chunks));
      }
    };
    s.on('data', onData);
  });
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('SimulatorBinding through SerialPortStream', () => {
  it('carries bytes both ways', async () => {
    const { binding, host } = setup();
    const s = stream(binding);
    await open(s);
    const echoed = collect(s, 5);
    s.write(Buffer.from('hello'));
    expect((await echoed).toString()).toBe('hello');
    expect(host.snapshot().model).toMatchObject({ bytesIn: 5, bytesOut: 5 });
  });

  it('works with the demo usage: even parity against a matching device', async () => {
    const { binding } = setup(new EchoModel({ parity: 'even', answerDelayMs: 0 }));
    const s = stream(binding, { parity: 'even' });
    await open(s);
    const echoed = collect(s, 3);
    s.write(Buffer.from([0xfc, 0x05, 0x11]));
    expect([...(await echoed)]).toEqual([0xfc, 0x05, 0x11]);
  });

  it('closes the stream with a disconnected error on unplug, refuses to open while unplugged, opens after replug', async () => {
    const { binding, host } = setup();
    const s = stream(binding);
    await open(s);
    s.resume(); // a pending read, as in any reading driver
    const closed = new Promise<unknown>((resolve) => s.once('close', resolve));
    host.control({ action: 'cable.unplug' });
    const error = (await closed) as { disconnected?: boolean } | null;
    expect(error?.disconnected).toBe(true);
    expect(s.isOpen).toBe(false);

    const again = stream(binding);
    const openError = await rejection(open(again));
    expect(isKioskError(openError, ErrorCode.SimUnplugged)).toBe(true);

    host.control({ action: 'cable.plug' });
    await open(again);
    const echoed = collect(again, 2);
    again.write(Buffer.from('ok'));
    expect((await echoed).toString()).toBe('ok');
  });

  it('disconnects a port that is not reading on its next write', async () => {
    const { binding, host } = setup();
    const s = stream(binding);
    await open(s);
    host.control({ action: 'cable.unplug' });
    const closed = new Promise<unknown>((resolve) => s.once('close', resolve));
    s.on('error', () => {});
    s.write(Buffer.from('x'));
    expect(((await closed) as { disconnected?: boolean } | null)?.disconnected).toBe(true);
  });

  it('garbles every byte both ways, deterministically, when the line settings differ from the device', async () => {
    const model = new EchoModel({ parity: 'even', answerDelayMs: 0 });
    const deviceGot: number[] = [];
    const receive = model.receive.bind(model);
    model.receive = (bytes, now) => {
      deviceGot.push(...bytes);
      receive(bytes, now);
    };
    const { binding, host } = setup(model);
    const deviceSent: number[] = [];
    host.onToHost((bytes) => deviceSent.push(...bytes));
    const sent = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const run = async (baudRate: number, parity?: string) => {
      deviceGot.length = 0;
      deviceSent.length = 0;
      const s = stream(binding, { baudRate, ...(parity ? { parity } : {}) });
      await open(s);
      const received = collect(s, sent.length);
      s.write(sent);
      const hostGot = [...(await received)];
      await new Promise<void>((resolve) => s.close(() => resolve()));
      return { device: [...deviceGot], host: hostGot, echoed: [...deviceSent] };
    };
    const noParity = await run(9600);
    expect(noParity.device).toHaveLength(256);
    for (let i = 0; i < 256; i++) {
      expect(noParity.device[i]).not.toBe(i);
      expect(noParity.host[i]).not.toBe(noParity.echoed[i]);
    }
    expect(await run(9600)).toEqual(noParity);
    const wrongBaud = await run(19200, 'even');
    for (let i = 0; i < 256; i++) expect(wrongBaud.device[i]).not.toBe(i);
    expect(wrongBaud.device).not.toEqual(noParity.device);
    const matching = await run(9600, 'even');
    expect(matching.device).toEqual([...sent]);
    expect(matching.host).toEqual([...sent]);
  });

  it('ungarbles after update() to the device baud rate', async () => {
    const { binding } = setup(new EchoModel({ answerDelayMs: 0 }));
    const s = stream(binding, { baudRate: 115200 });
    await open(s);
    const garbled = collect(s, 3);
    s.write(Buffer.from('abc'));
    expect((await garbled).toString()).not.toBe('abc');
    await new Promise<void>((resolve, reject) =>
      s.update({ baudRate: 9600 }, (e) => (e ? reject(e) : resolve())),
    );
    const clean = collect(s, 3);
    s.write(Buffer.from('abc'));
    expect((await clean).toString()).toBe('abc');
  });
});

describe('SimulatorBinding ports', () => {
  const openPort = (binding: SimulatorBinding) =>
    binding.open({ path: 'sim:echo', baudRate: 9600 }) as Promise<SimulatorPort>;

  it('rejects unknown devices, bad paths and bad options', async () => {
    const { binding } = setup();
    const unknown = await rejection(binding.open({ path: 'sim:nothing', baudRate: 9600 }));
    expect(isKioskError(unknown, ErrorCode.SimUnknownDevice)).toBe(true);
    expect((unknown as Error).message).toContain('echo');
    expect(
      isKioskError(
        await rejection(binding.open({ path: '/dev/ttyS0', baudRate: 9600 })),
        ErrorCode.SimUnknownDevice,
      ),
    ).toBe(true);
    const badBaud = await rejection(binding.open({ path: 'sim:echo', baudRate: -1 }));
    expect(isKioskError(badBaud, ErrorCode.SimBadPortOptions)).toBe(true);
    expect((badBaud as Error).message).toContain('baudRate');
    const badBits = await rejection(binding.open({ path: 'sim:echo', baudRate: 9600, dataBits: 9 as 8 }));
    expect((badBits as Error).message).toContain('dataBits');
    // None of that left the device claimed.
    const port = await openPort(binding);
    await port.close();
  });

  it('allows one open port per device, like a locked tty', async () => {
    const { binding } = setup();
    const first = await openPort(binding);
    expect(isKioskError(await rejection(openPort(binding)), ErrorCode.SimPortBusy)).toBe(true);
    await first.close();
    const second = await openPort(binding);
    expect(second.isOpen).toBe(true);
    await second.close();
  });

  it('cancels pending reads on close and refuses I/O afterwards', async () => {
    const { binding } = setup();
    const port = await openPort(binding);
    const pending = rejection(port.read(Buffer.alloc(10), 0, 10));
    await port.close();
    const error = (await pending) as { canceled?: boolean };
    expect(error.canceled).toBe(true);
    expect(isKioskError(error, ErrorCode.SimPortClosed)).toBe(true);
    expect(port.isOpen).toBe(false);
    expect(((await rejection(port.write(Buffer.from('x')))) as { canceled?: boolean }).canceled).toBe(true);
  });

  it('bounds the receive buffer, dropping the oldest bytes, and flush discards input', async () => {
    const { binding, host } = setup(new EchoModel({ answerDelayMs: 0 }), { inputBufferBytes: 8 });
    const port = await openPort(binding);
    host.fromHost(Uint8Array.from([1, 2, 3, 4, 5, 6]));
    host.fromHost(Uint8Array.from([7, 8, 9, 10, 11, 12]));
    expect(port.bufferedBytes).toBe(8);
    expect(port.droppedBytes).toBe(4);
    const buffer = Buffer.alloc(16);
    const { bytesRead } = await port.read(buffer, 2, 5);
    expect([...buffer.subarray(2, 2 + bytesRead)]).toEqual([5, 6, 7, 8, 9]);
    await port.flush();
    expect(port.bufferedBytes).toBe(0);
    host.fromHost(Uint8Array.from([42]));
    const next = await port.read(buffer, 0, 16);
    expect(next.bytesRead).toBe(1);
    expect(buffer[0]).toBe(42);
    await port.close();
  });

  it('reports baud rate, modem lines and accepts control flags', async () => {
    const { binding } = setup();
    const port = await openPort(binding);
    expect(await port.getBaudRate()).toEqual({ baudRate: 9600 });
    expect(await port.get()).toEqual({ cts: true, dsr: true, dcd: true });
    await port.set({ dtr: false, rts: true });
    expect(
      isKioskError(
        await rejection(port.set({ dtr: 'on' as unknown as boolean })),
        ErrorCode.SimBadPortOptions,
      ),
    ).toBe(true);
    expect(isKioskError(await rejection(port.update({ baudRate: 0 })), ErrorCode.SimBadPortOptions)).toBe(
      true,
    );
    expect(await port.getBaudRate()).toEqual({ baudRate: 9600 });
    await port.drain();
    await port.close();
  });

  it('lists registered devices as sim: paths', async () => {
    const { binding } = setup();
    expect(await binding.list()).toEqual([
      expect.objectContaining({ path: 'sim:echo', manufacturer: 'kioskd simulator' }),
    ]);
  });
});
