import { SerialPort } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import {
  decodePadMessage,
  EppFrameParser,
  type EppPadMessage,
  encodeCommand,
} from '../../../devices/pin-pad/epp/codec/index.js';
import { decryptPinBlock } from '../../../simulators/epp/crypto/index.js';
import { ManualClock } from '../../../simulators/harness/manual-clock.js';
import { openPtyPair } from '../../../simulators/harness/pty-pair.js';
import { attachToSerialPath } from '../../../simulators/harness/serial-endpoint.js';
import { createSimulatorHost } from '../../../simulators/registry.js';
import { silentLogger } from '../../../src/log.js';
import { requireTool } from '../../helpers/require-tool.js';

/** 10 bits a byte at 9600 8N1. */
const BYTE_MS = 10 / 9.6;
const TDES_BDK = Buffer.from('0123456789ABCDEFFEDCBA9876543210', 'hex');
const PIN_ENTRY = {
  kind: 'startPinEntry',
  minLength: 4,
  maxLength: 12,
  timeoutMs: 30_000,
  autoEnd: false,
} as const;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function listen(host: ReturnType<typeof createSimulatorHost>, clock: ManualClock) {
  const parser = new EppFrameParser();
  const got: Array<{ at: number; message: EppPadMessage }> = [];
  host.onToHost((bytes) => {
    for (const item of parser.push(bytes)) {
      if (item.kind === 'frame') got.push({ at: clock.now(), message: decodePadMessage(item.frame) });
    }
  });
  return got;
}

describe('epp simulator behind the SimulatorHost', () => {
  it('is found by kind; a reply takes wire time in, the answer delay, and wire time out', () => {
    const clock = new ManualClock(1000);
    const host = createSimulatorHost('epp', { clock, seed: 1 });
    cleanups.push(() => host.close());
    const got = listen(host, clock);
    const command = encodeCommand({ kind: 'getStatus' });
    host.fromHost(command);
    clock.advanceBy(200);
    expect(got.map((g) => g.message)).toEqual([
      {
        kind: 'status',
        state: 'idle',
        keyScheme: 'dukptTdes',
        pinReady: false,
        model: 'EPP-SIM',
        serial: '0001',
        firmware: '1.0.0',
      },
    ]);
    // 8 bytes in, 15 ms (realistic) to answer, the 54-byte status frame out.
    expect(got[0]!.at - 1000).toBeCloseTo(command.length * BYTE_MS + 15 + 54 * BYTE_MS, 6);
  });

  it("presses keys like a finger, 150 ms apart; each event reaches the host a frame's wire time later", () => {
    const clock = new ManualClock(0);
    const host = createSimulatorHost('epp', { clock, seed: 1 });
    cleanups.push(() => host.close());
    const got = listen(host, clock);
    host.fromHost(encodeCommand(PIN_ENTRY));
    clock.advanceBy(100);
    const pressedAt = clock.now();
    host.control({ action: 'keys.press', keys: '2468E' });
    clock.advanceBy(1000);
    const keys = got.filter((g) => g.message.kind === 'pinKey');
    expect(keys.map((g) => g.message)).toEqual([
      ...Array(4).fill({ kind: 'pinKey', key: 'digit' }),
      { kind: 'pinKey', key: 'enter' },
    ]);
    // A key event frame is 10 bytes: STX, 8 hex digits, ETX.
    for (const [i, g] of keys.entries()) expect(g.at - pressedAt).toBeCloseTo(i * 150 + 10 * BYTE_MS, 6);
    expect(got.at(-1)!.message).toEqual({ kind: 'pinEntryEnded', completion: 'enter', digits: 4 });
  });

  it('loses what is sent while the cable is out; the pad itself runs on', () => {
    const clock = new ManualClock(0);
    const host = createSimulatorHost('epp', { clock, seed: 1 });
    cleanups.push(() => host.close());
    const got = listen(host, clock);
    host.fromHost(encodeCommand(PIN_ENTRY));
    clock.advanceBy(100);
    host.control({ action: 'cable.unplug' });
    host.control({ action: 'keys.press', keys: '12' });
    clock.advanceBy(1000);
    expect(got.map((g) => g.message.kind)).toEqual(['done']);
    expect(host.control({ action: 'state' })).toMatchObject({ entry: 'pinEntry', digits: 2 });
    host.control({ action: 'cable.plug' });
    host.control({ action: 'keys.press', keys: '3' });
    clock.advanceBy(1000);
    expect(got.map((g) => g.message.kind)).toEqual(['done', 'pinKey']);
  });
});

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const start = performance.now();
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (performance.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('epp simulator over a real pty', () => {
  it('takes a PIN typed on the control channel and returns a block the HSM opens to it', async () => {
    requireTool('socat');
    const pair = await openPtyPair();
    cleanups.push(() => pair.close());
    const host = createSimulatorHost('epp', { seed: 1, model: { timingPreset: 'fast' } });
    cleanups.push(() => host.close());
    const endpoint = await attachToSerialPath(host, pair.devicePath, silentLogger());
    cleanups.push(() => endpoint.close());
    const port = new SerialPort({ path: pair.hostPath, baudRate: 9600, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
    cleanups.push(
      () => new Promise<void>((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve())),
    );
    const parser = new EppFrameParser();
    const got: EppPadMessage[] = [];
    port.on('data', (chunk: Buffer) => {
      for (const item of parser.push(new Uint8Array(chunk))) {
        if (item.kind === 'frame') got.push(decodePadMessage(item.frame));
      }
    });

    port.write(Buffer.from(encodeCommand(PIN_ENTRY)));
    await until('the entry to start', () => (got.some((m) => m.kind === 'done') ? true : undefined));
    host.control({ action: 'keys.press', keys: '246810E' });
    await until('the end of the entry', () => got.find((m) => m.kind === 'pinEntryEnded'));
    port.write(Buffer.from(encodeCommand({ kind: 'getPinBlock', format: 'iso0', account: '13800138000' })));
    const block = await until('the PIN block', () => got.find((m) => m.kind === 'pinBlock'));
    expect(got.filter((m) => m.kind === 'pinKey')).toHaveLength(7);
    expect(
      decryptPinBlock({
        bdk: TDES_BDK,
        format: 'iso0',
        pinBlock: block.pinBlock,
        ksn: block.ksn,
        account: '13800138000',
      }),
    ).toEqual({ ok: true, pin: '246810' });
  });
});
