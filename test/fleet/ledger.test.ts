import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { FleetLedger } from '../../src/fleet/ledger.js';
import { startEmbeddedBroker } from '../../src/fleet-broker/embedded-broker.js';
import { silentLogger } from '../../src/log.js';
import { FakeKiosk, paymentPayload, scratchDir, sleep, useLedgerRig, waitFor } from './fleet-test-kit.js';
import { TEST_LEDGER_KEY } from './ledger-test-keys.js';

const rig = useLedgerRig('ledger', () => ({ probeTimeoutMs: 200 }));

describe('fleet ledger against the embedded broker', () => {
  it('notices that Aedes does not honour $share and subscribes plainly', () => {
    expect(rig.ledger.subscription).toEqual({ topic: 'kiosk/v1/+/payment', shared: false });
  });

  it('stores payments and acknowledges them through the contiguous seq, naming none of them', async () => {
    const sent = [1, 2, 3].map((seq) => paymentPayload('k-001', seq));
    for (const p of sent) await rig.kiosk.publish(p);
    await waitFor('three acked ids', () => rig.kiosk.ackedIds().length === 3);
    expect(rig.kiosk.ackedIds().sort()).toEqual(sent.map((p) => p.paymentId).sort());
    expect(rig.kiosk.acks.at(-1)?.ackThroughSeq).toBe(3);
    expect(rig.kiosk.acks.every((a) => a.paymentIds === undefined)).toBe(true);
    const stored = rig.ledger.payments('k-001');
    expect(stored.map((p) => [p.seq, p.paymentId, p.amount])).toEqual(
      sent.map((p) => [p.seq, p.paymentId, p.amount]),
    );
    expect(stored[0]?.notes).toEqual([{ denomination: 5000, count: 1 }]);
    expect(rig.ledger.stats()).toMatchObject({
      received: 3,
      stored: 3,
      duplicates: 0,
      invalid: 0,
      acked: 3,
      gaps: 0,
    });
  });

  it('stores a payment delivered twice once, and acknowledges it both times', async () => {
    const payment = paymentPayload('k-001', 1);
    await rig.kiosk.publish(payment);
    await waitFor('first ack', () => rig.kiosk.acks.length === 1);
    await rig.kiosk.publish(payment);
    await waitFor('second ack', () => rig.kiosk.acks.length === 2);
    expect(rig.kiosk.acks.map((a) => a.ackThroughSeq)).toEqual([1, 1]);
    expect(rig.ledger.payments('k-001')).toHaveLength(1);
    expect(rig.ledger.stats()).toMatchObject({ received: 2, stored: 1, duplicates: 1, acked: 2 });
  });

  it('sends no ack when the store fails, and acks the resend once the store works again', async () => {
    const side = new Database(join(rig.dir.path, 'ledger.sqlite'));
    side.exec(
      "CREATE TRIGGER refuse BEFORE INSERT ON ledger_payments BEGIN SELECT RAISE(ABORT, 'disk trouble'); END",
    );
    const payment = paymentPayload('k-001', 1);
    await rig.kiosk.publish(payment);
    await waitFor('the failed commit', () => rig.ledger.stats().storeFailures === 1);
    await sleep(200);
    expect(rig.kiosk.acks).toEqual([]);
    expect(rig.ledger.payments('k-001')).toEqual([]);
    expect(rig.ledger.stats()).toMatchObject({ stored: 0, acked: 0 });

    side.exec('DROP TRIGGER refuse');
    side.close();
    await rig.kiosk.publish(payment);
    await waitFor('the ack of the resend', () => rig.kiosk.acks.length === 1);
    expect(rig.kiosk.acks[0]).toMatchObject({ ackThroughSeq: 1 });
    expect(rig.ledger.payments('k-001')).toHaveLength(1);
  });

  it('acks through the last contiguous seq only, reports the gap, and closes it when the seq arrives', async () => {
    const [p1, p2, p3, p4] = [1, 2, 3, 4].map((seq) => paymentPayload('k-001', seq));
    for (const p of [p1, p2, p4]) await rig.kiosk.publish(p);
    await waitFor('three acked ids', () => rig.kiosk.ackedIds().length === 3);
    // Seq 4 lies beyond the hole: it is named, beside the prefix that is whole.
    const ackOf4 = rig.kiosk.acks.find((a) => a.paymentIds?.includes(p4!.paymentId));
    expect(ackOf4).toMatchObject({ ackThroughSeq: 2, paymentIds: [p4!.paymentId] });
    expect(rig.ledger.gaps()).toEqual([{ kioskId: 'k-001', fromSeq: 3, toSeq: 3 }]);
    expect(rig.ledger.stats().gaps).toBe(1);

    await rig.kiosk.publish(p3);
    await waitFor('the ack of seq 3', () => rig.kiosk.ackedIds().includes(p3!.paymentId));
    expect(rig.kiosk.acks.at(-1)?.ackThroughSeq).toBe(4);
    expect(rig.ledger.gaps()).toEqual([]);
    expect(rig.ledger.payments('k-001').map((p) => p.seq)).toEqual([1, 2, 3, 4]);
  });

  it('does not send ackThroughSeq while seq 1 is missing', async () => {
    const p2 = paymentPayload('k-001', 2);
    await rig.kiosk.publish(p2);
    await waitFor('the ack', () => rig.kiosk.acks.length === 1);
    expect(rig.kiosk.acks[0]).toEqual(expect.objectContaining({ paymentIds: [p2.paymentId] }));
    expect(rig.kiosk.acks[0]).not.toHaveProperty('ackThroughSeq');
    expect(rig.ledger.gaps()).toEqual([{ kioskId: 'k-001', fromSeq: 1, toSeq: 1 }]);
  });

  it('names every payment, without a seq prefix, in a batch where a seq came under a second id', async () => {
    const first = paymentPayload('k-001', 1);
    await rig.kiosk.publish(first);
    await waitFor('first ack', () => rig.kiosk.acks.length === 1);
    // Another journal's seq 1 (a replaced disk): stored too, but the prefix is not its own.
    const other = { ...paymentPayload('k-001', 2), seq: 1 };
    await rig.kiosk.publish(other);
    await waitFor('second ack', () => rig.kiosk.acks.length === 2);
    expect(rig.kiosk.acks[1]).toEqual(expect.objectContaining({ paymentIds: [other.paymentId] }));
    expect(rig.kiosk.acks[1]).not.toHaveProperty('ackThroughSeq');
    expect(rig.ledger.stats()).toMatchObject({ stored: 2, seqConflicts: 1, acked: 2 });
  });

  it('neither stores nor acknowledges invalid payloads, and counts them', async () => {
    await rig.kiosk.publish('not json {');
    await rig.kiosk.publish({ ...paymentPayload('k-001', 1), amount: 12.5 });
    await rig.kiosk.publish({ ...paymentPayload('k-001', 1), extra: true });
    await rig.kiosk.publish(paymentPayload('k-002', 1));
    await rig.kiosk.publish({ ...paymentPayload('k-001', 1), seq: 0 });
    await waitFor('five invalid payloads', () => rig.ledger.stats().invalid === 5);
    await sleep(100);
    expect(rig.kiosk.acks).toEqual([]);
    expect(rig.ledger.payments('k-001')).toEqual([]);
    expect(rig.ledger.payments('k-002')).toEqual([]);
    expect(rig.ledger.stats()).toMatchObject({ received: 5, stored: 0, acked: 0 });

    const good = paymentPayload('k-001', 1);
    await rig.kiosk.publish(good);
    await waitFor('the ack of a good one after bad ones', () => rig.kiosk.acks.length === 1);
  });

  it('commits a burst in few transactions and acks each kiosk in one message per batch', async () => {
    const payments = Array.from({ length: 200 }, (_, i) => paymentPayload('k-001', i + 1));
    await Promise.all(payments.map((p) => rig.kiosk.publish(p)));
    await waitFor('200 acked ids', () => rig.kiosk.ackedIds().length === 200);
    expect(rig.kiosk.acks.length).toBeLessThan(200);
    expect(rig.kiosk.acks.at(-1)?.ackThroughSeq).toBe(200);
    expect(rig.ledger.payments('k-001').map((p) => p.seq)).toEqual(payments.map((p) => p.seq));
  });

  it('keeps what it stored across a restart and treats a resend after it as a duplicate', async () => {
    const payment = paymentPayload('k-001', 1);
    await rig.kiosk.publish(payment);
    await waitFor('ack', () => rig.kiosk.acks.length === 1);
    await rig.ledger.stop();
    rig.ledger = FleetLedger.start({
      broker: { url: rig.broker.url, protocolVersion: 4, ...rig.broker.fleetCredentials },
      dbPath: join(rig.dir.path, 'ledger.sqlite'),
      ackKey: TEST_LEDGER_KEY.privateKey,
      logger: silentLogger(),
      probeTimeoutMs: 200,
    });
    await rig.ledger.whenSubscribed();
    await rig.kiosk.publish(payment);
    await waitFor('ack after restart', () => rig.kiosk.acks.length === 2);
    expect(rig.ledger.stats()).toMatchObject({ stored: 0, duplicates: 1 });
    expect(rig.ledger.payments('k-001')).toHaveLength(1);
  });
});

describe('fleet ledger across a broker restart', () => {
  it('reconnects, subscribes again and goes on storing and acknowledging', async () => {
    const port = rig.broker.port;
    const restartDir = scratchDir('ledger-restart');
    const own = FleetLedger.start({
      broker: { url: rig.broker.url, protocolVersion: 4, ...rig.broker.fleetCredentials },
      dbPath: join(restartDir.path, 'ledger.sqlite'),
      ackKey: TEST_LEDGER_KEY.privateKey,
      logger: silentLogger(),
      probeTimeoutMs: 200,
      reconnectPeriodMs: 50,
    });
    try {
      await own.whenSubscribed();
      await rig.kiosk.close();
      await rig.ledger.stop();
      await rig.broker.close();
      await sleep(200);
      // The same logins, as a broker restarted with its password file keeps them.
      rig.broker = await startEmbeddedBroker({ port, logger: silentLogger(), access: rig.broker.access });
      rig.kiosk = await FakeKiosk.connect(rig.broker.url, 'k-001', rig.broker);
      const payment = paymentPayload('k-001', 1);
      // The ledger may not have resubscribed yet: resend until acknowledged, as a kiosk does.
      const resend = setInterval(() => void rig.kiosk.publish(payment), 100);
      await waitFor('the ack after the restart', () => rig.kiosk.acks.length > 0, 10_000);
      clearInterval(resend);
      expect(own.payments('k-001').map((p) => p.paymentId)).toEqual([payment.paymentId]);
      // The afterEach hook stops `ledger`; give it a fresh one on the new broker.
      rig.ledger = FleetLedger.start({
        broker: { url: rig.broker.url, protocolVersion: 4, ...rig.broker.fleetCredentials },
        dbPath: join(rig.dir.path, 'ledger.sqlite'),
        ackKey: TEST_LEDGER_KEY.privateKey,
        logger: silentLogger(),
        probeTimeoutMs: 200,
      });
    } finally {
      await own.stop();
      restartDir.remove();
    }
  });
});
