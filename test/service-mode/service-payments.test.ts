import { afterEach, describe, expect, it } from 'vitest';
import type { Journal } from '../../src/journal/journal.js';
import { GOOD_PASSWORD, password, type ServiceFixture, serviceFixture } from './service-fixtures.js';

const fixtures: ServiceFixture[] = [];
afterEach(() => {
  for (const fixture of fixtures.splice(0)) fixture.close();
});

/** One committed top-up of `notes` for `account`; returns its payment id. */
function pay(journal: Journal, account: string, notes: number[], receipt: boolean): string {
  const tx = journal.transactions.open({ account, limits: { maxAmount: 1_000_000 } });
  for (const denomination of notes) {
    const noteId = journal.notes.recordEscrowIntent({
      txId: tx.txId,
      device: 'cashAcceptor',
      escrowCode: '0x61',
      denomination,
    });
    journal.notes.commitCredit({ noteId });
  }
  const result = journal.payments.commit({ txId: tx.txId, kind: 'complete', receipt });
  if (result.outcome !== 'committed') throw new Error('payment not committed');
  return result.payment.paymentId;
}

describe('the payments command', () => {
  it('lists the last n payments newest first, accounts masked, with what became of each receipt', async () => {
    const fixture = await serviceFixture();
    fixtures.push(fixture);
    const { journal, service } = fixture;
    const first = pay(journal, '13800138000', [1000], true);
    const second = pay(journal, '13912345678', [10_000, 5_000], false);
    const third = pay(journal, '15000001111', [2000], true);
    journal.receipts.begin({ paymentId: first, language: 'zh-CN', reprint: false, actor: 'kioskd' });
    journal.receipts.finish(first, { printed: true });
    journal.receipts.begin({ paymentId: third, language: 'en', reprint: false, actor: 'kioskd' });
    journal.receipts.finish(third, { printed: false, reason: 'paperOut', linesPrinted: 3, cut: false });

    const console = Symbol('console');
    await service.login('t-001', password(GOOD_PASSWORD), console, 'test');

    const all = (await service.run(console, 'payments', [])) as { payments: Array<Record<string, unknown>> };
    expect(all.payments.map((p) => p['paymentId'])).toEqual([third, second, first]);
    expect(all.payments[0]).toMatchObject({
      account: '150****1111',
      amount: 2000,
      currency: 'CNY',
      receipt: { due: true, print: 'failed', reason: 'paperOut', prints: 1 },
    });
    expect(all.payments[1]).toMatchObject({
      account: '139****5678',
      amount: 15_000,
      receipt: { due: false, print: 'none' },
    });
    expect(all.payments[2]).toMatchObject({
      account: '138****8000',
      receipt: { due: true, print: 'printed', prints: 1 },
    });
    expect(typeof all.payments[2]?.['at']).toBe('string');
    // No whole account number anywhere in the answer.
    expect(JSON.stringify(all)).not.toMatch(/1\d{10}/);

    const two = (await service.run(console, 'payments', ['2'])) as {
      payments: Array<Record<string, unknown>>;
    };
    expect(two.payments.map((p) => p['paymentId'])).toEqual([third, second]);
    // last-payment is still there, and masks the account too.
    const last = await service.run(console, 'last-payment', []);
    expect(last).toMatchObject({ payment: { paymentId: third } });
    expect(JSON.stringify(last)).not.toMatch(/1\d{10}/);
  });

  it('refuses an n that is not 1 to 100, naming it, and audits the refusal', async () => {
    const fixture = await serviceFixture();
    fixtures.push(fixture);
    const console = Symbol('console');
    await fixture.service.login('t-001', password(GOOD_PASSWORD), console, 'test');
    for (const bad of ['0', '101', '-1', '2.5', 'ten', '1e2', '0010']) {
      await expect(fixture.service.run(console, 'payments', [bad])).rejects.toMatchObject({
        code: 'badArgs',
        message: expect.stringContaining(`n must be an integer from 1 to 100, got "${bad}"`),
      });
    }
    await expect(fixture.service.run(console, 'payments', ['1', '2'])).rejects.toMatchObject({
      code: 'badArgs',
    });
    // An empty journal answers an empty list, not an error.
    expect(await fixture.service.run(console, 'payments', ['100'])).toEqual({ payments: [] });
    const refusals = fixture.journal.audit
      .tail(20)
      .filter((e) => e.action === 'service.payments' && e.details['outcome'] === 'refused');
    expect(refusals).toHaveLength(8);
  });
});
