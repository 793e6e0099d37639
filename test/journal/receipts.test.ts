import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../core/errors.js';
import type { Journal } from '../../src/journal/journal.js';
import { creditNotes, openJournal, tempJournal } from './temp-journal.js';

function committedPayment(journal: Journal): string {
  const txId = creditNotes(journal, '13700000000', [10_000, 5_000]);
  const result = journal.payments.commit({ txId, kind: 'complete', receipt: true });
  if (result.outcome !== 'committed') throw new Error('no payment');
  return result.payment.paymentId;
}

describe('journal receipts', () => {
  it('records a print from begin to printed, and a later print only as an audited reprint', () => {
    const { journal } = tempJournal();
    const paymentId = committedPayment(journal);
    expect(journal.receipts.get(paymentId)).toBeNull();

    const begun = journal.receipts.begin({ paymentId, language: 'zh-CN', reprint: false, actor: 'kioskd' });
    expect(begun).toMatchObject({ state: 'printing', prints: 1, reason: null });
    expect(journal.receipts.finish(paymentId, { printed: true })).toMatchObject({
      state: 'printed',
      prints: 1,
    });

    expect(() =>
      journal.receipts.begin({ paymentId, language: 'zh-CN', reprint: false, actor: 'kioskd' }),
    ).toThrow(expect.objectContaining({ code: ErrorCode.JournalConflict }));
    const auditBefore = journal.summary().auditEntries;
    const again = journal.receipts.begin({ paymentId, language: 'en', reprint: true, actor: 'customer' });
    expect(again).toMatchObject({ state: 'printing', prints: 2, language: 'en' });
    expect(journal.summary().auditEntries).toBe(auditBefore + 1);
  });

  it('keeps how far a failed print got, and refuses a second print while one is under way', () => {
    const { journal } = tempJournal();
    const paymentId = committedPayment(journal);
    journal.receipts.begin({ paymentId, language: 'zh-CN', reprint: false, actor: 'kioskd' });
    expect(() =>
      journal.receipts.begin({ paymentId, language: 'zh-CN', reprint: true, actor: 'customer' }),
    ).toThrow(expect.objectContaining({ code: ErrorCode.JournalConflict }));
    const failed = journal.receipts.finish(paymentId, {
      printed: false,
      reason: 'paperOut',
      linesPrinted: 12,
      cut: false,
    });
    expect(failed).toMatchObject({ state: 'failed', reason: 'paperOut', linesPrinted: 12, cut: false });
    expect(() => journal.receipts.finish(paymentId, { printed: true })).toThrow(
      expect.objectContaining({ code: ErrorCode.JournalConflict }),
    );
  });

  it('settles a print a restart interrupted as failed, never as printed, and audits it', () => {
    const { journal, path } = tempJournal();
    const paymentId = committedPayment(journal);
    journal.receipts.begin({ paymentId, language: 'zh-CN', reprint: false, actor: 'kioskd' });
    journal.close();

    const reopened = openJournal(path);
    const settled = reopened.receipts.settleInterrupted();
    expect(settled).toEqual([expect.objectContaining({ paymentId, state: 'failed', reason: 'interrupted' })]);
    expect(reopened.receipts.settleInterrupted()).toEqual([]);
  });

  it('refuses a receipt for a payment the journal does not hold, and bad input, changing nothing', () => {
    const { journal } = tempJournal();
    expect(() =>
      journal.receipts.begin({ paymentId: '01NOPE', language: 'zh-CN', reprint: false, actor: 'kioskd' }),
    ).toThrow(expect.objectContaining({ code: ErrorCode.JournalNotFound }));
    const paymentId = committedPayment(journal);
    expect(() =>
      journal.receipts.begin({
        paymentId,
        language: 'zh-CN',
        reprint: 'yes' as unknown as boolean,
        actor: 'x',
      }),
    ).toThrow(expect.objectContaining({ code: ErrorCode.JournalBadInput }));
    expect(journal.receipts.get(paymentId)).toBeNull();
  });
});
