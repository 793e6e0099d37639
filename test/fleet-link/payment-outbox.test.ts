import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { frozenPayloadProblem } from '../../src/fleet-link/payment-outbox-sender.js';
import { paymentPayloadSchema } from '../../src/fleet-protocol/index.js';
import { FleetObserver, makePayments, paymentAck, seqOf, sleep, startOutboxRig } from './fleet-link-rig.js';

/** The outbox rig; `tamper` runs on the journal file before the link starts. */
function rig(
  options: {
    payments?: number;
    maxInFlight?: number;
    resendAfterMs?: number;
    tamper?: (db: Database.Database) => void;
  } = {},
) {
  const { tamper, ...rest } = options;
  return startOutboxRig({
    ...rest,
    prepare: (_journal, dir) => {
      if (tamper === undefined) return;
      const db = new Database(join(dir, 'journal.sqlite'));
      tamper(db);
      db.close();
    },
  });
}

describe('fleet link payment outbox', () => {
  it('delivers 100 payments in seq order, each acked by a ledger that acks what it stored', async () => {
    const { journal, fleet } = await rig({ payments: 100, maxInFlight: 16 });
    // A ledger: stores each payment once (by paymentId) and acks the gap-free prefix it holds.
    const stored = new Map<string, number>();
    let acked = 0;
    fleet.client.on('message', (topic, payload) => {
      if (!topic.endsWith('/payment')) return;
      const payment = paymentPayloadSchema.parse(JSON.parse(payload.toString('utf8')));
      stored.set(payment.paymentId, payment.seq);
      const seqs = new Set(stored.values());
      let through = acked;
      while (seqs.has(through + 1)) through += 1;
      if (through > acked) {
        acked = through;
        void fleet.publish('payment/ack', paymentAck({ ackThroughSeq: through }));
      }
    });
    await fleet.waitFor('all delivered', () => journal.outbox.stats().pending === 0 || undefined, 10_000);
    expect(journal.outbox.stats()).toMatchObject({ pending: 0, delivered: 100, lastSeq: 100 });
    const firstSends = [...new Set(fleet.on('payment').map(seqOf))];
    expect(firstSends).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(stored.size).toBe(100);
  });

  it('never has more than maxInFlight unacknowledged payments out, and moves on as acks arrive', async () => {
    const { journal, fleet } = await rig({ payments: 20, maxInFlight: 5 });
    await fleet.waitFor('first window', () => fleet.on('payment').length >= 5 || undefined);
    await sleep(400);
    expect(fleet.on('payment').map(seqOf)).toEqual([1, 2, 3, 4, 5]);
    await fleet.publish(
      'payment/ack',
      paymentAck({ paymentIds: [fleet.on('payment')[0]?.json['paymentId']] }),
    );
    await fleet.waitFor('seq 6', () => fleet.on('payment').some((m) => seqOf(m) === 6) || undefined);
    await sleep(400);
    expect(fleet.on('payment').map(seqOf)).toEqual([1, 2, 3, 4, 5, 6]);
    await fleet.publish('payment/ack', paymentAck({ ackThroughSeq: 6 }));
    await fleet.waitFor('seq 11', () => fleet.on('payment').some((m) => seqOf(m) === 11) || undefined);
    await sleep(300);
    expect(fleet.on('payment').map(seqOf)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(journal.outbox.stats()).toMatchObject({ pending: 14, delivered: 6 });
  });

  it('takes a PUBACK for nothing: with nobody acking, payments stay pending and are resent after resendAfterMs', async () => {
    const { broker, journal, fleet } = await rig({ payments: 2, resendAfterMs: 1000 });
    let takenByBroker = 0;
    broker.aedes.on('publish', (packet, client) => {
      if (client?.id === 'kioskd-K-0001' && packet.topic.endsWith('/payment')) takenByBroker += 1;
    });
    await fleet.waitFor('both sent', () => fleet.on('payment').length >= 2 || undefined);
    await sleep(500);
    // The broker took (and PUBACKed) both long ago; nothing is delivered, nothing resent yet.
    expect(takenByBroker).toBe(2);
    expect(journal.outbox.stats()).toMatchObject({ pending: 2, delivered: 0 });
    expect(fleet.on('payment')).toHaveLength(2);
    await fleet.waitFor('resends', () => fleet.on('payment').length >= 4 || undefined, 3000);
    expect(fleet.on('payment').map(seqOf)).toEqual([1, 2, 1, 2]);
    await fleet.waitFor(
      'attempts recorded',
      () => journal.outbox.pending({ limit: 10 }).every((e) => e.attempts === 2) || undefined,
    );
    expect(journal.outbox.stats().pending).toBe(2);
  });

  it('resends a payment whose ack was lost, and stops once the ack arrives', async () => {
    const { journal, fleet } = await rig({ payments: 1, resendAfterMs: 1000 });
    const first = await fleet.waitFor('payment', () => fleet.on('payment')[0]);
    // The ledger stored it, but its ack never reached the kiosk: nothing is published here.
    const resent = await fleet.waitFor('resend', () => fleet.on('payment')[1], 3000);
    expect(resent.json).toEqual(first.json);
    await fleet.publish('payment/ack', paymentAck({ paymentIds: [first.json['paymentId']] }));
    await fleet.waitFor('delivered', () => journal.outbox.stats().pending === 0 || undefined);
    const sends = fleet.on('payment').length;
    await sleep(1200);
    expect(fleet.on('payment')).toHaveLength(sends);
  });

  it("refuses acks for seqs or payments it never made, another kiosk's, or garbage, changing nothing and counting each", async () => {
    const { journal, fleet, link } = await rig({ payments: 3 });
    await fleet.waitFor('sent', () => fleet.on('payment').length >= 3 || undefined);
    await fleet.publish('payment/ack', paymentAck({ ackThroughSeq: 99 }));
    await fleet.publish(
      'payment/ack',
      paymentAck({ ackThroughSeq: 1, paymentIds: ['01ARZ3NDEKTSV4RRFFQ69G5FAV'] }),
    );
    await fleet.publish('payment/ack', paymentAck({ ackThroughSeq: 3, kioskId: 'K-0002' }));
    await fleet.publish('payment/ack', 'not json');
    await fleet.publish('payment/ack', paymentAck({}));
    const refused = () => [...link.refusalCounts().values()].reduce((a, b) => a + b, 0);
    await fleet.waitFor('five refusals', () => refused() >= 5 || undefined);
    expect(Object.fromEntries(link.refusalCounts())).toEqual({
      'ack:unknownSeq': 1,
      'ack:unknownPayment': 1,
      'ack:wrongKiosk': 1,
      'ack:notJson': 1,
      'ack:schema': 1,
    });
    expect(journal.outbox.stats()).toMatchObject({ pending: 3, delivered: 0 });
    expect(link.paymentsInFlight).toBe(3);
    // Still working: a good ack right after is applied.
    await fleet.publish('payment/ack', paymentAck({ ackThroughSeq: 3 }));
    await fleet.waitFor('delivered', () => journal.outbox.stats().pending === 0 || undefined);
  });

  it('does not send a row whose frozen payload is not its own, and sends the rest', async () => {
    const { journal, fleet, link } = await rig({
      payments: 4,
      tamper: (db) => {
        db.prepare(
          'UPDATE outbox SET payload = replace(payload, \'"K-0001"\', \'"K-0002"\') WHERE seq = 2',
        ).run();
        db.prepare(
          'UPDATE outbox SET payload = replace(payload, \'"seq":3,\', \'"seq":30,\') WHERE seq = 3',
        ).run();
      },
    });
    await fleet.waitFor('good rows', () => fleet.on('payment').length >= 2 || undefined);
    await sleep(400);
    expect(fleet.on('payment').map(seqOf)).toEqual([1, 4]);
    expect(link.paymentsInFlight).toBe(2);
    await fleet.publish(
      'payment/ack',
      paymentAck({ paymentIds: fleet.on('payment').map((m) => m.json['paymentId']) }),
    );
    await fleet.waitFor('two delivered', () => journal.outbox.stats().delivered === 2 || undefined);
    expect(journal.outbox.pending({ limit: 10 }).map((e) => e.seq)).toEqual([2, 3]);
  });

  it('checks a frozen payload against its row: kiosk, payment id and seq', () => {
    const payload =
      '{"v":1,"kioskId":"K-0001","ts":"2025-06-01T00:00:00.000Z","paymentId":"01ARZ3NDEKTSV4RRFFQ69G5FAV","seq":7,"account":null}';
    const row = { seq: 7, paymentId: '01ARZ3NDEKTSV4RRFFQ69G5FAV', payload };
    expect(frozenPayloadProblem('K-0001', row)).toBeUndefined();
    expect(frozenPayloadProblem('K-0002', row)).toMatch(/K-0002/);
    expect(frozenPayloadProblem('K-0001', { ...row, seq: 70 })).toMatch(/seq/);
    expect(frozenPayloadProblem('K-0001', { ...row, seq: 1 })).toMatch(/seq/);
    expect(frozenPayloadProblem('K-0001', { ...row, paymentId: '01ARZ3NDEKTSV4RRFFQ69G5FAW' })).toMatch(
      /paymentId/,
    );
    expect(frozenPayloadProblem('K-0001', { ...row, payload: payload.replace('"v":1', '"v":2') })).toMatch(
      /v1/,
    );
    expect(frozenPayloadProblem('K-0001', { ...row, payload: payload.replace('.000Z', 'Z') })).toBeDefined();
  });

  it('picks up a payment committed while connected within a poll, and after a reconnect sends every pending row again', async () => {
    const { broker, journal, fleet, link } = await rig();
    await link.waitForConnection(5000);
    const committedAt = Date.now();
    makePayments(journal, 1);
    await fleet.waitFor('new payment', () => fleet.on('payment')[0]);
    expect(Date.now() - committedAt).toBeLessThan(1000);
    makePayments(journal, 1);
    await fleet.waitFor('second payment', () => fleet.on('payment')[1]);

    broker.dropAllConnections();
    const again = await FleetObserver.connect(broker.url);
    await again.waitFor('both again', () => again.on('payment').length >= 2 || undefined, 5000);
    expect(again.on('payment').map(seqOf)).toEqual([1, 2]);
    await again.publish('payment/ack', paymentAck({ ackThroughSeq: 2 }));
    await again.waitFor('delivered', () => journal.outbox.stats().pending === 0 || undefined);
  });
});
