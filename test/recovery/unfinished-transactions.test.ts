import { afterEach, describe, expect, it } from 'vitest';
import {
  expectLedgerMatchesJournal,
  openTopUp,
  type RecoveryRig,
  startRecoveryRig,
  waitIdle,
  waitUntil,
} from './recovery-rig.js';

let rig: RecoveryRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

/**
 * The daemon died in the middle of top-ups, with no note in flight: what the customer put in
 * is in the cashbox and must be paid, so a transaction with credited notes completes as a
 * partial payment (or complete, when the customer had already confirmed); one with nothing
 * credited is cancelled. Both before the acceptor even answers: they need nothing from it.
 */
describe('start-up recovery: unfinished transactions', () => {
  it('credited notes → one partial payment of their sum; nothing credited → cancelled', async () => {
    rig = startRecoveryRig();
    const before = await rig.boot();
    const { txId } = await openTopUp(before);
    for (const denomination of [10_000, 500, 500]) {
      rig.control({ action: 'note.insert', denomination });
      await waitUntil(
        'the credit',
        () =>
          before.journal.transactions.notes(txId).filter((n) => n.state === 'credited').length ===
          rig?.ledger().length,
      );
      await waitIdle(rig);
    }
    const empty = before.journal.transactions.open({ account: '13900139000', limits: { maxAmount: 1000 } });
    await before.crash();

    const after = await rig.boot({ firstContactTimeoutMs: 60_000 });
    // Settled at once, from the journal alone.
    const byTx = new Map(after.recovery.initial.closed.map((c) => [c.txId, c]));
    expect(byTx.get(txId)).toMatchObject({ outcome: 'committed', kind: 'partial', amount: 11_000 });
    expect(byTx.get(empty.txId)).toEqual({ outcome: 'cancelled', txId: empty.txId });
    const closed = byTx.get(txId);
    const payment = after.journal.payments.get(closed?.outcome === 'committed' ? closed.paymentId : '');
    expect(payment).toMatchObject({
      kind: 'partial',
      amount: 11_000,
      receipt: false,
      account: '13800138000',
    });
    expect(payment.notes).toEqual([
      { denomination: 10_000, count: 1 },
      { denomination: 500, count: 2 },
    ]);
    expect(after.journal.transactions.get(empty.txId).state).toBe('cancelled');
    expect(after.journal.transactions.unfinished()).toEqual([]);
    expect(after.journal.outbox.pending({ limit: 10 }).map((o) => o.paymentId)).toEqual([payment.paymentId]);
    const audited = after.journal.audit.tail(20).filter((e) => e.action === 'recovery.transactionClosed');
    expect(audited.map((e) => e.details['txId']).sort()).toEqual([txId, empty.txId].sort());

    await after.recovery.firstContact;
    expectLedgerMatchesJournal(rig, after.journal);
  });

  it('a transaction the customer had confirmed completes as complete, and the machine is told', async () => {
    rig = startRecoveryRig();
    const before = await rig.boot();
    const { txId } = await openTopUp(before);
    rig.control({ action: 'note.insert', denomination: 2000 });
    await waitUntil('the credit', () => before.journal.transactions.notes(txId)[0]?.state === 'credited');
    await waitIdle(rig);
    await before.crash();

    const told: unknown[] = [];
    const after = await rig.boot({
      topUps: {
        kind: (id) => (id === txId ? 'complete' : null),
        settled: (outcome) => void told.push(outcome),
      },
    });
    expect(after.recovery.initial.closed).toEqual([
      expect.objectContaining({ txId, outcome: 'committed', kind: 'complete', amount: 2000 }),
    ]);
    expect(told).toEqual(after.recovery.initial.closed);
    await after.recovery.firstContact;
    expectLedgerMatchesJournal(rig, after.journal);
  });

  it('restarting again changes nothing: recovery is idempotent', async () => {
    rig = startRecoveryRig();
    const before = await rig.boot();
    const { txId } = await openTopUp(before);
    rig.control({ action: 'note.insert', denomination: 100 });
    await waitUntil('the credit', () => before.journal.transactions.notes(txId)[0]?.state === 'credited');
    await waitIdle(rig);
    await before.crash();
    const second = await rig.boot();
    await second.recovery.firstContact;
    const summary = second.journal.summary();
    await second.crash();
    const third = await rig.boot();
    const report = await third.recovery.firstContact;
    expect(report.closed).toEqual([]);
    expect(report.voided).toEqual([]);
    expect({ ...third.journal.summary(), auditEntries: 0 }).toEqual({ ...summary, auditEntries: 0 });
    expect(third.journal.summary().payments).toBe(1);
    expectLedgerMatchesJournal(rig, third.journal);
  });
});
