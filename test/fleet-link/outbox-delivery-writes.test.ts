import { describe, expect, it } from 'vitest';
import type { Journal } from '../../src/journal/journal.js';
import { paymentAck, seqOf, sleep, startOutboxRig } from './fleet-link-rig.js';

/**
 * Acks the window can vouch for free their slots at once and reach the journal together, a
 * few writes for many acks; what the journal has not written yet is never resent, and a
 * failed write is tried again rather than forgotten.
 */
async function rig(payments: number, maxInFlight: number, resendAfterMs = 60_000) {
  const writes: Array<Parameters<Journal['outbox']['markDelivered']>[0]> = [];
  let failNext = 0;
  const started = await startOutboxRig({
    payments,
    maxInFlight,
    resendAfterMs,
    prepare: (journal) => {
      const markDelivered = journal.outbox.markDelivered.bind(journal.outbox);
      journal.outbox.markDelivered = (delivery) => {
        writes.push(delivery);
        if (failNext > 0) {
          failNext -= 1;
          throw new Error('disk I/O error (simulated)');
        }
        return markDelivered(delivery);
      };
    },
  });
  return { ...started, writes, failNextWrites: (n: number) => (failNext = n) };
}

describe('fleet link: journal writes of delivered payments', () => {
  it('moves the window on at each ack and writes many acks at once, every payment sent once in seq order', async () => {
    const { journal, fleet, writes } = await rig(200, 40);
    // A ledger acking every 10 payments it has seen, as its commits would.
    let seen = 0;
    fleet.client.on('message', (topic) => {
      if (!topic.endsWith('/payment')) return;
      seen += 1;
      if (seen % 10 === 0) void fleet.publish('payment/ack', paymentAck({ ackThroughSeq: seen }));
    });
    await fleet.waitFor('all delivered', () => journal.outbox.stats().pending === 0 || undefined, 10_000);
    expect(fleet.on('payment').map(seqOf)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(journal.outbox.stats()).toMatchObject({ delivered: 200, pending: 0 });
    // 20 acks; written together, never one write per ack.
    expect(writes.length).toBeLessThan(20);
    expect(writes.at(-1)).toMatchObject({ throughSeq: 200 });
  });

  it('writes at once when nothing is left in flight', async () => {
    const { journal, fleet, writes } = await rig(3, 10);
    await fleet.waitFor('sent', () => fleet.on('payment').length >= 3 || undefined);
    await fleet.publish('payment/ack', paymentAck({ ackThroughSeq: 3 }));
    await fleet.waitFor('delivered', () => journal.outbox.stats().pending === 0 || undefined);
    expect(writes).toEqual([{ throughSeq: 3 }]);
  });

  it('keeps an acknowledged payment it could not write, tries again, and never resends it meanwhile', async () => {
    const { journal, fleet, link, writes, failNextWrites } = await rig(4, 4, 1000);
    await fleet.waitFor('sent', () => fleet.on('payment').length >= 4 || undefined);
    failNextWrites(1);
    await fleet.publish('payment/ack', paymentAck({ ackThroughSeq: 2 }));
    await fleet.waitFor('a failed write', () => writes.length >= 1 || undefined);
    expect(journal.outbox.stats()).toMatchObject({ pending: 4, delivered: 0 });
    expect(link.paymentsInFlight).toBe(2);
    await fleet.waitFor(
      'written on the retry',
      () => journal.outbox.stats().delivered === 2 || undefined,
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
    await fleet.publish('payment/ack', paymentAck({ ackThroughSeq: 1 }));
    await fleet.waitFor(
      'the attempt of seq 2',
      () => journal.outbox.pending({ limit: 10 })[0]?.attempts === 1 || undefined,
      3000,
    );
    expect(journal.outbox.pending({ limit: 10 }).map((e) => [e.seq, e.attempts])).toEqual([[2, 1]]);
    expect(journal.outbox.stats()).toMatchObject({ delivered: 1, pending: 1, maxPendingAttempts: 1 });
  });

  it('still lets the journal judge an ack the window cannot vouch for', async () => {
    const { journal, fleet, link } = await rig(3, 10);
    await fleet.waitFor('sent', () => fleet.on('payment').length >= 3 || undefined);
    await fleet.publish('payment/ack', paymentAck({ ackThroughSeq: 1 }));
    await fleet.publish('payment/ack', paymentAck({ ackThroughSeq: 9 }));
    await fleet.waitFor('refused', () => link.refusalCounts().size >= 1 || undefined);
    expect(Object.fromEntries(link.refusalCounts())).toEqual({ 'ack:unknownSeq': 1 });
    await fleet.waitFor('the good one written', () => journal.outbox.stats().delivered === 1 || undefined);
    expect(journal.outbox.stats().pending).toBe(2);
  });
});
