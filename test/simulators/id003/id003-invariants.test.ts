import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode, isKioskError } from '../../../core/errors.js';
import type { HostCommand } from '../../../devices/cash-acceptor/id003/codec/index.js';
import type { LedgerEntry } from '../../../simulators/id003/cashbox-ledger.js';
import { describeReply } from '../../../simulators/id003/id003-model.js';
import { fastHost } from './virtual-host.js';

const commands: fc.Arbitrary<HostCommand>[] = [
  fc.constant({ kind: 'statusRequest' }),
  fc.constant({ kind: 'ack' }),
  fc.constant({ kind: 'reset' }),
  fc.constant({ kind: 'stack1' }),
  fc.constant({ kind: 'stack2' }),
  fc.constant({ kind: 'return' }),
  fc.constant({ kind: 'hold' }),
  fc.boolean().map((inhibit) => ({ kind: 'setInhibit', inhibit })),
  fc.integer({ min: 0, max: 0xffff }).map((disabledMask) => ({ kind: 'setEnable', disabledMask })),
];

const insert = fc.oneof(
  fc.record({
    action: fc.constant('note.insert'),
    denomination: fc.constantFrom(100, 500, 1000, 2000, 5000, 10000),
  }),
  fc.record({ action: fc.constant('note.insert'), kind: fc.constantFrom('counterfeit', 'damaged') }),
);
const faults: fc.Arbitrary<Record<string, unknown>>[] = [
  fc.record({ action: fc.constant('jam'), where: fc.constantFrom('acceptor', 'stacker') }),
  fc.constant({ action: 'jam.clear' }),
  fc.constant({ action: 'cashbox.remove' }),
  fc.record({ action: fc.constant('cashbox.replace'), emptied: fc.boolean() }),
  fc.constant({ action: 'cheat' }),
  fc.constant({ action: 'failure', code: 0xa6 }),
  fc.constant({ action: 'failure.clear' }),
  fc.constant({ action: 'power.cut' }),
  fc.constant({ action: 'power.on' }),
  fc.record({
    action: fc.constant('power.cutAt'),
    phase: fc.constantFrom('accepting', 'escrow', 'holding', 'stacking', 'vendValid', 'stacked', 'returning'),
    afterMs: fc.integer({ min: 0, max: 60 }),
  }),
];
const controls = fc.oneof({ weight: 3, arbitrary: insert }, { weight: 2, arbitrary: fc.oneof(...faults) });

/** A well-behaved host's reaction to what a poll shows, picked by `choice` where there is a choice. */
function react(status: string, choice: number): HostCommand | undefined {
  if (status.startsWith('escrow') || status === 'holding') {
    return [{ kind: 'stack1' }, { kind: 'stack2' }, { kind: 'return' }, { kind: 'hold' }][
      choice % 4
    ] as HostCommand;
  }
  if (status === 'vendValid') return choice % 3 === 0 ? undefined : { kind: 'ack' };
  if (status === 'disabled') return { kind: 'setInhibit', inhibit: false };
  if (status.startsWith('powerUp') || status === 'cheated' || status.startsWith('failure'))
    return { kind: 'reset' };
  return undefined;
}

type Step =
  | { send: HostCommand }
  | { control: Record<string, unknown> }
  | { wait: number }
  | { react: number };
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.nat().map((react) => ({ react })) },
  { weight: 5, arbitrary: fc.oneof(...commands).map((send) => ({ send })) },
  { weight: 2, arbitrary: controls.map((control) => ({ control })) },
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 120 }).map((wait) => ({ wait })) },
);

describe('id003 simulator: invariants under random use', () => {
  it('never loses or double-counts a note, answers at most once per frame, and refuses controls cleanly', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 40, maxLength: 160 }), (steps) => {
        const host = fastHost();
        host.startUp();
        let sent = 0;
        let answered = 0;
        for (const s of steps) {
          if ('send' in s) {
            sent++;
            answered += host.send(s.send, 2).length;
          } else if ('react' in s) {
            const replies = host.send({ kind: 'statusRequest' }, 2);
            sent++;
            answered += replies.length;
            const reply = replies[0];
            const cmd = reply && react(describeReply(reply), s.react);
            if (cmd) {
              sent++;
              answered += host.send(cmd, 2).length;
            }
            answered += host.run(15).length;
          } else if ('wait' in s) {
            answered += host.run(s.wait).length;
          } else {
            const before = host.snapshot();
            try {
              host.control(s.control);
            } catch (error) {
              expect(isKioskError(error, ErrorCode.SimBadControl)).toBe(true);
              expect(host.snapshot()).toEqual(before);
            }
          }
        }
        answered += host.run(10).length;
        expect(answered).toBeLessThanOrEqual(sent);

        const snap = host.snapshot() as ReturnType<typeof host.snapshot> & {
          cashbox: { collections: Array<{ total: number; notes: number }> };
        };
        const ledger = host.ledger();
        expect(ledger.map((e) => e.seq)).toEqual(ledger.map((_, i) => i + 1));
        const ids = ledger.map((e: LedgerEntry) => e.noteId);
        expect(new Set(ids).size).toBe(ids.length);
        const stacked = snap.notes.filter((n) => n.outcome === 'stacked').map((n) => n.noteId);
        expect([...stacked].sort()).toEqual([...ids].sort());
        const ledgerTotal = ledger.reduce((sum, e) => sum + e.denomination, 0);
        const collected = snap.cashbox.collections.reduce((sum, c) => sum + c.total, 0);
        expect(collected + snap.cashbox.total).toBe(ledgerTotal);
        expect(Number.isInteger(ledgerTotal)).toBe(true);
        const inPath = snap.notes.filter((n) => n.outcome === 'inPath');
        expect(inPath.length).toBeLessThanOrEqual(1);
        if (snap.note) expect(inPath.map((n) => n.noteId)).toEqual([snap.note.noteId]);
      }),
      { numRuns: 200, seed: 20240601 },
    );
  });
});
