import { afterEach, describe, expect, it } from 'vitest';
import { DEVICE, type RecoveryRig, startRecoveryRig } from './recovery-rig.js';

let rig: RecoveryRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

/**
 * The fleet's set of open alerts lives in memory: counters an earlier boot left inaccurate (a
 * collection's discrepancy) must be alerted again on every start until a technician reconciles.
 */
describe('start-up recovery: counters left inaccurate by an earlier boot', () => {
  it('raises countersInaccurate again with the stored reason, and nothing once reconciled', async () => {
    rig = startRecoveryRig();
    const first = await rig.boot();
    await first.recovery.settled;
    expect(first.alerts.recent()).toEqual([]);
    const reason = 'collection 01TEST: counted 10000 fen more than the journal expected';
    first.journal.cashbox.setCounterAccuracy(DEVICE, 'inaccurate', reason);
    await first.crash();

    const second = await rig.boot();
    await second.recovery.settled;
    expect(second.alerts.recent()).toEqual([
      expect.objectContaining({
        device: DEVICE,
        kind: 'countersInaccurate',
        details: expect.objectContaining({ reason }),
      }),
    ]);
    second.journal.cashbox.reconcile(DEVICE, [], 't-001');
    await second.crash();

    const third = await rig.boot();
    await third.recovery.settled;
    expect(third.alerts.recent()).toEqual([]);
  });
});
