import { join } from 'node:path';
import { setImmediate as yieldToLink } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FleetLedger } from '../../src/fleet/ledger.js';
import { type FleetLink, startFleetLink } from '../../src/fleet-link/index.js';
import { Journal } from '../../src/journal/journal.js';
import { silentLogger } from '../../src/log.js';
import {
  type E2eRig,
  expectLedgerHoldsJournal,
  linkConfigFor,
  startLedger,
  startRig,
  waitUntil,
} from './fleet-e2e-rig.js';
import { makePayment } from './journal-payments.js';

// Payments from a real journal, through the real fleet link, a real Mosquitto (mutual TLS,
// the seeds' ACL) and the real ledger: whatever happens to the broker, every payment ends up
// in the ledger once, in seq order, and the journal learns it only from the ledger's ack.
const PAYMENTS = 1_000;

let rig: E2eRig;
const cleanups: Array<() => Promise<void> | void> = [];

beforeAll(async () => {
  rig = await startRig();
});

afterAll(async () => {
  await rig?.dispose();
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  if (!rig.broker.running) await rig.broker.start();
});

function openKiosk(kioskId: string): { journal: Journal; start: () => FleetLink; dataDir: string } {
  const dataDir = rig.subdir(kioskId);
  const journal = Journal.open({ path: join(dataDir, 'journal.sqlite'), kioskId, logger: silentLogger() });
  cleanups.push(() => journal.close());
  const start = () => {
    const { link } = startFleetLink({
      config: linkConfigFor(rig, kioskId, dataDir),
      journal,
      logger: silentLogger(),
    });
    cleanups.push(() => link.stop());
    return link;
  };
  return { journal, start, dataDir };
}

function ledgerFor(name: string, options: Parameters<typeof startLedger>[2] = {}): FleetLedger {
  const ledger = startLedger(rig, join(rig.subdir(`ledger-${name}`), 'ledger.sqlite'), options);
  cleanups.push(() => ledger.stop());
  return ledger;
}

describe('payments over a real broker', () => {
  it('made while Mosquitto is down the whole time: all 1,000 arrive once, in seq order, after it starts', async () => {
    await rig.broker.stop();
    const ledger = ledgerFor('outage');
    const kiosk = openKiosk('K-OUTAGE');
    const link = kiosk.start();
    for (let i = 0; i < PAYMENTS; i++) makePayment(kiosk.journal, i);
    link.kick();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(link.connected).toBe(false);
    expect(kiosk.journal.outbox.stats()).toMatchObject({ pending: PAYMENTS, delivered: 0 });

    await rig.broker.start();
    await waitUntil(() => kiosk.journal.outbox.stats().pending === 0, 30_000, 'every payment acknowledged');

    expectLedgerHoldsJournal(ledger, kiosk.journal, PAYMENTS);
    expect(ledger.stats()).toMatchObject({ stored: PAYMENTS, invalid: 0, seqConflicts: 0 });
    // One connection, nothing lost on it: the ledger stored them in the order they were made.
    const received = ledger.payments('K-OUTAGE').map((p) => p.receivedAt);
    expect(received).toEqual([...received].sort());
  });

  it('with Mosquitto killed and restarted mid-flight: all 1,000 once, in seq order', async () => {
    const ledger = ledgerFor('restart');
    await ledger.whenSubscribed();
    const kiosk = openKiosk('K-RESTART');
    const link = kiosk.start();
    const firstEpoch = await link.waitForConnection(10_000);
    let pendingAtKill = 0;
    for (let i = 0; i < PAYMENTS; i++) {
      makePayment(kiosk.journal, i);
      link.kick();
      if (i % 5 === 0) await yieldToLink();
      if (i === 400) {
        pendingAtKill = kiosk.journal.outbox.stats().pending;
        await rig.broker.kill();
      }
      if (i === 700) await rig.broker.start();
    }
    await waitUntil(() => kiosk.journal.outbox.stats().pending === 0, 30_000, 'every payment acknowledged');

    expect(pendingAtKill).toBeGreaterThan(0);
    expect(link.epoch).toBeGreaterThan(firstEpoch);
    expectLedgerHoldsJournal(ledger, kiosk.journal, PAYMENTS);
    expect(ledger.stats().seqConflicts).toBe(0);
  });

  it('a payment whose ack was lost is sent again and stored once', async () => {
    // The ledger holds each payment a second before committing it, so the kiosk can be gone
    // by the time its ack goes out: the broker drops an ack for a kiosk that is not there.
    const ledger = ledgerFor('lost-ack', { batchDelayMs: 1_000 });
    await ledger.whenSubscribed();
    const kiosk = openKiosk('K-LOSTACK');
    const first = kiosk.start();
    await first.waitForConnection(10_000);
    makePayment(kiosk.journal, 0);
    first.kick();
    await waitUntil(() => ledger.stats().received === 1, 5_000, 'the ledger to receive the payment');
    await first.stop();
    await waitUntil(() => ledger.stats().acked === 1, 5_000, 'the ledger to store and acknowledge it');

    expect(ledger.payments('K-LOSTACK')).toHaveLength(1);
    expect(kiosk.journal.outbox.stats()).toMatchObject({ pending: 1, delivered: 0 });

    const second = kiosk.start();
    await second.waitForConnection(10_000);
    await waitUntil(
      () => kiosk.journal.outbox.stats().pending === 0,
      10_000,
      'the resent payment to be acknowledged',
    );

    // Sent at least twice (the ledger's slow commit may let the kiosk resend once more), stored
    // once. A resend that came after the committed one may still wait in the ledger's next batch.
    await waitUntil(
      () => {
        const { received, stored, duplicates } = ledger.stats();
        return stored + duplicates === received;
      },
      5_000,
      'the ledger to commit every copy it received',
    );
    const stats = ledger.stats();
    expect(stats.received).toBeGreaterThanOrEqual(2);
    expect(stats).toMatchObject({ stored: 1, duplicates: stats.received - 1 });
    expectLedgerHoldsJournal(ledger, kiosk.journal, 1);
  });
});
