import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../../../core/errors.js';
import { silentLogger } from '../../../../../core/logger.js';
import { EppDriver } from '../../../../../devices/pin-pad/epp/driver.js';
import { SerialTransport } from '../../../../../devices/transport/serial-transport.js';
import { closeRigsAfterEach, online, startPadRig, waitUntil } from './epp-driver-rig.js';

const ACCOUNT = '13800138000';
const SIX = { minLength: 6, maxLength: 6, timeoutMs: 10_000, autoEnd: false };

function padCommands(rig: { sim: { snapshot(): { model: unknown } } }): number {
  return (rig.sim.snapshot().model as { counters: { commands: number } }).counters.commands;
}

describe('EPP driver commands', () => {
  const rigs = closeRigsAfterEach();

  it('reset mid-entry fails the entry (DeviceBadState) and leaves the pad idle holding nothing', async () => {
    const rig = await startPadRig({ variant: 'inProcess' });
    rigs.push(rig);
    await online(rig);
    const entry = rig.pad.pinEntry(SIX).catch((error: unknown) => error);
    await rig.press('123');
    await waitUntil('three digits', () => rig.pinKeys.length === 3);
    await rig.pad.reset();
    expect(await entry).toMatchObject({ code: ErrorCode.DeviceBadState });
    expect(rig.control({ action: 'state' })).toMatchObject({ entry: 'idle', pinReady: false, digits: 0 });
    expect(rig.pad.status).toEqual({ state: 'online', entry: 'idle', pinReady: false });
  });

  it('stop mid-entry fails the entry (DeviceOffline); every call after is refused the same way', async () => {
    const rig = await startPadRig({ variant: 'inProcess' });
    rigs.push(rig);
    await online(rig);
    const entry = rig.pad.pinEntry(SIX).catch((error: unknown) => error);
    await rig.press('1');
    await rig.pad.stop();
    expect(await entry).toMatchObject({ code: ErrorCode.DeviceOffline });
    await expect(rig.pad.pinEntry(SIX)).rejects.toMatchObject({ code: ErrorCode.DeviceOffline });
    await expect(rig.pad.beep()).rejects.toMatchObject({ code: ErrorCode.DeviceOffline });
    await expect(rig.pad.start()).rejects.toMatchObject({ code: ErrorCode.DeviceBadState });
  });

  it('refuses a bad PIN block request or beep before anything is sent, and keeps the PIN held', async () => {
    const rig = await startPadRig({ variant: 'inProcess', config: { statusPollIntervalMs: 5_000 } });
    rigs.push(rig);
    await online(rig);
    const entry = rig.pad.pinEntry(SIX);
    await rig.press('246810E');
    await entry;
    const before = padCommands(rig);
    for (const request of [
      { format: 'iso1', account: ACCOUNT },
      { format: 'iso0', account: '138-0013' },
      { format: 'iso0', account: '' },
      { format: 'iso0', account: '1'.repeat(20) },
    ]) {
      await expect(rig.pad.getPinBlock(request as never)).rejects.toMatchObject({
        code: ErrorCode.DeviceBadArgument,
      });
    }
    await expect(rig.pad.beep(0)).rejects.toMatchObject({ code: ErrorCode.DeviceBadArgument });
    await expect(rig.pad.beep(10_001)).rejects.toMatchObject({ code: ErrorCode.DeviceBadArgument });
    expect(padCommands(rig)).toBe(before);
    expect(rig.control({ action: 'state' })['pinReady']).toBe(true);
    expect(rig.pad.status.pinReady).toBe(true);
    const block = await rig.pad.getPinBlock({ format: 'iso0', account: ACCOUNT });
    expect(block.pinBlock).toHaveLength(8);
  });

  it('never takes a late block of an earlier request for the answer to the next one', async () => {
    const rig = await startPadRig({
      variant: 'inProcess',
      config: { statusPollIntervalMs: 5_000, silenceTimeoutMs: 10_000 },
    });
    rigs.push(rig);
    await online(rig);
    const entry = rig.pad.pinEntry(SIX);
    await rig.press('246810E');
    await entry;
    // The block comes back about 400 ms after the request: later than the 300 ms the driver waits.
    rig.control({ action: 'line.set', latencyMs: 200 });
    await expect(rig.pad.getPinBlock({ format: 'iso0', account: ACCOUNT })).rejects.toMatchObject({
      code: ErrorCode.DeviceTimeout,
    });
    rig.control({ action: 'line.set', latencyMs: 0 });
    // Asked again at once, while the first block is still on its way: the pad forgot the PIN
    // when it made that block, so the only true answer is noPin.
    await expect(rig.pad.getPinBlock({ format: 'iso0', account: ACCOUNT })).rejects.toMatchObject({
      code: ErrorCode.DeviceNoPin,
    });
    expect((await rig.pad.diagnostics()).counters['lateReplyBarriers']).toBe(1);
  });

  it('cancelEntry with no entry running sends nothing', async () => {
    const rig = await startPadRig({ variant: 'inProcess', config: { statusPollIntervalMs: 5_000 } });
    rigs.push(rig);
    await online(rig);
    const before = padCommands(rig);
    await rig.pad.cancelEntry();
    expect(padCommands(rig)).toBe(before);
  });

  it('refuses driver options that did not come through the config schema, naming the field', () => {
    const transport = new SerialTransport({
      name: 'pinPad',
      path: 'sim:epp',
      line: { baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1, rtscts: false, xonxoff: false },
      binding: { open: () => Promise.reject(new Error('unused')) } as never,
      silenceTimeoutMs: 1000,
      reconnect: { initialDelayMs: 50, maxDelayMs: 100, factor: 2, jitter: 0 },
      logger: silentLogger(),
    });
    const make = (options: Record<string, unknown>) => () =>
      new EppDriver({
        name: 'pinPad',
        transport,
        logger: silentLogger(),
        options: { answerTimeoutMs: 300, statusPollIntervalMs: 100, ...options } as never,
      });
    expect(make({ answerTimeoutMs: 0 })).toThrow(/answerTimeoutMs: expected a number above 0/);
    expect(make({ statusPollIntervalMs: 'fast' })).toThrow(/statusPollIntervalMs/);
    expect(make({ rawKeyBytes: new Map([[0x03, 'enter']]) })).toThrow(/rawKeyBytes/);
    expect(make({ rawKeyBytes: new Map([[0x0d, 'submit']]) })).toThrow(/rawKeyBytes/);
    expect(make({ rawKeyBytes: { '0D': 'enter' } })).toThrow(/rawKeyBytes: expected a Map/);
    expect(make({})).not.toThrow();
  });
});
