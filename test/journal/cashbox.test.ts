import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../core/errors.js';
import { creditNotes, tempJournal } from './temp-journal.js';

describe('cashbox counters', () => {
  it('counts credited notes per denomination with value and fill', () => {
    const { journal } = tempJournal();
    journal.cashbox.setCapacity('acceptor', 400);
    creditNotes(journal, '13600000000', [10_000, 10_000, 5_000]);
    expect(journal.cashbox.counters('acceptor')).toMatchObject({
      capacity: 400,
      accuracy: 'unknown',
      totalCount: 3,
      totalValue: 25_000,
      fill: 3 / 400,
      denominations: [
        { denomination: 10_000, count: 2, value: 20_000 },
        { denomination: 5_000, count: 1, value: 5_000 },
      ],
    });
    expect(journal.cashbox.devices()).toEqual(['acceptor']);
  });

  it('collects: returns what was taken, zeroes the counts, audits, and later credits count from zero', () => {
    const { journal } = tempJournal();
    creditNotes(journal, '13600000000', [10_000, 2_000]);
    const taken = journal.cashbox.collect('acceptor', 'tech-zhao');
    expect(taken).toMatchObject({ totalCount: 2, totalValue: 12_000 });
    expect(journal.cashbox.counters('acceptor')).toMatchObject({ totalCount: 0, accuracy: 'accurate' });
    expect(journal.audit.tail(1)[0]).toMatchObject({
      actor: 'tech-zhao',
      action: 'cashbox.collected',
      details: { totalValue: 12_000 },
    });
    creditNotes(journal, '13600000000', [500]);
    expect(journal.cashbox.counters('acceptor').denominations).toEqual([
      { denomination: 500, count: 1, value: 500 },
    ]);
    expect(journal.checkConservation()).toEqual([]);
  });

  it('reconciles to the technician count, keeps the difference as an adjustment, and stays conserved', () => {
    const { journal } = tempJournal();
    creditNotes(journal, '13600000000', [10_000, 10_000, 5_000]);
    journal.cashbox.setCounterAccuracy('acceptor', 'inaccurate', 'jam in transport, note position unknown');
    expect(journal.cashbox.counters('acceptor').accuracy).toBe('inaccurate');

    const after = journal.cashbox.reconcile(
      'acceptor',
      [
        { denomination: 10_000, count: 1 },
        { denomination: 2_000, count: 1 },
      ],
      'tech-zhao',
    );
    expect(after).toMatchObject({ accuracy: 'accurate', totalValue: 12_000 });
    expect(after.denominations).toEqual([
      { denomination: 10_000, count: 1, value: 10_000 },
      { denomination: 2_000, count: 1, value: 2_000 },
    ]);
    expect(journal.audit.tail(1)[0]).toMatchObject({ actor: 'tech-zhao', action: 'cashbox.reconciled' });
    creditNotes(journal, '13600000000', [10_000]);
    expect(journal.cashbox.counters('acceptor').totalValue).toBe(22_000);
    expect(journal.checkConservation()).toEqual([]);
  });

  it('rejects bad counts and accuracy values without changing anything', () => {
    const { journal } = tempJournal();
    creditNotes(journal, '13600000000', [100]);
    const before = journal.cashbox.counters('acceptor');
    const bad = [
      () => journal.cashbox.reconcile('acceptor', [{ denomination: 100, count: -1 }], 't'),
      () => journal.cashbox.reconcile('acceptor', [{ denomination: 100, count: 1.5 }], 't'),
      () =>
        journal.cashbox.reconcile(
          'acceptor',
          [
            { denomination: 100, count: 1 },
            { denomination: 100, count: 2 },
          ],
          't',
        ),
      () => journal.cashbox.reconcile('acceptor', 'all of them' as never, 't'),
      () => journal.cashbox.reconcile('acceptor', [], ''),
      () => journal.cashbox.setCounterAccuracy('acceptor', 'roughly' as never, 'x'),
      () => journal.cashbox.setCapacity('acceptor', 0),
    ];
    for (const call of bad)
      expect(call).toThrow(expect.objectContaining({ code: ErrorCode.JournalBadInput }));
    expect(journal.cashbox.counters('acceptor')).toEqual(before);
  });
});
