import { describe, expect, it } from 'vitest';
import { startFleetLink } from '../../src/fleet-link/start-fleet-link.js';
import type { Journal } from '../../src/journal/journal.js';
import { silentLogger } from '../../src/log.js';
import {
  FleetObserver,
  KIOSK_ID,
  linkConfig,
  makePayments,
  onCleanup,
  openJournal,
  sleep,
  startTestBroker,
  tempDir,
} from './fleet-link-rig.js';

/**
 * Acks the window can vouch for free their slots at once and reach the journal together, a
 * few writes for many acks; what the journal has not written yet is never resent, and a
 * failed write is tried again rather than forgotten.
 */
function ack(fields: Record<string, unknown>): Record<string, unknown> {
  return { v: 1, kioskId: KIOSK_ID, ts: new Date().toISOString(), ...fields };
}

const seqOf = (m: { json: Record<string, unknown> }) => m.json['seq'] as number;

async function rig(payments: number, maxInFlight: number, resendAfterMs = 60_000) {
  const broker = await startTestBroker();
  const dir = tempDir();
  const journal = openJournal(dir);
  makePayments(journal, payments);
  const writes: Array<Parameters<Journal['markDelivered']>[0]> = [];
  let failNext = 0;
  const markDelivered = journal.markDelivered.bind(journal);
  journal.markDelivered = (delivery) => {
    writes.push(delivery);
    if (failNext > 0) {
      failNext -= 1;
      throw new Error('disk I/O error (simulated)');
    }
    return markDelivered(delivery);
  };
  const fleet = await FleetObserver.connect(broker.url);
  const config = linkConfig({
    dataDir: dir,
    brokerUrl: broker.url,
    fleet: { outbox: { maxInFlight, resendAfterMs } },
  });
  const { link } = startFleetLink({ config, journal, logger: silentLogger() });
  onCleanup(() => link.stop());
  return { journal, fleet, link, writes, failNextWrites: (n: number) => (failNext = n) };
}

describe('fleet link: journal writes of delivered payments', () => {
  it('moves the window on at each ack and writes many acks at once, every payment sent once in seq order', async () => {
    const { journal, fleet, writes } = await rig(200, 40);
    // A ledger acking every 10 payments it has seen, as its commits would.
    let seen = 0;
    fleet.client.on('message', (topic) => {
      if (!topic.endsWith('/payment')) return;
      seen += 1;
      if (seen % 10 === 0) void fleet.publish('payment/ack', ack({ ackThroughSeq: seen }));
    });
    await fleet.waitFor('all delivered', () => journal.outboxStats().pending === 0 || undefined, 10_000);
    expect(fleet.on('payment').map(seqOf)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(journal.outboxStats()).toMatchObject({ delivered: 200, pending: 0 });
    // 20 acks; written together, never one write per ack.
    expect(writes.length).toBeLessThan(20);
    expect(writes.at(-1)).toMatchObject({ throughSeq: 200 });
  });

  it('writes at once when nothing is left in flight', async () => {
    const { journal, fleet, writes } = await rig(3, 10);
    await fleet.waitFor('sent', () => fleet.on('payment').length >= 3 || undefined);
    await fleet.publish('payment/ack', ack({ ackThroughSeq: 3 }));
    await fleet.waitFor('delivered', () => journal.outboxStats().pending === 0 || undefined);
    expect(writes).toEqual([{ throughSeq: 3 }]);
  });

  it('keeps an acknowledged payment it could not write, tries again, and never resends it meanwhile', async () => {
    const { journal, fleet, link, writes, failNextWrites } = await rig(4, 4, 1000);
    await fleet.waitFor('sent', () => fleet.on('payment').length >= 4 || undefined);
    failNextWrites(1);
    await fleet.publish('payment/ack', ack({ ackThroughSeq: 2 }));
    await fleet.waitFor('a failed write', () => writes.length >= 1 || undefined);
    expect(journal.outboxStats()).toMatchObject({ pending: 4, delivered: 0 });
    expect(link.paymentsInFlight).toBe(2);
    await fleet.waitFor(
      'written on the retry',
      () => journal.outboxStats().delivered === 2 || undefined,
      3000,
    );
    expect(writes.length).toBeGreaterThanOrEqual(2);
    // Past resendAfterMs: seqs 3 and 4 (unacked) come again, 1 and 2 never do.
    await sleep(1300);
    const resent = fleet.on('payment').slice(4).map(seqOf);
    expect(resent.length).toBeGreaterThan(0);
    expect(resent.every((seq) => seq === 3 || seq === 4)).toBe(true);
  });

  it('records a send attempt for a payment left unacknowledged, none for one acknowledged at once', async () => {
    const { journal, fleet } = await rig(2, 10);
    await fleet.waitFor('sent', () => fleet.on('payment').length >= 2 || undefined);
    await fleet.publish('payment/ack', ack({ ackThroughSeq: 1 }));
    await fleet.waitFor(
      'the attempt of seq 2',
      () => journal.outboxPending({ limit: 10 })[0]?.attempts === 1 || undefined,
      3000,
    );
    expect(journal.outboxPending({ limit: 10 }).map((e) => [e.seq, e.attempts])).toEqual([[2, 1]]);
    expect(journal.outboxStats()).toMatchObject({ delivered: 1, pending: 1, maxPendingAttempts: 1 });
  });

  it('still lets the journal judge an ack the window cannot vouch for', async () => {
    const { journal, fleet } = await rig(3, 10);
    await fleet.waitFor('sent', () => fleet.on('payment').length >= 3 || undefined);
    await fleet.publish('payment/ack', ack({ ackThroughSeq: 1 }));
    await fleet.publish('payment/ack', ack({ ackThroughSeq: 9 }));
    const reasons = () =>
      journal
        .auditTail(50)
        .filter((e) => e.action === 'ack.rejected')
        .map((e) => e.details['reason']);
    await fleet.waitFor('refused', () => reasons().length >= 1 || undefined);
    expect(reasons()).toEqual(['unknownSeq']);
    await fleet.waitFor('the good one written', () => journal.outboxStats().delivered === 1 || undefined);
    expect(journal.outboxStats().pending).toBe(2);
  });
});
