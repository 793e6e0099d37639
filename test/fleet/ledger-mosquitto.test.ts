import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FleetLedger } from '../../src/fleet/ledger.js';
import { kioskTopics, type PaymentAck } from '../../src/fleet-protocol/index.js';
import { silentLogger } from '../../src/log.js';
import { type MosquittoBroker, startMosquitto } from '../helpers/mosquitto.js';
import { createTestPki, type TestPki } from '../helpers/pki.js';
import { requireTool } from '../helpers/require-tool.js';
import { paymentPayload, scratchDir, waitFor } from './fleet-test-kit.js';
import { TEST_LEDGER_KEY } from './ledger-test-keys.js';

/*
 * Two ledger instances in one shared-subscription group on a real Mosquitto with the seeds'
 * TLS and ACL: the probe finds $share honoured (through the fleet identity's ACL), and the
 * two instances split one kiosk's payments while every one is stored once and acknowledged.
 */
let pki: TestPki;
let broker: MosquittoBroker;
let dir: ReturnType<typeof scratchDir>;

beforeAll(async () => {
  requireTool('openssl');
  pki = createTestPki();
  broker = await startMosquitto({ pki });
  dir = scratchDir('ledger-mosquitto');
});

afterAll(async () => {
  await broker?.dispose();
  pki?.remove();
  dir?.remove();
});

describe('fleet ledger on Mosquitto', () => {
  it('uses a shared subscription, and two instances split the load with every payment stored once', async () => {
    const settings = (protocolVersion: 4 | 5) => ({
      broker: {
        url: broker.tlsUrl,
        protocolVersion,
        ca: pki.ca,
        cert: pki.fleet.cert,
        key: pki.fleet.key,
      },
      dbPath: join(dir.path, 'ledger.sqlite'),
      ackKey: TEST_LEDGER_KEY.privateKey,
      logger: silentLogger(),
      batchDelayMs: 1,
    });
    const ledgers = [FleetLedger.start(settings(4)), FleetLedger.start(settings(5))];
    try {
      await Promise.all(ledgers.map((l) => l.whenSubscribed()));
      for (const ledger of ledgers) {
        expect(ledger.subscription).toEqual({ topic: '$share/ledger/kiosk/v1/+/payment', shared: true });
      }

      const identity = pki.client('k-100');
      const kiosk = await mqtt.connectAsync(broker.tlsUrl, {
        protocolVersion: 5,
        clientId: 'k-100',
        reconnectPeriod: 0,
        ...pki.tlsFiles(identity),
      });
      const topics = kioskTopics('k-100');
      const acked = new Set<string>();
      let lastThrough = 0;
      kiosk.on('message', (_topic, payload) => {
        const ack = JSON.parse(payload.toString()) as PaymentAck;
        for (const id of ack.paymentIds ?? []) acked.add(id);
        lastThrough = Math.max(lastThrough, ack.ackThroughSeq ?? 0);
      });
      await kiosk.subscribeAsync(topics.paymentAck, { qos: 1 });
      const payments = Array.from({ length: 60 }, (_, i) => paymentPayload('k-100', i + 1));
      for (const p of payments) await kiosk.publishAsync(topics.payment, JSON.stringify(p), { qos: 1 });
      const covered = () => payments.filter((p) => acked.has(p.paymentId) || p.seq <= lastThrough).length;
      await waitFor('all 60 acknowledged', () => covered() === 60, 10_000);
      await waitFor('ackThroughSeq 60', () => lastThrough === 60, 10_000);
      await kiosk.endAsync();

      const received = ledgers.map((l) => l.stats().received);
      expect(received[0]! + received[1]!).toBe(60);
      expect(received[0]).toBeGreaterThan(0);
      expect(received[1]).toBeGreaterThan(0);
      expect(ledgers[0]!.payments('k-100').map((p) => p.seq)).toEqual(payments.map((p) => p.seq));
      expect(ledgers[1]!.gaps()).toEqual([]);
    } finally {
      await Promise.all(ledgers.map((l) => l.stop()));
    }
  });
});
