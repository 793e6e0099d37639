import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FleetLedger } from '../../src/fleet/ledger.js';
import type { EmbeddedBroker } from '../../src/fleet-broker/embedded-broker.js';
import { silentLogger } from '../../src/log.js';
import { FakeKiosk, paymentPayload, scratchDir, sleep, startTestBroker, waitFor } from './fleet-test-kit.js';

/**
 * The ledger commits a batch without syncing it and syncs the WAL on the thread pool: no ack
 * may leave before that sync has resolved, and none for a batch whose sync failed.
 */
let broker: EmbeddedBroker;
let dir: ReturnType<typeof scratchDir>;
let ledger: FleetLedger;
let kiosk: FakeKiosk;

beforeEach(async () => {
  broker = await startTestBroker();
  dir = scratchDir('ledger-sync');
  ledger = FleetLedger.start({
    broker: { url: broker.url, protocolVersion: 4 },
    dbPath: join(dir.path, 'ledger.sqlite'),
    logger: silentLogger(),
    sharedSubscription: false,
  });
  await ledger.whenSubscribed();
  kiosk = await FakeKiosk.connect(broker.url, 'k-001');
});

afterEach(async () => {
  await kiosk.close();
  await ledger.stop();
  await broker.close();
  dir.remove();
});

/** Holds every WAL sync until released; fails the next `fail` of them. */
function gateSyncs() {
  const sync = ledger.store.syncCommitted.bind(ledger.store);
  const held: Array<() => void> = [];
  let fail = 0;
  ledger.store.syncCommitted = () =>
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
    await kiosk.publish(paymentPayload('k-001', 1));
    await waitFor('the commit', () => ledger.stats().stored === 1);
    await waitFor('a sync started', () => gate.held() === 1);
    await kiosk.publish(paymentPayload('k-001', 2));
    await kiosk.publish(paymentPayload('k-001', 3));
    await waitFor('both received', () => ledger.stats().received === 3);
    await sleep(100);
    // They gather while the sync is in flight: neither committed nor synced nor acknowledged.
    expect(gate.held()).toBe(1);
    expect(ledger.stats()).toMatchObject({ stored: 1, pending: 2, acked: 0 });
    expect(kiosk.acks).toEqual([]);

    gate.release();
    await waitFor('the first ack', () => kiosk.acks.length === 1);
    expect(kiosk.acks[0]?.ackThroughSeq).toBe(1);
    await waitFor('the next batch committed and syncing', () => gate.held() === 1);
    expect(ledger.stats()).toMatchObject({ stored: 3, pending: 0 });
    gate.release();
    await waitFor('the second ack', () => kiosk.acks.length === 2);
    expect(kiosk.acks[1]?.ackThroughSeq).toBe(3);
  });

  it('acknowledges nothing a failed sync was to cover; the resend is acknowledged after a good one', async () => {
    const gate = gateSyncs();
    gate.failNext(1);
    const payment = paymentPayload('k-001', 1);
    await kiosk.publish(payment);
    await waitFor('a sync started', () => gate.held() === 1);
    gate.release();
    await waitFor('the failure counted', () => ledger.stats().storeFailures === 1);
    await sleep(100);
    expect(kiosk.acks).toEqual([]);

    await kiosk.publish(payment);
    await waitFor('the resend synced', () => gate.held() === 1);
    gate.release();
    await waitFor('the ack of the resend', () => kiosk.acks.length === 1);
    expect(kiosk.acks[0]?.ackThroughSeq).toBe(1);
    expect(ledger.stats()).toMatchObject({ stored: 1, duplicates: 1, acked: 1 });
  });
});
