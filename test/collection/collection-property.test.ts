import Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { creditNotes, tempJournal } from '../journal/temp-journal.js';

const TAKES = [1_000, 2_000, 5_000, 10_000, 20_000];

type Step =
  | { kind: 'topUp'; notes: number[] }
  | { kind: 'orphan'; denomination: number }
  | { kind: 'collect'; counts: Array<{ denomination: number; count: number }> };

const denomination = fc.constantFrom(...TAKES);
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('topUp' as const),
      notes: fc.array(denomination, { minLength: 1, maxLength: 4 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('orphan' as const), denomination }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('collect' as const),
      // Random counted amounts: some denominations omitted (none counted), counts off by a few either way.
      counts: fc.uniqueArray(fc.record({ denomination, count: fc.nat({ max: 12 }) }), {
        selector: (c) => c.denomination,
        maxLength: TAKES.length,
      }),
    }),
  },
);

describe('cash collection property', () => {
  it('expected = credited since the last collection, differences exact, no note in two collections, counters restart at zero', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 40 }), (steps) => {
        const { journal, path } = tempJournal();
        // The model: notes credited since the last collection, per denomination.
        let sinceCollection = new Map<number, number>();
        let totalCredited = 0;
        let collections = 0;
        for (const s of steps) {
          if (s.kind === 'topUp') {
            journal.payments.commit({
              txId: creditNotes(journal, '13700000000', s.notes),
              kind: 'complete',
              receipt: false,
            });
            for (const d of s.notes) sinceCollection.set(d, (sinceCollection.get(d) ?? 0) + 1);
            totalCredited += s.notes.length;
            continue;
          }
          if (s.kind === 'orphan') {
            journal.orphans.record({ device: 'acceptor', denomination: s.denomination, reason: 'power-up' });
            sinceCollection.set(s.denomination, (sinceCollection.get(s.denomination) ?? 0) + 1);
            totalCredited += 1;
            continue;
          }
          const started = journal.collections.start({
            device: 'acceptor',
            technician: 'T-01',
            denominations: TAKES,
          });
          journal.collections.enterCounts({
            collectionId: started.collectionId,
            counts: s.counts,
            technician: 'T-01',
          });
          const ended = journal.collections.end({ collectionId: started.collectionId, technician: 'T-01' });
          collections += 1;

          const counted = new Map(s.counts.map((c) => [c.denomination, c.count]));
          for (const d of TAKES) {
            const row = ended.denominations.find((r) => r.denomination === d);
            expect(row?.expected).toBe(sinceCollection.get(d) ?? 0);
            expect(row?.counted).toBe(counted.get(d) ?? 0);
            expect(row?.difference).toBe((counted.get(d) ?? 0) - (sinceCollection.get(d) ?? 0));
          }
          const expectedValue = TAKES.reduce((sum, d) => sum + d * (sinceCollection.get(d) ?? 0), 0);
          const countedValue = TAKES.reduce((sum, d) => sum + d * (counted.get(d) ?? 0), 0);
          expect(ended.expectedValue).toBe(expectedValue);
          expect(ended.countedValue).toBe(countedValue);
          expect(ended.differenceValue).toBe(countedValue - expectedValue);
          expect(ended.discrepancy).toBe(
            countedValue !== expectedValue ||
              TAKES.some((d) => (counted.get(d) ?? 0) !== (sinceCollection.get(d) ?? 0)),
          );
          const box = journal.cashbox.counters('acceptor');
          expect(box.totalCount).toBe(0);
          expect(box.accuracy).toBe(ended.discrepancy ? 'inaccurate' : 'accurate');
          sinceCollection = new Map();
        }
        expect(journal.checkConservation()).toEqual([]);
        // Nothing counted twice: summed over every collection, expected covers each note of a
        // closed cycle once, and the notes of the still-open cycle are in none.
        const records = journal.collections.recent(500);
        expect(records).toHaveLength(collections);
        const expectedNotes = records.reduce(
          (n, r) => n + r.denominations.reduce((m, d) => m + d.expected, 0),
          0,
        );
        const openNotes = [...sinceCollection.values()].reduce((n, c) => n + c, 0);
        expect(expectedNotes + openNotes).toBe(totalCredited);
        expect(journal.cashbox.counters('acceptor').totalCount).toBe(openNotes);
        const raw = new Database(path, { readonly: true });
        try {
          // Every credited note's cycle is closed by at most one collection (UNIQUE), and the
          // notes of each ended collection's cycle are exactly its expected count.
          const perCycle = raw
            .prepare(
              `SELECT c.collection_id AS id, COUNT(n.note_id) AS notes,
                      (SELECT SUM(expected) FROM collection_counts k WHERE k.collection_id = c.collection_id) AS expected
               FROM collections c LEFT JOIN notes n ON n.cashbox_cycle = c.cycle AND n.state = 'credited'
               GROUP BY c.collection_id`,
            )
            .all() as Array<{ id: string; notes: number; expected: number }>;
          for (const r of perCycle) expect(r.notes).toBe(r.expected);
          const seqs = raw.prepare('SELECT seq FROM outbox ORDER BY seq').pluck().all() as number[];
          expect(seqs).toEqual(seqs.map((_, i) => i + 1));
        } finally {
          raw.close();
        }
        journal.close();
      }),
      { numRuns: 40 },
    );
  });
});
