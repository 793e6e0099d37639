import { describe, expect, it } from 'vitest';
import { paymentPayload, sleep, useLedgerRig, waitFor } from './fleet-test-kit.js';

/**
 * The ledger commits a batch without syncing it and syncs the WAL on the thread pool: no ack
 * may leave before that sync has resolved, and none for a batch whose sync failed.
 */
const rig = useLedgerRig('ledger-sync', () => ({ sharedSubscription: false }));

/** Holds every WAL sync until released; fails the next `fail` of them. */
function gateSyncs() {
  const sync = rig.ledger.store.syncCommitted.bind(rig.ledger.store);
  const held: Array<() => void> = [];
  let fail = 0;
  rig.ledger.store.syncCommitted = () =>
    new Promise<void>((resolve, reject) => {
      held.push(() => {
        if (fail > 0) {
          fail -= 1;
          reject(new Error('fsync: input/output error (simulated)'));
        } else sync().then(resolve, reject);
      });
    });
  return {
    held: () => held.length,
    release: () => {
      for (const go of held.splice(0)) go();
    },
    failNext: (n: number) => (fail = n),
  };
}

describe('fleet ledger: acks wait for the WAL sync', () => {
  it('commits at once but acknowledges only after the sync; what comes meanwhile is the next batch', async () => {
    const gate = gateSyncs();
    await rig.kiosk.publish(paymentPayload('k-001', 1));
    await waitFor('the commit', () => rig.ledger.stats().stored === 1);
    await waitFor('a sync started', () => gate.held() === 1);
    await rig.kiosk.publish(paymentPayload('k-001', 2));
    await rig.kiosk.publish(paymentPayload('k-001', 3));
    await waitFor('both received', () => rig.ledger.stats().received === 3);
    await sleep(100);
    // They gather while the sync is in flight: neither committed nor synced nor acknowledged.
    expect(gate.held()).toBe(1);
    expect(rig.ledger.stats()).toMatchObject({ stored: 1, pending: 2, acked: 0 });
    expect(rig.kiosk.acks).toEqual([]);

    gate.release();
    await waitFor('the first ack', () => rig.kiosk.acks.length === 1);
    expect(rig.kiosk.acks[0]?.ackThroughSeq).toBe(1);
    await waitFor('the next batch committed and syncing', () => gate.held() === 1);
    expect(rig.ledger.stats()).toMatchObject({ stored: 3, pending: 0 });
    gate.release();
    await waitFor('the second ack', () => rig.kiosk.acks.length === 2);
    expect(rig.kiosk.acks[1]?.ackThroughSeq).toBe(3);
  });

  it('acknowledges nothing a failed sync was to cover; the resend is acknowledged after a good one', async () => {
    const gate = gateSyncs();
    gate.failNext(1);
    const payment = paymentPayload('k-001', 1);
    await rig.kiosk.publish(payment);
    await waitFor('a sync started', () => gate.held() === 1);
    gate.release();
    await waitFor('the failure counted', () => rig.ledger.stats().storeFailures === 1);
    await sleep(100);
    expect(rig.kiosk.acks).toEqual([]);

    await rig.kiosk.publish(payment);
    await waitFor('the resend synced', () => gate.held() === 1);
    gate.release();
    await waitFor('the ack of the resend', () => rig.kiosk.acks.length === 1);
    expect(rig.kiosk.acks[0]?.ackThroughSeq).toBe(1);
    expect(rig.ledger.stats()).toMatchObject({ stored: 1, duplicates: 1, acked: 1 });
  });
});
