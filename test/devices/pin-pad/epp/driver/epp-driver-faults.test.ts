import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../../../core/errors.js';
import { decryptPinBlock } from '../../../../../simulators/epp/crypto/index.js';
import { createLogger } from '../../../../../src/log.js';
import {
  closeRigsAfterEach,
  online,
  PAD_VARIANTS,
  startPadRig,
  TDES_BDK,
  waitUntil,
} from './epp-driver-rig.js';

const ACCOUNT = '13800138000';
const SIX = { minLength: 6, maxLength: 6, timeoutMs: 10_000, autoEnd: false };

describe.each(PAD_VARIANTS)('EPP driver faults (%s)', (variant) => {
  const rigs = closeRigsAfterEach();

  it('passes on key events that come between and during replies, and every command still gets its answer', async () => {
    const rig = await startPadRig({ variant, config: { statusPollIntervalMs: 50 } });
    rigs.push(rig);
    await online(rig);
    const entry = rig.pad.pinEntry({ minLength: 4, maxLength: 12, timeoutMs: 10_000, autoEnd: false });
    // Twelve presses 5 ms apart while the host beeps and polls as fast as the line goes.
    await rig.press('123456789012', 5);
    const beeps: Promise<void>[] = [];
    for (let i = 0; i < 12; i++) beeps.push(rig.pad.beep(1));
    await Promise.all(beeps);
    await waitUntil('twelve digits', () => rig.pinKeys.length === 12);
    await rig.press('E');
    expect(await entry).toEqual({ digits: 12, completion: 'enter' });
    expect(rig.pinKeys).toEqual([...Array(12).fill('digit'), 'enter']);
    const counters = (await rig.pad.diagnostics()).counters;
    expect(counters['failures']).toBe(0);
    expect(counters['unsolicited']).toBe(14);
    const block = await rig.pad.getPinBlock({ format: 'iso0', account: ACCOUNT });
    expect(decryptPinBlock({ bdk: TDES_BDK, account: ACCOUNT, ...block })).toEqual({
      ok: true,
      pin: '123456789012',
    });
  });

  it('fails the entry when the cable is pulled mid-entry; back online the pad holds nothing and no entry resumes', async () => {
    const rig = await startPadRig({ variant });
    rigs.push(rig);
    await online(rig);
    const entry = rig.pad.pinEntry(SIX).catch((error: unknown) => error);
    await rig.press('123');
    await waitUntil('three digits', () => rig.pinKeys.length === 3);
    await rig.unplug();
    expect(await entry).toMatchObject({ code: ErrorCode.DeviceOffline });
    await waitUntil('offline', () => rig.pad.status.state === 'offline');
    expect(rig.pad.status).toMatchObject({ entry: 'idle', pinReady: false });
    await expect(rig.pad.getPinBlock({ format: 'iso0', account: ACCOUNT })).rejects.toMatchObject({
      code: ErrorCode.DeviceOffline,
    });
    // The customer goes on typing into the unplugged pad; none of it reaches anyone.
    rig.control({ action: 'keys.press', keys: '456E' });
    await rig.plug();
    await waitUntil('online again', () => rig.pad.status.state === 'online', 8_000);
    await waitUntil('the pad reset', () => rig.control({ action: 'state' })['entry'] === 'idle');
    expect(rig.control({ action: 'state' })).toMatchObject({ entry: 'idle', pinReady: false, digits: 0 });
    expect(rig.pad.status).toEqual({ state: 'online', entry: 'idle', pinReady: false });
    await expect(rig.pad.getPinBlock({ format: 'iso0', account: ACCOUNT })).rejects.toMatchObject({
      code: ErrorCode.DeviceNoPin,
    });
    // A fresh entry works.
    const again = rig.pad.pinEntry(SIX);
    await rig.press('654321E');
    expect(await again).toEqual({ digits: 6, completion: 'enter' });
  });

  it('fails the entry when the pad falls silent (power cut) and holds nothing once it answers again', async () => {
    const rig = await startPadRig({ variant });
    rigs.push(rig);
    await online(rig);
    const entry = rig.pad.pinEntry(SIX).catch((error: unknown) => error);
    await rig.press('246810');
    await waitUntil('six digits', () => rig.pinKeys.length === 6);
    rig.control({ action: 'power.off' });
    expect(await entry).toMatchObject({ code: ErrorCode.DeviceOffline });
    await waitUntil('offline', () => rig.pad.status.state === 'offline');
    expect(rig.pad.status.pinReady).toBe(false);
    rig.control({ action: 'power.on' });
    await waitUntil('online again', () => rig.pad.status.state === 'online', 8_000);
    expect(rig.control({ action: 'state' })).toMatchObject({ entry: 'idle', pinReady: false });
  });

  it('fails an entry whose end event the line lost, and resets the pad so it holds no PIN the host missed', async () => {
    const rig = await startPadRig({ variant });
    rigs.push(rig);
    await online(rig);
    const entry = rig.pad.pinEntry(SIX);
    const failed = entry.then(
      () => undefined,
      (error: unknown) => error,
    );
    await rig.press('246810');
    await waitUntil('six digits', () => rig.pinKeys.length === 6);
    rig.control({ action: 'line.set', dropRate: 1 });
    await rig.press('E');
    await waitUntil('the pad holding the PIN', () => rig.control({ action: 'state' })['pinReady'] === true);
    await new Promise((resolve) => setTimeout(resolve, 30));
    rig.control({ action: 'line.set', dropRate: 0 });
    expect(await failed).toMatchObject({ code: ErrorCode.DeviceProtocol, details: { entry: 'pin' } });
    await waitUntil('the pad reset', () => rig.control({ action: 'state' })['pinReady'] === false);
    expect(rig.pad.status).toMatchObject({ state: 'online', entry: 'idle', pinReady: false });
    expect((await rig.pad.diagnostics()).counters['lostEntryEnds']).toBe(1);
  });

  it('surfaces an exhausted DUKPT counter as DeviceDukptOverflow and a hardware error, never a block', async () => {
    // The last TDES counter with at most 10 one-bits already used but one: one block left.
    const rig = await startPadRig({ variant, model: { initialCounter: 0x1ff400 } });
    rigs.push(rig);
    await online(rig);
    const blocks: Uint8Array[] = [];
    let overflow: unknown;
    for (let i = 0; i < 4 && overflow === undefined; i++) {
      const entry = rig.pad.pinEntry(SIX);
      await rig.press('246810E');
      await entry;
      try {
        blocks.push((await rig.pad.getPinBlock({ format: 'iso0', account: ACCOUNT })).ksn);
      } catch (error) {
        overflow = error;
      }
    }
    expect(overflow).toMatchObject({
      code: ErrorCode.DeviceDukptOverflow,
      details: { padError: 'dukptOverflow' },
    });
    expect(blocks).toHaveLength(1);
    expect(rig.pad.status).toMatchObject({
      state: 'hardwareError',
      action: 'maintenance',
      reason: 'dukptOverflow',
    });
    // A further PIN entry is refused before the customer types for nothing.
    await expect(rig.pad.pinEntry(SIX)).rejects.toMatchObject({ code: ErrorCode.DeviceDukptOverflow });
    // Data entry needs no key and still works.
    const data = rig.pad.dataEntry({ minLength: 1, maxLength: 3, timeoutMs: 5_000, autoEnd: true });
    await rig.press('123');
    expect(await data).toEqual({ value: '123', completion: 'auto' });
  });

  it('reports a pad without a key and refuses a PIN entry on it (DeviceNoKey)', async () => {
    const rig = await startPadRig({ variant, model: { keyScheme: 'none' } });
    rigs.push(rig);
    await rig.pad.start();
    await waitUntil('status read', () => rig.pad.status.state !== 'starting');
    expect(rig.pad.status).toMatchObject({ state: 'hardwareError', reason: 'noKey' });
    await expect(rig.pad.pinEntry(SIX)).rejects.toMatchObject({ code: ErrorCode.DeviceNoKey });
  });

  it('reports tamper: the running entry ends, the pad refuses with DeviceTampered, status fraudAttempt', async () => {
    const rig = await startPadRig({ variant });
    rigs.push(rig);
    await online(rig);
    const entry = rig.pad.pinEntry(SIX);
    await rig.press('12');
    await waitUntil('two digits', () => rig.pinKeys.length === 2);
    rig.control({ action: 'tamper' });
    expect(await entry).toEqual({ digits: 2, completion: 'cancel' });
    await expect(rig.pad.beep()).rejects.toMatchObject({ code: ErrorCode.DeviceTampered });
    expect(rig.pad.status).toMatchObject({
      state: 'fraudAttempt',
      action: 'maintenance',
      reason: 'tampered',
    });
    await expect(rig.pad.pinEntry(SIX)).rejects.toMatchObject({ code: ErrorCode.DeviceTampered });
    // After a power cycle the pad refuses the driver's reset too: it is tampered, not silent.
    rig.control({ action: 'power.off' });
    await waitUntil('offline', () => rig.pad.status.state === 'offline');
    rig.control({ action: 'power.on' });
    await waitUntil('answering again', () => rig.pad.status.state !== 'offline', 8_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(rig.pad.status).toMatchObject({ state: 'fraudAttempt', reason: 'tampered' });
  });

  it('follows a raw-key pad (ZT588 style): counts the bare key bytes itself and ends the entry by the pad’s rules', async () => {
    const rig = await startPadRig({
      variant,
      model: { keyEvents: 'rawBytes' },
      config: { rawKeyBytes: { digit: '2A', backspace: '08', clear: '18', enter: '0D', cancel: '1B' } },
    });
    rigs.push(rig);
    await online(rig);
    const entry = rig.pad.pinEntry({ minLength: 4, maxLength: 6, timeoutMs: 5_000, autoEnd: false });
    // Enter below min refused; the seventh and eighth digits refused; a backspace; then enter.
    await rig.press('12E3456789B0E');
    expect(await entry).toEqual({ digits: 6, completion: 'enter' });
    expect(rig.pad.status.pinReady).toBe(true);
    const block = await rig.pad.getPinBlock({ format: 'iso0', account: ACCOUNT });
    expect(decryptPinBlock({ bdk: TDES_BDK, account: ACCOUNT, ...block })).toEqual({
      ok: true,
      pin: '123450',
    });

    const cancelled = rig.pad.pinEntry(SIX);
    await rig.press('12C');
    expect(await cancelled).toEqual({ digits: 2, completion: 'cancel' });
    const timedOut = rig.pad.pinEntry({ ...SIX, timeoutMs: 200 });
    expect(await timedOut).toEqual({ digits: 0, completion: 'timeout' });
  });

  it('never logs the PIN, the PIN block or the KSN, even at trace level with the byte trace asked for', async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const rig = await startPadRig({
      variant,
      logger: createLogger({ level: 'trace', destination }),
      byteTrace: true,
    });
    rigs.push(rig);
    await online(rig);
    const entry = rig.pad.pinEntry(SIX);
    await rig.press('975318E');
    await entry;
    const block = await rig.pad.getPinBlock({ format: 'iso0', account: ACCOUNT });
    await rig.pad.stop();
    const log = lines.join('');
    expect(log).toContain('PIN block received');
    expect(log).toContain('byte trace stays off for the PIN pad');
    for (const secret of [
      Buffer.from(block.pinBlock).toString('hex'),
      Buffer.from(block.ksn).toString('hex'),
      '975318',
    ]) {
      expect(log.toLowerCase()).not.toContain(secret.toLowerCase());
    }
    expect(log).not.toMatch(/9\W*7\W*5\W*3\W*1\W*8/);
  });
});
