import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kioskConfigSchema } from '../../src/config/index.js';
import { FleetLedger } from '../../src/fleet/ledger.js';
import { startFleetLink } from '../../src/fleet-link/start-fleet-link.js';
import { Journal } from '../../src/journal/journal.js';
import { silentLogger } from '../../src/log.js';
import { makePayments } from '../fleet-link/fleet-link-rig.js';
import { type MosquittoBroker, startMosquitto } from '../helpers/mosquitto.js';
import { createTestPki, type TestPki } from '../helpers/pki.js';
import { requireTool } from '../helpers/require-tool.js';
import { scratchDir, waitFor } from './fleet-test-kit.js';
import { TEST_LEDGER_KEY } from './ledger-test-keys.js';

/*
 * A cash collection over a real Mosquitto with the seeds' TLS and ACL: the kiosk (its own
 * certificate, so the ACL's `pattern write kiosk/v1/%u/collection` applies) publishes it from
 * the outbox between payments; the ledger (fleet identity, shared subscription) stores it
 * once and acknowledges through the whole seq run; the journal marks everything delivered.
 */
let pki: TestPki;
let broker: MosquittoBroker;
let dir: ReturnType<typeof scratchDir>;

beforeAll(async () => {
  requireTool('openssl');
  pki = createTestPki();
  broker = await startMosquitto({ pki });
  dir = scratchDir('collection-mosquitto');
});

afterAll(async () => {
  await broker?.dispose();
  pki?.remove();
  dir?.remove();
});

describe('cash collection on Mosquitto', () => {
  it('is published under the ACL, stored once by the ledger, acknowledged in the payments seq space', async () => {
    const kioskId = 'K-COLL';
    const journal = Journal.open({ path: join(dir.path, 'journal.sqlite'), kioskId, logger: silentLogger() });
    const ledger = FleetLedger.start({
      broker: {
        url: broker.tlsUrl,
        protocolVersion: 5,
        ca: pki.ca,
        cert: pki.fleet.cert,
        key: pki.fleet.key,
      },
      dbPath: join(dir.path, 'ledger.sqlite'),
      ackKey: TEST_LEDGER_KEY.privateKey,
      logger: silentLogger(),
    });
    const identity = pki.client(kioskId);
    const config = kioskConfigSchema.parse({
      kioskId,
      dataDir: dir.path,
      fleet: {
        broker: {
          url: broker.tlsUrl,
          protocolVersion: 4,
          ca: pki.ca,
          cert: identity.cert,
          key: identity.key,
        },
        reconnect: { initialDelayMs: 20, maxDelayMs: 200, factor: 2, jitter: 0.5 },
        ledger: { publicKeys: [TEST_LEDGER_KEY.configEntry] },
      },
    });
    const { link } = startFleetLink({
      config: { kioskId, dataDir: dir.path, fleet: config.fleet },
      journal,
      logger: silentLogger(),
    });
    try {
      await ledger.whenSubscribed();
      makePayments(journal, 2);
      const c = journal.collections.start({
        device: 'cashAcceptor',
        technician: 'T-01',
        denominations: [1000],
      });
      journal.collections.enterCounts({
        collectionId: c.collectionId,
        counts: [{ denomination: 1000, count: 2 }],
        technician: 'T-01',
      });
      expect(journal.collections.end({ collectionId: c.collectionId, technician: 'T-01' }).seq).toBe(3);
      makePayments(journal, 1);

      await waitFor('the outbox delivered', () => journal.outbox.stats().pending === 0, 15_000);
      expect(ledger.collections(kioskId)).toMatchObject([
        { collectionId: c.collectionId, seq: 3, expectedValue: 2000, countedValue: 2000, discrepancy: false },
      ]);
      expect(ledger.payments(kioskId).map((p) => p.seq)).toEqual([1, 2, 4]);
      expect(ledger.store.progress(kioskId)).toEqual({ contiguousThrough: 4, maxSeq: 4 });
      expect(ledger.stats()).toMatchObject({ invalid: 0, seqConflicts: 0, gaps: 0 });
    } finally {
      await link.stop();
      await ledger.stop();
      journal.close();
    }
  });
});
