import { describe, expect, it } from 'vitest';
import { ErrorCode, isKioskError } from '../../core/errors.js';
import { openJournal, steppingClock, tempJournal } from './temp-journal.js';

describe('machine snapshots', () => {
  it('saves, replaces, reads back after a reopen, and deletes a snapshot', () => {
    const { journal, path } = tempJournal();
    expect(journal.snapshots.get('topUp')).toBeNull();
    journal.snapshots.save('topUp', { version: 1, snapshot: { value: 'enteringAccount', n: 1 } });
    journal.snapshots.save('topUp', { version: 1, snapshot: { value: 'insertingCash', n: 2 } });
    journal.close();

    const reopened = openJournal(path);
    const stored = reopened.snapshots.get('topUp');
    expect(stored?.version).toBe(1);
    expect(stored?.snapshot).toEqual({ value: 'insertingCash', n: 2 });
    expect(reopened.snapshots.get('kiosk')).toBeNull();
    expect(reopened.snapshots.delete('topUp')).toBe(true);
    expect(reopened.snapshots.delete('topUp')).toBe(false);
    expect(reopened.snapshots.get('topUp')).toBeNull();
  });

  it('refuses a bad version or a non-object snapshot and keeps the stored one', () => {
    const { journal } = tempJournal();
    journal.snapshots.save('topUp', { version: 1, snapshot: { value: 'a' } });
    for (const bad of [
      () => journal.snapshots.save('topUp', { version: 0, snapshot: { value: 'b' } }),
      () => journal.snapshots.save('topUp', { version: 1.5, snapshot: { value: 'b' } }),
      () => journal.snapshots.save('topUp', { version: 1, snapshot: [] as never }),
      () => journal.snapshots.save('', { version: 1, snapshot: { value: 'b' } }),
    ]) {
      expect(bad).toThrow(expect.objectContaining({ code: ErrorCode.JournalBadInput }));
    }
    expect(journal.snapshots.get('topUp')?.snapshot).toEqual({ value: 'a' });
  });
});

describe('creditedTotalForAccount', () => {
  it('sums only credited notes of that account settled since the given instant, open transactions included', () => {
    const clock = steppingClock('2026-03-01T10:00:00.000Z', 1000);
    const { journal } = tempJournal({ clock });
    const credit = (txId: string, denomination: number) => {
      const noteId = journal.notes.recordEscrowIntent({
        txId,
        device: 'acceptor',
        escrowCode: '0x63',
        denomination,
      });
      journal.notes.commitCredit({ noteId });
      return noteId;
    };
    const first = journal.transactions.open({ account: '13800138000', limits: { maxAmount: 100_000 } });
    credit(first.txId, 1000);
    journal.payments.commit({ txId: first.txId, kind: 'complete', receipt: false });
    const since = clock();

    const second = journal.transactions.open({ account: '13800138000', limits: { maxAmount: 100_000 } });
    credit(second.txId, 5000);
    credit(second.txId, 2000);
    const returned = journal.notes.recordEscrowIntent({
      txId: second.txId,
      device: 'acceptor',
      escrowCode: '0x64',
      denomination: 10_000,
    });
    journal.notes.markReturned({ noteId: returned });
    const other = journal.transactions.open({ account: '13900139000', limits: { maxAmount: 100_000 } });
    credit(other.txId, 10_000);

    expect(journal.transactions.creditedTotalForAccount('13800138000', new Date(0))).toBe(8000);
    expect(journal.transactions.creditedTotalForAccount('13800138000', since)).toBe(7000);
    expect(journal.transactions.creditedTotalForAccount('13900139000', since)).toBe(10_000);
    expect(journal.transactions.creditedTotalForAccount('13700137000', since)).toBe(0);
  });

  it('refuses a missing account or an invalid date', () => {
    const { journal } = tempJournal();
    for (const bad of [
      () => journal.transactions.creditedTotalForAccount('', new Date()),
      () => journal.transactions.creditedTotalForAccount('13800138000', new Date(Number.NaN)),
    ]) {
      try {
        bad();
        expect.unreachable();
      } catch (error) {
        expect(isKioskError(error, ErrorCode.JournalBadInput)).toBe(true);
      }
    }
  });
});

describe('transactionPayment', () => {
  it('gives the payment of a committed transaction, null for an open or cancelled one, and refuses an unknown txId', () => {
    const { journal } = tempJournal();
    const paid = journal.transactions.open({ account: '13800138000', limits: { maxAmount: 100_000 } });
    const noteId = journal.notes.recordEscrowIntent({
      txId: paid.txId,
      device: 'acceptor',
      escrowCode: '0x65',
      denomination: 5000,
    });
    journal.notes.commitCredit({ noteId });
    expect(journal.payments.ofTransaction(paid.txId)).toBeNull();
    const committed = journal.payments.commit({ txId: paid.txId, kind: 'complete', receipt: false });
    const payment = journal.payments.ofTransaction(paid.txId);
    expect(committed.outcome === 'committed' && committed.payment.paymentId).toBe(payment?.paymentId);
    expect(payment).toMatchObject({
      amount: 5000,
      kind: 'complete',
      notes: [{ denomination: 5000, count: 1 }],
    });

    const empty = journal.transactions.open({ account: '13800138000', limits: { maxAmount: 100_000 } });
    journal.payments.commit({ txId: empty.txId, kind: 'complete', receipt: false });
    expect(journal.payments.ofTransaction(empty.txId)).toBeNull();
    expect(() => journal.payments.ofTransaction('01JD3K6W2Q8ZJ4V9N1R5T7Y0AB')).toThrow(
      expect.objectContaining({ code: ErrorCode.JournalNotFound }),
    );
  });
});
