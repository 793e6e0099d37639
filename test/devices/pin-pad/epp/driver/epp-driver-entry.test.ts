import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../../../core/errors.js';
import { decryptPinBlock } from '../../../../../simulators/epp/crypto/index.js';
import {
  AES_BDK,
  closeRigsAfterEach,
  online,
  PAD_VARIANTS,
  startPadRig,
  TDES_BDK,
  waitUntil,
} from './epp-driver-rig.js';

const ACCOUNT = '13800138000';
const SIX = { minLength: 6, maxLength: 6, timeoutMs: 5_000, autoEnd: false };

describe.each(PAD_VARIANTS)('EPP driver ↔ pad simulator (%s)', (variant) => {
  const rigs = closeRigsAfterEach();

  it('comes online with the pad’s identity and status', async () => {
    const rig = await startPadRig({ variant });
    rigs.push(rig);
    await online(rig);
    expect(rig.pad.status).toEqual({ state: 'online', entry: 'idle', pinReady: false });
    expect(await rig.pad.readIdentity()).toEqual({
      model: 'EPP-SIM',
      firmware: '1.0.0',
      serialNumber: '0001',
    });
    const diagnostics = await rig.pad.diagnostics();
    expect(diagnostics.transport).toBe('online');
    expect(diagnostics.counters['polls']).toBeGreaterThan(0);
  });

  it('takes a PIN with backspace and clear, masked key by key, and its format 0 block opens to that PIN', async () => {
    const rig = await startPadRig({ variant });
    rigs.push(rig);
    await online(rig);
    const entry = rig.pad.pinEntry({ minLength: 4, maxLength: 12, timeoutMs: 5_000, autoEnd: false });
    await rig.press('99X123B46810E');
    const result = await entry;
    // 99, clear, 123, backspace: 12; then 46810: 1246810.
    expect(result).toEqual({ digits: 7, completion: 'enter' });
    expect(rig.pinKeys).toEqual([
      'digit',
      'digit',
      'clear',
      'digit',
      'digit',
      'digit',
      'backspace',
      'digit',
      'digit',
      'digit',
      'digit',
      'digit',
      'enter',
    ]);
    expect(rig.pad.status).toMatchObject({ entry: 'idle', pinReady: true });
    const block = await rig.pad.getPinBlock({ format: 'iso0', account: ACCOUNT });
    expect(block.pinBlock).toHaveLength(8);
    expect(block.ksn).toHaveLength(10);
    expect(decryptPinBlock({ bdk: TDES_BDK, account: ACCOUNT, ...block })).toEqual({
      ok: true,
      pin: '1246810',
    });
    expect(rig.pad.status.pinReady).toBe(false);
    // One block per entry: the pad forgot the PIN.
    await expect(rig.pad.getPinBlock({ format: 'iso0', account: ACCOUNT })).rejects.toMatchObject({
      code: ErrorCode.DeviceNoPin,
    });
  });

  it('makes a format 4 block under DUKPT AES that opens to the PIN, and refuses format 0 with that key', async () => {
    const rig = await startPadRig({ variant, model: { keyScheme: 'dukptAes128' } });
    rigs.push(rig);
    await online(rig);
    const entry = rig.pad.pinEntry({ ...SIX, autoEnd: true });
    await rig.press('246810');
    expect(await entry).toEqual({ digits: 6, completion: 'auto' });
    await expect(rig.pad.getPinBlock({ format: 'iso0', account: ACCOUNT })).rejects.toMatchObject({
      code: ErrorCode.DeviceNoKey,
      details: { padError: 'formatNotSupported' },
    });
    const block = await rig.pad.getPinBlock({ format: 'iso4', account: ACCOUNT });
    expect(block.pinBlock).toHaveLength(16);
    expect(block.ksn).toHaveLength(12);
    expect(decryptPinBlock({ bdk: AES_BDK, account: ACCOUNT, ...block })).toEqual({
      ok: true,
      pin: '246810',
    });
  });

  it('refuses enter below minLength and digits past maxLength, as the pad does', async () => {
    const rig = await startPadRig({ variant });
    rigs.push(rig);
    await online(rig);
    const entry = rig.pad.pinEntry({ minLength: 4, maxLength: 5, timeoutMs: 5_000, autoEnd: false });
    await rig.press('12E34567E');
    expect(await entry).toEqual({ digits: 5, completion: 'enter' });
    // The refused enter and the refused sixth and seventh digits send no key event.
    expect(rig.pinKeys).toEqual(['digit', 'digit', 'digit', 'digit', 'digit', 'enter']);
  });

  it('ends on the cancel key, on the screen’s cancelEntry, and on the pad’s timeout, holding no PIN', async () => {
    const rig = await startPadRig({ variant });
    rigs.push(rig);
    await online(rig);
    const byKey = rig.pad.pinEntry(SIX);
    await rig.press('12C');
    expect(await byKey).toEqual({ digits: 2, completion: 'cancel' });
    expect(rig.pad.status.pinReady).toBe(false);

    const byScreen = rig.pad.pinEntry(SIX);
    await rig.press('123');
    await waitUntil('three digits', () => rig.pinKeys.length === 6);
    await rig.pad.cancelEntry();
    expect(await byScreen).toEqual({ digits: 3, completion: 'cancel' });

    const started = performance.now();
    const byTimeout = rig.pad.pinEntry({ ...SIX, timeoutMs: 300 });
    expect(await byTimeout).toEqual({ digits: 0, completion: 'timeout' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    expect(rig.pad.status).toMatchObject({ state: 'online', entry: 'idle', pinReady: false });
    await expect(rig.pad.getPinBlock({ format: 'iso0', account: ACCOUNT })).rejects.toMatchObject({
      code: ErrorCode.DeviceNoPin,
    });
  });

  it('refuses a second entry while one runs (DeviceBusy), and a bad entry option without sending it', async () => {
    const rig = await startPadRig({ variant });
    rigs.push(rig);
    await online(rig);
    const first = rig.pad.pinEntry(SIX);
    await expect(rig.pad.dataEntry({ ...SIX, minLength: 1 })).rejects.toMatchObject({
      code: ErrorCode.DeviceBusy,
    });
    await expect(rig.pad.getPinBlock({ format: 'iso0', account: ACCOUNT })).rejects.toMatchObject({
      code: ErrorCode.DeviceBusy,
    });
    await rig.pad.cancelEntry();
    await first;
    const commands = (rig.sim.snapshot().model as { counters: { commands: number } }).counters.commands;
    await expect(rig.pad.pinEntry({ ...SIX, maxLength: 13 })).rejects.toMatchObject({
      code: ErrorCode.DeviceBadArgument,
    });
    await expect(rig.pad.pinEntry({ ...SIX, minLength: 3 })).rejects.toMatchObject({
      code: ErrorCode.DeviceBadArgument,
    });
    expect(rig.pad.status.entry).toBe('idle');
    // Nothing reached the pad (a poll may have).
    const after = rig.control({ action: 'state' });
    expect(after['entry']).toBe('idle');
    expect(
      (rig.sim.snapshot().model as { counters: { commands: number } }).counters.commands,
    ).toBeGreaterThanOrEqual(commands);
  });

  it('takes data entry in clear: the digits typed as events and as the value', async () => {
    const rig = await startPadRig({ variant });
    rigs.push(rig);
    await online(rig);
    const entry = rig.pad.dataEntry({ minLength: 11, maxLength: 11, timeoutMs: 5_000, autoEnd: true });
    await rig.press('13800B0138000');
    expect(await entry).toEqual({ value: '13800138000', completion: 'auto' });
    expect(rig.dataKeys).toEqual([...'13800', 'backspace', ...'0138000']);
    expect(rig.pinKeys).toEqual([]);
  });
});
