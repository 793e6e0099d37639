import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { type EppHostCommand, encodeCommand } from '../../../devices/pin-pad/epp/codec/index.js';
import { type Heard, PadRig } from './pad-rig.js';

const ACCOUNT = '13800138000';

const command: fc.Arbitrary<EppHostCommand> = fc.oneof(
  fc.constant<EppHostCommand>({ kind: 'reset' }),
  fc.constant<EppHostCommand>({ kind: 'getStatus' }),
  fc.constant<EppHostCommand>({ kind: 'cancelEntry' }),
  fc.constantFrom<EppHostCommand>(
    { kind: 'getPinBlock', format: 'iso0', account: ACCOUNT },
    { kind: 'getPinBlock', format: 'iso4', account: ACCOUNT },
  ),
  fc
    .record({
      min: fc.integer({ min: 4, max: 12 }),
      extra: fc.integer({ min: 0, max: 8 }),
      timeoutMs: fc.integer({ min: 1, max: 400 }),
      autoEnd: fc.boolean(),
      pin: fc.boolean(),
    })
    .map(
      ({ min, extra, timeoutMs, autoEnd, pin }): EppHostCommand => ({
        kind: pin ? 'startPinEntry' : 'startDataEntry',
        minLength: min,
        maxLength: Math.min(12, min + extra),
        timeoutMs,
        autoEnd,
      }),
    ),
);

type Step =
  | { kind: 'command'; command: EppHostCommand }
  | { kind: 'garbage'; bytes: Uint8Array }
  | { kind: 'keys'; keys: string }
  | { kind: 'control'; action: 'power.off' | 'power.on' | 'tamper' }
  | { kind: 'wait'; ms: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: command.map((c): Step => ({ kind: 'command', command: c })) },
  {
    weight: 1,
    arbitrary: fc.uint8Array({ maxLength: 40 }).map((bytes): Step => ({ kind: 'garbage', bytes })),
  },
  {
    weight: 4,
    arbitrary: fc
      .string({ unit: fc.constantFrom(...'0123456789EBCX'), minLength: 1, maxLength: 16 })
      .map((keys): Step => ({ kind: 'keys', keys })),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom('power.off', 'power.on', 'tamper')
      .map((action): Step => ({ kind: 'control', action })),
  },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 500 }).map((ms): Step => ({ kind: 'wait', ms })) },
);

/** Every frame the pad sends reads as a known message; PIN keys and PIN-entry ends carry no digit. */
function checkHeard(heard: Heard[]): void {
  for (const message of heard) {
    expect(message.kind).not.toBe('unrecognised');
  }
}

describe('epp simulator: invariants under any mix of commands, keys, garbage and faults', () => {
  test.prop([fc.array(step, { maxLength: 60 }), fc.boolean()], { numRuns: 150 })(
    'never throws, sends only well-formed messages, holds at most maxLength digits, and every digit typed in a PIN entry is masked',
    (steps, raw) => {
      const rig = new PadRig(raw ? { keyEvents: 'rawBytes' } : {});
      let ksn = rig.state().ksnCounter ?? 0;
      for (const s of steps) {
        switch (s.kind) {
          case 'command':
            rig.sendBytes(encodeCommand(s.command));
            break;
          case 'garbage':
            rig.sendBytes(s.bytes);
            break;
          case 'keys':
            rig.control({ action: 'keys.press', keys: s.keys });
            break;
          case 'control':
            rig.control({ action: s.action });
            break;
          case 'wait':
            rig.run(s.ms);
            break;
        }
        rig.run(30);
        const state = rig.state();
        // The counter never goes back (a key is never reused); erased with the key on tamper.
        if (state.ksnCounter !== null) {
          expect(state.ksnCounter).toBeGreaterThanOrEqual(ksn);
          ksn = state.ksnCounter;
        }
        expect(state.digits).toBeLessThanOrEqual(12);
        if (state.entry === 'idle') expect(state.digits).toBe(0);
      }
      rig.run(2000);
      checkHeard(rig.heard.map((h) => h.message));
      // A PIN key event is one of five masked kinds; the frame itself cannot hold a digit.
      for (const chunk of rig.chunks) {
        // STX "0250" starts a pinKey frame: its one parameter is 2A, 08, 18, 0D or 1B.
        if (chunk.hex.startsWith('0230323530')) {
          expect(chunk.hex).toMatch(/^0230323530(3241|3038|3138|3044|3142)/);
        }
      }
      // Pin blocks are counted once each; every one stepped the counter.
      const blocks = rig.heard.filter((h) => h.message.kind === 'pinBlock').length;
      expect((rig.snapshot()['counters'] as { pinBlocks: number }).pinBlocks).toBe(blocks);
    },
  );
});
