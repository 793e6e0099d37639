import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../core/errors.js';
import type { Journal } from '../../src/journal/journal.js';
import { creditNotes, openJournal, tempJournal } from '../journal/temp-journal.js';

const TAKES = [1_000, 2_000, 5_000, 10_000];

function commitTopUp(journal: Journal, notes: number[]): void {
  journal.payments.commit({
    txId: creditNotes(journal, '13700000000', notes),
    kind: 'complete',
    receipt: false,
  });
}

function dump(path: string): Record<string, unknown[]> {
  const db = new Database(path, { readonly: true });
  try {
    const tables = ['collections', 'collection_counts', 'outbox', 'cashboxes', 'cashbox_counts', 'audit_log'];
    return Object.fromEntries(tables.map((t) => [t, db.prepare(`SELECT * FROM ${t}`).all()]));
  } finally {
    db.close();
  }
}

describe('journal cash collections', () => {
  it('started → counted → ended: expected is the cycle, the difference exact, the cycle restarts in the outbox seq space', () => {
    const { journal } = tempJournal();
    commitTopUp(journal, [10_000, 5_000, 5_000]);
    commitTopUp(journal, [1_000]);

    const started = journal.collections.start({
      device: 'acceptor',
      technician: 'T-07',
      denominations: TAKES,
    });
    expect(started.state).toBe('started');
    expect(started.cycle).toBe(1);
    expect(started.denominations).toEqual([
      { denomination: 10_000, expected: 1, counted: null, difference: null },
      { denomination: 5_000, expected: 2, counted: null, difference: null },
      { denomination: 2_000, expected: 0, counted: null, difference: null },
      { denomination: 1_000, expected: 1, counted: null, difference: null },
    ]);
    expect(started.expectedValue).toBe(21_000);

    const counted = journal.collections.enterCounts({
      collectionId: started.collectionId,
      counts: [
        { denomination: 10_000, count: 1 },
        { denomination: 5_000, count: 1 },
        { denomination: 1_000, count: 1 },
      ],
      technician: 'T-07',
    });
    expect(counted.state).toBe('counted');
    expect(counted.differenceValue).toBe(-5_000);
    expect(counted.discrepancy).toBe(true);
    expect(counted.denominations.find((d) => d.denomination === 5_000)).toEqual({
      denomination: 5_000,
      expected: 2,
      counted: 1,
      difference: -1,
    });
    const afterCount = journal.cashbox.counters('acceptor');
    expect(afterCount.accuracy).toBe('inaccurate');
    expect(afterCount.accuracyReason).toContain(started.collectionId);
    expect(afterCount.totalValue).toBe(21_000); // still in the box until the end

    const ended = journal.collections.end({ collectionId: started.collectionId, technician: 'T-08' });
    expect(ended.state).toBe('ended');
    expect(ended.seq).toBe(3); // two payments before it, one seq space
    expect(ended.endedBy).toBe('T-08');
    const box = journal.cashbox.counters('acceptor');
    expect(box.totalCount).toBe(0);
    expect(box.accuracy).toBe('inaccurate');
    expect(box.accuracyReason).toContain(started.collectionId);

    const rows = journal.outbox.pendingPayloads({ limit: 10 });
    expect(rows.map((r) => [r.seq, r.kind])).toEqual([
      [1, 'payment'],
      [2, 'payment'],
      [3, 'collection'],
    ]);
    const payload = JSON.parse(rows[2]!.payload);
    expect(payload).toMatchObject({
      v: 1,
      kioskId: 'K-0001',
      collectionId: started.collectionId,
      seq: 3,
      technician: 'T-07',
      device: 'acceptor',
      expectedValue: 21_000,
      countedValue: 16_000,
      difference: -5_000,
      discrepancy: true,
      currency: 'CNY',
    });
    expect(rows[2]!.paymentId).toBe(started.collectionId);

    // The next payment follows the collection's seq; its notes are in the next cycle.
    commitTopUp(journal, [2_000]);
    expect(journal.payments.last()?.seq).toBe(4);
    const next = journal.collections.start({ device: 'acceptor', technician: 'T-07', denominations: TAKES });
    expect(next.cycle).toBe(2);
    expect(next.expectedValue).toBe(2_000);
    expect(journal.checkConservation()).toEqual([]);

    const actions = journal.audit.tail(50).filter((e) => e.action.startsWith('collection.'));
    expect(actions.map((e) => [e.action, e.actor])).toEqual([
      ['collection.started', 'T-07'],
      ['collection.counted', 'T-07'],
      ['collection.ended', 'T-08'],
      ['collection.started', 'T-07'],
    ]);
  });

  it('an exact count leaves the counters accurate, and an ack through its seq delivers it', () => {
    const { journal } = tempJournal();
    commitTopUp(journal, [5_000, 5_000]);
    const c = journal.collections.start({ device: 'acceptor', technician: 'T-01', denominations: TAKES });
    journal.collections.enterCounts({
      collectionId: c.collectionId,
      counts: [{ denomination: 5_000, count: 2 }],
      technician: 'T-01',
    });
    const ended = journal.collections.end({ collectionId: c.collectionId, technician: 'T-01' });
    expect(ended.discrepancy).toBe(false);
    expect(ended.differenceValue).toBe(0);
    expect(journal.cashbox.counters('acceptor').accuracy).toBe('accurate');
    expect(journal.outbox.markDelivered({ paymentIds: [c.collectionId] })).toBe(1);
    expect(journal.outbox.stats()).toMatchObject({ pending: 1, delivered: 1, lastSeq: 2 });
    expect(journal.outbox.markDelivered({ throughSeq: 2 })).toBe(1);
    expect(journal.summary().lastSeq).toBe(2);
  });

  it('refuses bad input and wrong steps with a clear error, changing nothing', () => {
    const { journal, path } = tempJournal();
    commitTopUp(journal, [1_000]);
    const c = journal.collections.start({ device: 'acceptor', technician: 'T-01', denominations: TAKES });
    const before = dump(path);
    const refusals: Array<[() => unknown, number, RegExp]> = [
      [
        () => journal.collections.start({ device: 'acceptor', technician: 'T-02', denominations: TAKES }),
        ErrorCode.JournalConflict,
        /still open/,
      ],
      [
        () => journal.collections.end({ collectionId: c.collectionId, technician: 'T-01' }),
        ErrorCode.JournalConflict,
        /is started; end needs it counted/,
      ],
      [
        () =>
          journal.collections.enterCounts({
            collectionId: c.collectionId,
            counts: [{ denomination: 1_000, count: -1 }],
            technician: 'T-01',
          }),
        ErrorCode.JournalBadInput,
        /counts\[0\]\.count must be an integer >= 0/,
      ],
      [
        () =>
          journal.collections.enterCounts({
            collectionId: c.collectionId,
            counts: [{ denomination: 1_000, count: 1.5 }],
            technician: 'T-01',
          }),
        ErrorCode.JournalBadInput,
        /counts\[0\]\.count/,
      ],
      [
        () =>
          journal.collections.enterCounts({
            collectionId: c.collectionId,
            counts: [{ denomination: 3_000, count: 1 }],
            technician: 'T-01',
          }),
        ErrorCode.JournalBadInput,
        /denomination 3000, which cashbox acceptor does not take/,
      ],
      [
        () =>
          journal.collections.enterCounts({
            collectionId: c.collectionId,
            counts: [
              { denomination: 1_000, count: 1 },
              { denomination: 1_000, count: 2 },
            ],
            technician: 'T-01',
          }),
        ErrorCode.JournalBadInput,
        /denomination 1000 twice/,
      ],
      [
        () =>
          journal.collections.enterCounts({
            collectionId: '01ARZ3NDEKTSV4RRFFQ69G5FAV',
            counts: [],
            technician: 'T-01',
          }),
        ErrorCode.JournalNotFound,
        /collectionId 01ARZ3NDEKTSV4RRFFQ69G5FAV is not in the journal/,
      ],
      [
        () => journal.collections.enterCounts({ collectionId: 'not-a-ulid', counts: [], technician: 'T-01' }),
        ErrorCode.JournalBadInput,
        /collectionId must be a ULID/,
      ],
      [
        () => journal.collections.enterCounts({ collectionId: c.collectionId, counts: [], technician: '' }),
        ErrorCode.JournalBadInput,
        /technician/,
      ],
    ];
    for (const [call, code, message] of refusals) {
      expect(call).toThrow(expect.objectContaining({ code, message: expect.stringMatching(message) }));
    }
    expect(dump(path)).toEqual(before);

    journal.collections.enterCounts({ collectionId: c.collectionId, counts: [], technician: 'T-01' });
    journal.collections.end({ collectionId: c.collectionId, technician: 'T-01' });
    const ended = dump(path);
    expect(() =>
      journal.collections.enterCounts({ collectionId: c.collectionId, counts: [], technician: 'T-01' }),
    ).toThrow(
      expect.objectContaining({
        code: ErrorCode.JournalConflict,
        message: expect.stringMatching(/is ended/),
      }),
    );
    expect(() => journal.collections.end({ collectionId: c.collectionId, technician: 'T-01' })).toThrow(
      expect.objectContaining({ code: ErrorCode.JournalConflict }),
    );
    expect(dump(path)).toEqual(ended);
  });

  it('a recount replaces the count; a restart mid-collection finds it open again', () => {
    const { journal, path } = tempJournal();
    commitTopUp(journal, [2_000, 2_000]);
    const c = journal.collections.start({ device: 'acceptor', technician: 'T-01', denominations: TAKES });
    journal.collections.enterCounts({
      collectionId: c.collectionId,
      counts: [{ denomination: 2_000, count: 1 }],
      technician: 'T-01',
    });
    journal.close();

    const reopened = openJournal(path);
    const open = reopened.collections.open();
    expect(open?.collectionId).toBe(c.collectionId);
    expect(open?.state).toBe('counted');
    expect(open?.differenceValue).toBe(-2_000);
    const recount = reopened.collections.enterCounts({
      collectionId: c.collectionId,
      counts: [{ denomination: 2_000, count: 2 }],
      technician: 'T-02',
    });
    expect(recount.discrepancy).toBe(false);
    expect(recount.countedBy).toBe('T-02');
    reopened.collections.end({ collectionId: c.collectionId, technician: 'T-02' });
    expect(reopened.collections.open()).toBeNull();
    expect(reopened.collections.recent(5).map((r) => r.collectionId)).toEqual([c.collectionId]);
    expect(reopened.cashbox.counters('acceptor').accuracy).toBe('accurate');
    expect(reopened.checkConservation()).toEqual([]);
  });

  it('conservation names a collection that does not hold its cycle, or lost its outbox row', () => {
    const { journal, path } = tempJournal();
    commitTopUp(journal, [1_000, 2_000]);
    const c = journal.collections.start({ device: 'acceptor', technician: 'T-01', denominations: TAKES });
    journal.collections.enterCounts({ collectionId: c.collectionId, counts: [], technician: 'T-01' });
    journal.collections.end({ collectionId: c.collectionId, technician: 'T-01' });
    expect(journal.checkConservation()).toEqual([]);
    const raw = new Database(path);
    raw
      .prepare(
        'UPDATE collection_counts SET expected = expected + 1 WHERE collection_id = ? AND denomination = 1000',
      )
      .run(c.collectionId);
    raw.prepare('DELETE FROM outbox WHERE collection_id = ?').run(c.collectionId);
    raw.close();
    expect(journal.checkConservation().map((v) => v.rule)).toEqual(
      expect.arrayContaining(['collectionWithoutOutbox', 'collectionExpected']),
    );
  });

  it('ending is one transaction: a failure writing the outbox row leaves the collection counted and the cycle as it was', () => {
    const { journal, path } = tempJournal();
    commitTopUp(journal, [1_000]);
    const c = journal.collections.start({ device: 'acceptor', technician: 'T-01', denominations: TAKES });
    journal.collections.enterCounts({
      collectionId: c.collectionId,
      counts: [{ denomination: 1_000, count: 1 }],
      technician: 'T-01',
    });
    const before = dump(path);
    const saboteur = new Database(path);
    saboteur.exec(
      "CREATE TRIGGER outbox_fails BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'disk pulled'); END",
    );
    expect(() => journal.collections.end({ collectionId: c.collectionId, technician: 'T-01' })).toThrow(
      expect.objectContaining({ code: ErrorCode.JournalIo }),
    );
    saboteur.exec('DROP TRIGGER outbox_fails');
    saboteur.close();
    expect(dump(path)).toEqual(before);
    expect(journal.collections.open()?.state).toBe('counted');
    expect(journal.cashbox.counters('acceptor').totalValue).toBe(1_000);
    expect(journal.collections.end({ collectionId: c.collectionId, technician: 'T-01' }).seq).toBe(2);
  });
});
