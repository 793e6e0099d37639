import { describe, expect, it } from 'vitest';
import type { EppEntrySettings } from '../../../devices/pin-pad/epp/codec/index.js';
import { type Heard, isEvent, PadRig } from './pad-rig.js';

const pinEntry = (settings: Partial<EppEntrySettings> = {}) =>
  ({
    kind: 'startPinEntry',
    minLength: 4,
    maxLength: 6,
    timeoutMs: 30_000,
    autoEnd: false,
    ...settings,
  }) as const;
const dataEntry = (settings: Partial<EppEntrySettings> = {}) =>
  ({
    kind: 'startDataEntry',
    minLength: 1,
    maxLength: 11,
    timeoutMs: 30_000,
    autoEnd: false,
    ...settings,
  }) as const;

/** Key events as short names: `*` a masked digit, a digit itself in data entry, else the key. */
function keys(heard: Heard[]): string[] {
  return heard.flatMap((m) => {
    if (m.kind === 'pinKey') return [m.key === 'digit' ? '*' : m.key];
    if (m.kind === 'dataKey') return [m.key === 'digit' ? m.digit : m.key];
    return [];
  });
}

function ended(heard: Heard[]): Heard | undefined {
  return heard.find((m) => m.kind === 'pinEntryEnded' || m.kind === 'dataEntryEnded');
}

/** A PIN is held after the entry, and getPinBlock can seal it: proves the digit count the pad kept. */
function pinBlockReply(rig: PadRig) {
  return rig.ask({ kind: 'getPinBlock', format: 'iso0', account: '13800138000' });
}

describe('epp simulator: PIN entry', () => {
  it('answers startPinEntry OK and goes into pinEntry', () => {
    const rig = new PadRig();
    expect(rig.ask(pinEntry())).toEqual({ kind: 'done', command: 'startPinEntry' });
    expect(rig.state()).toMatchObject({ entry: 'pinEntry', digits: 0, pinReady: false });
  });

  it('backspace takes one digit off and clear takes all; the count follows', () => {
    const rig = new PadRig();
    rig.ask(pinEntry());
    const heard = rig.press('123B');
    expect(keys(heard)).toEqual(['*', '*', '*', 'backspace']);
    expect(rig.state().digits).toBe(2);
    expect(keys(rig.press('X'))).toEqual(['clear']);
    expect(rig.state().digits).toBe(0);
    // Backspace with nothing in is still a press the host hears of; the count stays at 0.
    expect(keys(rig.press('B'))).toEqual(['backspace']);
    expect(rig.state().digits).toBe(0);
    const end = rig.press('2468E');
    expect(ended(end)).toEqual({ kind: 'pinEntryEnded', completion: 'enter', digits: 4 });
  });

  it('refuses enter below minLength and digits past maxLength: no event, the entry runs on', () => {
    const rig = new PadRig();
    rig.ask(pinEntry({ minLength: 4, maxLength: 6 }));
    expect(rig.press('123E')).toEqual(Array(3).fill({ kind: 'pinKey', key: 'digit' }));
    expect(rig.state()).toMatchObject({ entry: 'pinEntry', digits: 3 });
    expect(keys(rig.press('45678'))).toEqual(['*', '*', '*']);
    expect(rig.state().digits).toBe(6);
    const end = rig.press('E');
    expect(ended(end)).toEqual({ kind: 'pinEntryEnded', completion: 'enter', digits: 6 });
    expect((rig.snapshot()['counters'] as Record<string, number>)['refusedPresses']).toBe(3);
  });

  it('autoEnd ends the entry on the maxLength-th digit; later keys do nothing', () => {
    const rig = new PadRig();
    rig.ask(pinEntry({ minLength: 6, maxLength: 6, autoEnd: true }));
    const heard = rig.press('2468109E');
    expect(keys(heard)).toEqual(Array(6).fill('*'));
    expect(ended(heard)).toEqual({ kind: 'pinEntryEnded', completion: 'auto', digits: 6 });
    expect(rig.state()).toMatchObject({ entry: 'idle', pinReady: true });
    expect((rig.snapshot()['counters'] as Record<string, number>)['ignoredPresses']).toBe(2);
  });

  it('the cancel key ends the entry as cancel and forgets the digits', () => {
    const rig = new PadRig();
    rig.ask(pinEntry());
    const heard = rig.press('2468C');
    expect(keys(heard)).toEqual(['*', '*', '*', '*', 'cancel']);
    expect(ended(heard)).toEqual({ kind: 'pinEntryEnded', completion: 'cancel', digits: 4 });
    expect(rig.state()).toMatchObject({ entry: 'idle', pinReady: false });
    expect(pinBlockReply(rig)).toMatchObject({ kind: 'error', error: 'noPin' });
  });

  it('times out timeoutMs after the last key, not after the start', () => {
    const rig = new PadRig();
    rig.ask(pinEntry({ timeoutMs: 1000 }));
    const startedAt = rig.now;
    rig.run(800);
    rig.press('12');
    const lastKeyAt = rig.heard.at(-1)!.at;
    expect(lastKeyAt).toBeGreaterThan(startedAt + 800 - 1);
    rig.run(999 - (rig.now - lastKeyAt));
    expect(rig.state().entry).toBe('pinEntry');
    const heard = rig.run(10);
    expect(heard).toEqual([{ kind: 'pinEntryEnded', completion: 'timeout', digits: 2 }]);
    expect(rig.heard.at(-1)!.at).toBe(lastKeyAt + 1000);
    expect(pinBlockReply(rig)).toMatchObject({ kind: 'error', error: 'noPin' });
  });

  it('cancelEntry answers OK first, then the entry ends as cancel; the PIN is gone', () => {
    const rig = new PadRig();
    rig.ask(pinEntry());
    rig.press('1234');
    const heard = rig.send({ kind: 'cancelEntry' });
    expect(heard).toEqual([
      { kind: 'done', command: 'cancelEntry' },
      { kind: 'pinEntryEnded', completion: 'cancel', digits: 4 },
    ]);
    expect(pinBlockReply(rig)).toMatchObject({ kind: 'error', error: 'noPin' });
  });

  it('cancelEntry with no entry running answers OK (this protocol) and drops a held PIN', () => {
    const rig = new PadRig();
    rig.ask(pinEntry());
    rig.press('1234E');
    expect(rig.state().pinReady).toBe(true);
    expect(rig.send({ kind: 'cancelEntry' })).toEqual([{ kind: 'done', command: 'cancelEntry' }]);
    expect(rig.state().pinReady).toBe(false);
  });

  it('cancelEntry with no entry running answers notEntering on a pad set so, changing nothing', () => {
    const rig = new PadRig({ cancelWhenIdle: 'notEntering' });
    rig.ask(pinEntry());
    rig.press('1234E');
    expect(rig.ask({ kind: 'cancelEntry' })).toMatchObject({
      kind: 'error',
      error: 'notEntering',
      errorCode: 0xe7,
    });
    expect(rig.state().pinReady).toBe(true);
    // With an entry running, the same pad cancels it.
    rig.ask(pinEntry());
    expect(rig.send({ kind: 'cancelEntry' }).map((m) => m.kind)).toEqual(['done', 'pinEntryEnded']);
  });

  it('refuses a second entry while one runs (busy) and getPinBlock during an entry (busy)', () => {
    const rig = new PadRig();
    rig.ask(pinEntry());
    rig.press('12');
    expect(rig.ask(pinEntry())).toMatchObject({ kind: 'error', commandCode: 0x40, error: 'busy' });
    expect(rig.ask(dataEntry())).toMatchObject({ kind: 'error', commandCode: 0x41, error: 'busy' });
    expect(pinBlockReply(rig)).toMatchObject({ kind: 'error', commandCode: 0x43, error: 'busy' });
    expect(rig.state()).toMatchObject({ entry: 'pinEntry', digits: 2 });
  });

  it('a reset ends the entry without an event and forgets the PIN', () => {
    const rig = new PadRig();
    rig.ask(pinEntry());
    rig.press('1234');
    expect(rig.send({ kind: 'reset' })).toEqual([{ kind: 'done', command: 'reset' }]);
    expect(rig.state()).toMatchObject({ entry: 'idle', digits: 0, pinReady: false });
    rig.ask(pinEntry());
    rig.press('1234E');
    rig.ask({ kind: 'reset' });
    expect(pinBlockReply(rig)).toMatchObject({ kind: 'error', error: 'noPin' });
  });

  it('keys pressed with no entry running do nothing and say nothing', () => {
    const rig = new PadRig();
    expect(rig.press('1234E')).toEqual([]);
    expect(rig.state()).toMatchObject({ entry: 'idle', pinReady: false });
  });

  it('key events come between replies: a getStatus during the entry is answered in turn', () => {
    const rig = new PadRig({ timing: { answerDelayMs: 12, keyIntervalMs: 5 } });
    rig.ask(pinEntry());
    rig.control({ action: 'keys.press', keys: '1234' });
    const heard = rig.send({ kind: 'getStatus' });
    // Four presses 5 ms apart, the status reply 12 ms after the command: it lands between the 3rd and 4th.
    expect(heard.map((m) => m.kind)).toEqual(['pinKey', 'pinKey', 'pinKey', 'status', 'pinKey']);
    expect(heard.filter((m) => !isEvent(m))).toMatchObject([{ kind: 'status', state: 'pinEntry' }]);
  });
});

describe('epp simulator: data entry', () => {
  it('sends each digit in clear and the value at the end', () => {
    const rig = new PadRig();
    rig.ask(dataEntry({ minLength: 11, maxLength: 11, autoEnd: true }));
    const heard = rig.press('13800138000');
    expect(keys(heard)).toEqual([...'13800138000']);
    expect(ended(heard)).toEqual({ kind: 'dataEntryEnded', completion: 'auto', value: '13800138000' });
    // Data entry holds no PIN.
    expect(rig.state().pinReady).toBe(false);
  });

  it('edits with backspace and clear and ends on enter', () => {
    const rig = new PadRig();
    rig.ask(dataEntry());
    const heard = rig.press('139X138B800138000E');
    expect(ended(heard)).toEqual({ kind: 'dataEntryEnded', completion: 'enter', value: '13800138000' });
  });

  it('ends as timeout and as cancel, with what was typed', () => {
    const rig = new PadRig();
    rig.ask(dataEntry({ timeoutMs: 500 }));
    rig.press('138');
    expect(rig.run(600)).toEqual([{ kind: 'dataEntryEnded', completion: 'timeout', value: '138' }]);
    rig.ask(dataEntry());
    expect(ended(rig.press('13C'))).toEqual({ kind: 'dataEntryEnded', completion: 'cancel', value: '13' });
  });

  it('starting an entry drops a PIN still held', () => {
    const rig = new PadRig();
    rig.ask(pinEntry());
    rig.press('1234E');
    rig.ask(dataEntry());
    rig.press('1E');
    expect(pinBlockReply(rig)).toMatchObject({ kind: 'error', error: 'noPin' });
  });
});
