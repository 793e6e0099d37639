import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EppKeyName } from '../../../../devices/pin-pad/epp/codec/index.js';
import { HostKeyCount } from '../../../../devices/pin-pad/epp/pad-entry.js';
import type { EntryCompletion, EntryOptions } from '../../../../devices/pin-pad/pin-pad.js';
import { ManualClock } from '../../../../simulators/harness/manual-clock.js';

const KEYS: Record<string, EppKeyName> = {
  '*': 'digit',
  B: 'backspace',
  X: 'clear',
  E: 'enter',
  C: 'cancel',
};

function counted(options: EntryOptions, presses: string, clock = new ManualClock()) {
  const ends: Array<{ completion: EntryCompletion; digits: number }> = [];
  const count = new HostKeyCount(options, clock, (completion, digits) => ends.push({ completion, digits }));
  for (const press of presses) count.key(KEYS[press]!);
  return { count, ends, clock };
}

const FOUR_TO_SIX = { minLength: 4, maxLength: 6, timeoutMs: 1000, autoEnd: false };

describe('the driver’s own count for raw-key pads', () => {
  it('counts digits, backspace and clear; refuses enter below minLength and digits past maxLength', () => {
    expect(counted(FOUR_TO_SIX, '***E').ends).toEqual([]);
    expect(counted(FOUR_TO_SIX, '***B**E').ends).toEqual([{ completion: 'enter', digits: 4 }]);
    expect(counted(FOUR_TO_SIX, '*****X****E').ends).toEqual([{ completion: 'enter', digits: 4 }]);
    expect(counted(FOUR_TO_SIX, '********E').ends).toEqual([{ completion: 'enter', digits: 6 }]);
    expect(counted(FOUR_TO_SIX, 'BB**C').ends).toEqual([{ completion: 'cancel', digits: 2 }]);
    expect(counted({ ...FOUR_TO_SIX, autoEnd: true }, '******').ends).toEqual([
      { completion: 'auto', digits: 6 },
    ]);
  });

  it('times out timeoutMs after the start and again after each key, once, and not after it ended', () => {
    const clock = new ManualClock();
    const { count, ends } = counted(FOUR_TO_SIX, '', clock);
    clock.advanceBy(900);
    count.key('digit');
    clock.advanceBy(900);
    expect(ends).toEqual([]);
    clock.advanceBy(100);
    expect(ends).toEqual([{ completion: 'timeout', digits: 1 }]);
    count.key('enter');
    clock.advanceBy(5000);
    expect(ends).toHaveLength(1);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('stop() ends the count silently', () => {
    const { count, ends, clock } = counted(FOUR_TO_SIX, '**');
    count.stop();
    clock.advanceBy(5000);
    count.key('enter');
    expect(ends).toEqual([]);
  });

  it('ends at most once and never counts outside 0…maxLength, whatever is pressed', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('*', 'B', 'X', 'E', 'C') }),
        fc.boolean(),
        (presses, autoEnd) => {
          const { count, ends } = counted({ ...FOUR_TO_SIX, autoEnd }, presses);
          expect(ends.length).toBeLessThanOrEqual(1);
          expect(count.digits).toBeGreaterThanOrEqual(0);
          expect(count.digits).toBeLessThanOrEqual(6);
          for (const end of ends) {
            if (end.completion === 'enter') expect(end.digits).toBeGreaterThanOrEqual(4);
            if (end.completion === 'auto') expect(end.digits).toBe(6);
          }
        },
      ),
    );
  });
});
