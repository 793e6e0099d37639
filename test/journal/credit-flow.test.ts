import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../core/errors.js';
import { steppingClock, tempJournal } from './temp-journal.js';

const account = '13912345678';

describe('escrow intent -> credit -> payment -> outbox', () => {
  it('turns two credited notes into one payment with a gap-free seq and a full outbox payload', () => {
    const { journal } = tempJournal({
      kioskId: 'K-7',
      clock: steppingClock('2025-06-01T10:00:00.000Z', 1000),
    });
    const tx = journal.transactions.open({ account, limits: { maxAmount: 20_000, maxNotes: 5 } });
    expect(tx).toMatchObject({
      state: 'open',
      kind: null,
      limits: { maxAmount: 20_000, maxNotes: 5 },
      currency: 'CNY',
    });

    const first = journal.notes.recordEscrowIntent({
      txId: tx.txId,
      device: 'bv',
      escrowCode: '0x65',
      denomination: 10_000,
    });
    expect(journal.notes.pendingEscrowIntent('bv')).toMatchObject({ noteId: first, state: 'escrowIntent' });
    expect(journal.notes.commitCredit({ noteId: first })).toEqual({
      noteId: first,
      alreadyCredited: false,
      orphanId: null,
    });
    expect(journal.notes.pendingEscrowIntent('bv')).toBeNull();

    const second = journal.notes.recordEscrowIntent({
      txId: tx.txId,
      device: 'bv',
      escrowCode: '0x63',
      denomination: 2_000,
    });
    journal.notes.commitCredit({ noteId: second });
    const returned = journal.notes.recordEscrowIntent({
      txId: tx.txId,
      device: 'bv',
      escrowCode: '0x65',
      denomination: 10_000,
    });
    expect(journal.notes.markReturned({ noteId: returned })).toEqual({ alreadyReturned: false });

    const result = journal.payments.commit({ txId: tx.txId, kind: 'complete', receipt: true });
    expect(result.outcome).toBe('committed');
    if (result.outcome !== 'committed') throw new Error('unreachable');
    expect(result.payment).toMatchObject({
      seq: 1,
      amount: 12_000,
      account,
      kind: 'complete',
      receipt: true,
      notes: [
        { denomination: 10_000, count: 1 },
        { denomination: 2_000, count: 1 },
      ],
    });
    expect(journal.transactions.get(tx.txId)).toMatchObject({ state: 'committed', kind: 'complete' });

    const [entry, ...rest] = journal.outbox.pending({ limit: 10 });
    expect(rest).toEqual([]);
    expect(entry?.payload).toEqual({
      v: 1,
      kioskId: 'K-7',
      ts: result.payment.createdAt,
      paymentId: result.payment.paymentId,
      seq: 1,
      account,
      amount: 12_000,
      currency: 'CNY',
      notes: [
        { denomination: 10_000, count: 1 },
        { denomination: 2_000, count: 1 },
      ],
      kind: 'complete',
      txId: tx.txId,
      receipt: true,
    });
    expect(Number.isInteger(entry?.payload.amount)).toBe(true);
    expect(journal.cashbox.counters('bv')).toMatchObject({ totalCount: 2, totalValue: 12_000 });
    expect(journal.checkConservation()).toEqual([]);
    expect(journal.audit.tail(5).map((e) => e.action)).toContain('payment.committed');
  });

  it('credits a repeated VEND VALID once', () => {
    const { journal } = tempJournal();
    const tx = journal.transactions.open({ account, limits: { maxAmount: 100_000 } });
    const noteId = journal.notes.recordEscrowIntent({
      txId: tx.txId,
      device: 'bv',
      escrowCode: 'a',
      denomination: 5_000,
    });
    journal.notes.commitCredit({ noteId });
    expect(journal.notes.commitCredit({ noteId })).toEqual({ noteId, alreadyCredited: true, orphanId: null });
    expect(journal.notes.commitCredit({ noteId }).alreadyCredited).toBe(true);
    expect(journal.cashbox.counters('bv').denominations).toEqual([
      { denomination: 5_000, count: 1, value: 5_000 },
    ]);
    const result = journal.payments.commit({ txId: tx.txId, kind: 'complete', receipt: false });
    expect(result.outcome === 'committed' && result.payment.amount).toBe(5_000);
  });

  it('cancels a transaction with nothing credited and makes no payment', () => {
    const { journal } = tempJournal();
    const tx = journal.transactions.open({ account, limits: { maxAmount: 100_000 } });
    const noteId = journal.notes.recordEscrowIntent({
      txId: tx.txId,
      device: 'bv',
      escrowCode: 'a',
      denomination: 5_000,
    });
    journal.notes.markReturned({ noteId });
    expect(journal.payments.commit({ txId: tx.txId, kind: 'complete', receipt: true })).toEqual({
      outcome: 'cancelled',
      txId: tx.txId,
      alreadyClosed: false,
    });
    expect(journal.transactions.get(tx.txId).state).toBe('cancelled');
    expect(journal.outbox.stats()).toMatchObject({ pending: 0, lastSeq: 0 });
  });

  it('answers a repeated commitPayment with the same payment and changes nothing', () => {
    const { journal } = tempJournal();
    const tx = journal.transactions.open({ account, limits: { maxAmount: 100_000 } });
    const noteId = journal.notes.recordEscrowIntent({
      txId: tx.txId,
      device: 'bv',
      escrowCode: 'a',
      denomination: 1_000,
    });
    journal.notes.commitCredit({ noteId });
    const first = journal.payments.commit({ txId: tx.txId, kind: 'partial', receipt: false });
    const again = journal.payments.commit({ txId: tx.txId, kind: 'complete', receipt: true });
    expect(again).toEqual({ ...first, alreadyClosed: true });
    expect(journal.summary()).toMatchObject({ payments: 1, lastSeq: 1 });
  });

  it('refuses to commit while a note is still in escrow, and refuses a second intent on one device', () => {
    const { journal } = tempJournal();
    const tx = journal.transactions.open({ account, limits: { maxAmount: 100_000 } });
    const noteId = journal.notes.recordEscrowIntent({
      txId: tx.txId,
      device: 'bv',
      escrowCode: 'a',
      denomination: 1_000,
    });
    expect(() =>
      journal.notes.recordEscrowIntent({ txId: tx.txId, device: 'bv', escrowCode: 'b', denomination: 1_000 }),
    ).toThrow(
      expect.objectContaining({
        code: ErrorCode.JournalConflict,
        details: expect.objectContaining({ pendingNoteId: noteId }),
      }),
    );
    expect(() => journal.payments.commit({ txId: tx.txId, kind: 'complete', receipt: true })).toThrow(
      expect.objectContaining({ code: ErrorCode.JournalConflict }),
    );
    expect(journal.transactions.get(tx.txId).state).toBe('open');
    expect(journal.transactions.unfinished()).toEqual([
      expect.objectContaining({
        txId: tx.txId,
        notes: [expect.objectContaining({ noteId, state: 'escrowIntent' })],
      }),
    ]);
  });

  it('keeps returned and voided notes out of payments and refuses to credit them', () => {
    const { journal } = tempJournal();
    const tx = journal.transactions.open({ account, limits: { maxAmount: 100_000 } });
    const returned = journal.notes.recordEscrowIntent({
      txId: tx.txId,
      device: 'bv',
      escrowCode: 'a',
      denomination: 1_000,
    });
    journal.notes.markReturned({ noteId: returned });
    expect(journal.notes.markReturned({ noteId: returned })).toEqual({ alreadyReturned: true });
    expect(() => journal.notes.commitCredit({ noteId: returned })).toThrow(
      expect.objectContaining({ code: ErrorCode.JournalConflict }),
    );
    const voided = journal.notes.recordEscrowIntent({
      txId: tx.txId,
      device: 'bv',
      escrowCode: 'b',
      denomination: 2_000,
    });
    expect(
      journal.notes.voidIntent({ noteId: voided, reason: 'device reported no note after restart' }),
    ).toEqual({
      alreadyVoided: false,
    });
    expect(journal.notes.get(voided)).toMatchObject({
      state: 'voided',
      voidReason: 'device reported no note after restart',
    });
    expect(() => journal.notes.markReturned({ noteId: voided })).toThrow(
      expect.objectContaining({ code: ErrorCode.JournalConflict }),
    );
    expect(journal.transactions.notes(tx.txId).map((n) => n.state)).toEqual(['returned', 'voided']);
    expect(journal.cashbox.counters('bv').totalCount).toBe(0);
  });

  it('rejects bad input with JournalBadInput or JournalNotFound and writes nothing', () => {
    const { journal } = tempJournal();
    const before = journal.summary();
    const tx = journal.transactions.open({ account, limits: { maxAmount: 100_000 } });
    const afterOpen = journal.summary();
    const bad = [
      () => journal.transactions.open({ account: '', limits: { maxAmount: 1 } }),
      () => journal.transactions.open({ account, limits: { maxAmount: 10.5 } }),
      () => journal.transactions.open({ account, limits: { maxAmount: 100, maxNotes: -1 } }),
      () =>
        journal.notes.recordEscrowIntent({
          txId: tx.txId,
          device: 'bv',
          escrowCode: 'a',
          denomination: 12.5,
        }),
      () =>
        journal.notes.recordEscrowIntent({ txId: tx.txId, device: 'bv', escrowCode: 'a', denomination: 0 }),
      () =>
        journal.notes.recordEscrowIntent({
          txId: tx.txId,
          device: 'bv',
          escrowCode: 'a',
          denomination: Number.NaN,
        }),
      () =>
        journal.notes.recordEscrowIntent({ txId: tx.txId, device: '', escrowCode: 'a', denomination: 100 }),
      () => journal.payments.commit({ txId: tx.txId, kind: 'orphan' as 'complete', receipt: true }),
      () =>
        journal.payments.commit({ txId: tx.txId, kind: 'complete', receipt: 'yes' as unknown as boolean }),
    ];
    for (const call of bad)
      expect(call).toThrow(expect.objectContaining({ code: ErrorCode.JournalBadInput }));
    expect(() => journal.notes.commitCredit({ noteId: '01JUNKNOWNNOTE0000000000000' })).toThrow(
      expect.objectContaining({ code: ErrorCode.JournalNotFound }),
    );
    expect(() =>
      journal.notes.recordEscrowIntent({
        txId: 'no-such-tx',
        device: 'bv',
        escrowCode: 'a',
        denomination: 100,
      }),
    ).toThrow(expect.objectContaining({ code: ErrorCode.JournalNotFound }));
    expect(journal.summary()).toEqual(afterOpen);
    expect(afterOpen.openTransactions).toBe(before.openTransactions + 1);
  });
});
