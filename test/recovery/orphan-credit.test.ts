import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DEVICE,
  emitterOf,
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
 * A credit the device reports that no transaction or intent explains is money in the cashbox
 * all the same: it is journaled as an orphan credit, alerted, and paid out as an orphan payment
 * when its value is known — never dropped. Unknown value makes the counters inaccurate.
 */
describe('start-up recovery: orphan credits', () => {
  it('a credit the journal never expected (a replaced journal): orphan, alerted, counters inaccurate', async () => {
    rig = startRecoveryRig();
    const before = await rig.boot();
    await openTopUp(before);
    rig.afterCommand('stack2', () => rig?.control({ action: 'cable.unplug' }));
    rig.control({ action: 'note.insert', denomination: 5000 });
    await waitUntil('VEND VALID owed', () => rig?.model().status === 'vendValid');
    await before.crash();
    rig.control({ action: 'cable.plug' });

    // The kiosk PC comes back with an empty journal: nothing there knows this note.
    const after = await rig.boot({ journalPath: join(rig.journalPath, '..', 'fresh.sqlite') });
    const report = await after.recovery.firstContact;
    await waitIdle(rig);

    const orphans = after.journal.orphans.list();
    expect(orphans).toHaveLength(1);
    expect(orphans[0]).toMatchObject({ device: DEVICE, denomination: null, paymentId: null });
    // Only the fleet link marks an alert as raised, once the fleet has it.
    expect(orphans[0]?.alertRaisedAt).toBeNull();
    expect(after.alerts.recent()).toEqual([
      expect.objectContaining({ kind: 'orphanCredit', alertId: orphans[0]?.orphanId, action: 'maintenance' }),
    ]);
    expect(report.orphans.alerted).toEqual([orphans[0]?.orphanId]);
    expect(report.orphans.unpaid).toEqual([orphans[0]?.orphanId]);
    expect(after.journal.cashbox.counters(DEVICE)).toMatchObject({
      accuracy: 'inaccurate',
      totalCount: 1,
      denominations: [{ denomination: 0, count: 1, value: 0 }],
    });
    expect(rig.ledger().map((e) => e.denomination)).toEqual([5000]);
    expect(after.journal.checkConservation()).toEqual([]);

    // A technician resolves the value; the next start pays it out.
    after.journal.orphans.resolveDenomination(orphans[0]?.orphanId ?? '', 5000, 'tech-1');
    await after.crash();
    const again = await rig.boot({ journalPath: join(rig.journalPath, '..', 'fresh.sqlite') });
    expect(again.recovery.initial.orphans.paid).toEqual([orphans[0]?.orphanId]);
    const paid = again.journal.orphans.list()[0];
    expect(again.journal.payments.get(paid?.paymentId ?? '')).toMatchObject({ kind: 'orphan', amount: 5000 });
    expect(again.journal.checkConservation()).toEqual([]);
  });

  it('an orphan the last run recorded but did not pay: paid once; raised until the fleet has it', async () => {
    rig = startRecoveryRig();
    const before = await rig.boot();
    await before.recovery.firstContact;
    const { orphanId } = before.journal.orphans.record({
      device: DEVICE,
      escrowCode: '0x64',
      denomination: 2000,
      reason: 'credited after its transaction was cancelled',
    });
    await before.crash();

    const after = await rig.boot();
    expect(after.recovery.initial.orphans).toEqual({ paid: [orphanId], alerted: [orphanId], unpaid: [] });
    const orphan = after.journal.orphans.get(orphanId);
    const payment = after.journal.payments.get(orphan.paymentId ?? '');
    expect(payment).toMatchObject({ kind: 'orphan', amount: 2000, account: null, orphanId });
    expect(after.journal.outbox.pending({ limit: 5 }).map((o) => o.payload.kind)).toEqual(['orphan']);
    expect(after.alerts.recent()).toEqual([
      expect.objectContaining({
        alertId: orphanId,
        details: expect.objectContaining({ paymentId: payment.paymentId }),
      }),
    ]);
    // Once per process: a later credit's sweep does not raise it again.
    emitterOf(after.acceptor.device).emit('credited', { source: 'credit', noteId: 'x' });
    expect(after.alerts.recent()).toHaveLength(1);
    await after.recovery.firstContact;
    // The fleet link takes the alert and marks it.
    after.journal.orphans.markAlerted(orphanId);
    await after.crash();

    const third = await rig.boot();
    await third.recovery.firstContact;
    expect(third.recovery.initial.orphans).toEqual({ paid: [], alerted: [], unpaid: [] });
    expect(third.alerts.recent()).toEqual([]);
    expect(third.journal.summary().payments).toBe(1);
    expect(third.journal.checkConservation()).toEqual([]);
  });
});
