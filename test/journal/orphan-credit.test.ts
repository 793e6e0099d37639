import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../core/errors.js';
import { tempJournal } from './temp-journal.js';

describe('orphan credits', () => {
  it('records a credit with no transaction as a counted orphan and pays it out as kind orphan', () => {
    const { journal } = tempJournal({ kioskId: 'K-9' });
    const { orphanId, noteId } = journal.orphans.record({
      device: 'bv',
      escrowCode: '0x64',
      denomination: 5_000,
      reason: 'power-up with bill in stacker',
    });
    expect(journal.notes.get(noteId)).toMatchObject({ state: 'credited', txId: null, denomination: 5_000 });
    expect(journal.cashbox.counters('bv').totalValue).toBe(5_000);
    expect(journal.summary()).toMatchObject({ unpaidOrphans: 1, orphansWithoutAlert: 1 });
    expect(journal.checkConservation()).toEqual([]);

    expect(journal.orphans.markAlerted(orphanId)).toEqual({ alreadyRaised: false });
    expect(journal.orphans.markAlerted(orphanId)).toEqual({ alreadyRaised: true });

    const { payment, alreadyPaid } = journal.orphans.commitPayment(orphanId);
    expect(alreadyPaid).toBe(false);
    expect(payment).toMatchObject({
      kind: 'orphan',
      amount: 5_000,
      account: null,
      txId: null,
      orphanId,
      seq: 1,
    });
    expect(journal.orphans.commitPayment(orphanId)).toEqual({ payment, alreadyPaid: true });
    expect(journal.outbox.pending({ limit: 5 })[0]?.payload).toMatchObject({
      kioskId: 'K-9',
      kind: 'orphan',
      account: null,
      txId: null,
      amount: 5_000,
      notes: [{ denomination: 5_000, count: 1 }],
      receipt: false,
    });
    expect(journal.orphans.list({ unpaidOnly: true })).toEqual([]);
    expect(journal.orphans.get(orphanId).paymentId).toBe(payment.paymentId);
    expect(journal.checkConservation()).toEqual([]);
  });

  it('turns a credit on an intent with no transaction into an orphan in the same commit', () => {
    const { journal } = tempJournal();
    const noteId = journal.notes.recordEscrowIntent({
      txId: null,
      device: 'bv',
      escrowCode: 'x',
      denomination: 2_000,
    });
    const result = journal.notes.commitCredit({ noteId });
    expect(result.orphanId).not.toBeNull();
    expect(journal.notes.commitCredit({ noteId })).toEqual({
      noteId,
      alreadyCredited: true,
      orphanId: result.orphanId,
    });
    expect(journal.orphans.list()).toEqual([
      expect.objectContaining({ noteId, reason: 'credited without a transaction' }),
    ]);
    expect(journal.checkConservation()).toEqual([]);
  });

  it('keeps an orphan of unknown value counted, marks the counters inaccurate, and pays only once resolved', () => {
    const { journal } = tempJournal();
    const { orphanId } = journal.orphans.record({
      device: 'bv',
      reason: 'credit event lost its data byte',
    });
    expect(journal.cashbox.counters('bv')).toMatchObject({
      accuracy: 'inaccurate',
      totalCount: 1,
      totalValue: 0,
      denominations: [{ denomination: 0, count: 1, value: 0 }],
    });
    expect(() => journal.orphans.commitPayment(orphanId)).toThrow(
      expect.objectContaining({ code: ErrorCode.JournalConflict }),
    );
    expect(journal.summary().payments).toBe(0);

    journal.orphans.resolveDenomination(orphanId, 10_000, 'tech-li');
    expect(journal.cashbox.counters('bv').denominations).toEqual([
      { denomination: 10_000, count: 1, value: 10_000 },
    ]);
    expect(journal.orphans.commitPayment(orphanId).payment.amount).toBe(10_000);
    expect(() => journal.orphans.resolveDenomination(orphanId, 100, 'tech-li')).toThrow(
      expect.objectContaining({ code: ErrorCode.JournalConflict }),
    );
    expect(journal.checkConservation()).toEqual([]);
  });

  it('rejects bad orphan input and unknown ids', () => {
    const { journal } = tempJournal();
    expect(() => journal.orphans.record({ device: 'bv', denomination: 9.99, reason: 'x' })).toThrow(
      expect.objectContaining({ code: ErrorCode.JournalBadInput }),
    );
    expect(() => journal.orphans.record({ device: 'bv', denomination: 100, reason: '' })).toThrow(
      expect.objectContaining({ code: ErrorCode.JournalBadInput }),
    );
    expect(() => journal.orphans.commitPayment('01HNOTANORPHAN000000000000')).toThrow(
      expect.objectContaining({ code: ErrorCode.JournalNotFound }),
    );
    expect(journal.summary()).toMatchObject({ creditedNotes: 0, unpaidOrphans: 0 });
  });
});
