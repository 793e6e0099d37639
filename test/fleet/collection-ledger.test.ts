import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { CollectionService } from '../../src/collection/collection-service.js';
import { KioskModeStore } from '../../src/daemon/kiosk-mode-store.js';
import { FleetLedger } from '../../src/fleet/ledger.js';
import { startFleetLink } from '../../src/fleet-link/start-fleet-link.js';
import { collectionPayloadSchema } from '../../src/fleet-protocol/index.js';
import { silentLogger } from '../../src/log.js';
import { AlertList } from '../../src/recovery/recovery-alerts.js';
import { CustomerSlot } from '../../src/topup/customer-slot.js';
import {
  FleetObserver,
  KIOSK_ID,
  linkConfig,
  makePayments,
  onCleanup,
  openJournal,
  startTestBroker,
  tempDir,
} from '../fleet-link/fleet-link-rig.js';
import { config as receiptsConfig } from '../receipts/receipt-fixtures.js';
import { TEST_LEDGER_KEY } from './ledger-test-keys.js';

/**
 * A cash collection from the kiosk's journal to the reference ledger over an Aedes broker:
 * published on kiosk/v1/{id}/collection in the payments' seq space,
 * stored once beside the payments, acknowledged on payment/ack, delivered in the journal; the
 * discrepancy alert on kiosk/v1/{id}/alert.
 */
describe('cash collection over the fleet link', () => {
  it('is published, stored once by the ledger, acknowledged and delivered; a discrepancy is alerted', async () => {
    const broker = await startTestBroker();
    const dir = tempDir();
    const journal = openJournal(dir);
    makePayments(journal, 2); // seq 1, 2: 1000 fen each on device cashAcceptor

    const ledger = FleetLedger.start({
      broker: { url: broker.url, protocolVersion: 4 },
      dbPath: join(dir, 'ledger.sqlite'),
      ackKey: TEST_LEDGER_KEY.privateKey,
      sharedSubscription: false,
      logger: silentLogger(),
    });
    onCleanup(() => ledger.stop());
    await ledger.whenSubscribed();
    const fleet = await FleetObserver.connect(broker.url);
    const config = linkConfig({ dataDir: dir, brokerUrl: broker.url });
    const { link } = startFleetLink({ config, journal, logger: silentLogger() });
    onCleanup(() => link.stop());

    // The service raises its alert on the daemon's alert list; the wiring forwards it to the link.
    const alerts = new AlertList();
    alerts.on('alert', (alert) => link.raiseAlert(alert));
    const modes = new KioskModeStore({ journal, logger: silentLogger() });
    onCleanup(() => modes.close());
    const service = new CollectionService({
      journal,
      device: 'cashAcceptor',
      denominations: [1000, 5000],
      customers: new CustomerSlot(),
      modes,
      alerts,
      printer: () => undefined,
      receipt: { kioskId: KIOSK_ID, config: receiptsConfig, columns: 48, minorUnitsPerMajor: 100 },
      logger: silentLogger(),
    });
    const started = await service.start('T-07');
    service.enterCounts(started.collectionId, [{ denomination: 1000, count: 1 }], 'T-07');
    const { collection } = await service.end(started.collectionId, 'T-07');
    expect(collection.seq).toBe(3);
    makePayments(journal, 1); // seq 4, after the collection

    await fleet.waitFor('every outbox row delivered', () => journal.outbox.stats().pending === 0, 10_000);

    const published = fleet.on('collection');
    expect(published).toHaveLength(1);
    expect(published[0]!.qos).toBe(1);
    expect(collectionPayloadSchema.parse(published[0]!.json)).toMatchObject({
      collectionId: started.collectionId,
      seq: 3,
      technician: 'T-07',
      expectedValue: 2000,
      countedValue: 1000,
      difference: -1000,
      discrepancy: true,
    });
    expect(fleet.on('payment').map((m) => m.json['seq'])).toEqual([1, 2, 4]);

    const stored = ledger.collections(KIOSK_ID);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({
      collectionId: started.collectionId,
      seq: 3,
      technician: 'T-07',
      device: 'cashAcceptor',
      expectedValue: 2000,
      countedValue: 1000,
      difference: -1000,
      discrepancy: true,
      denominations: [
        { denomination: 5000, expected: 0, counted: 0, difference: 0 },
        { denomination: 1000, expected: 2, counted: 1, difference: -1 },
      ],
    });
    expect(ledger.payments(KIOSK_ID).map((p) => p.seq)).toEqual([1, 2, 4]);
    expect(ledger.gaps()).toEqual([]);
    expect(ledger.store.progress(KIOSK_ID)).toEqual({ contiguousThrough: 4, maxSeq: 4 });
    const acks = fleet.on('payment/ack');
    expect(Math.max(...acks.map((a) => (a.json['ackThroughSeq'] as number | undefined) ?? 0))).toBe(4);

    const alert = await fleet.waitFor('the discrepancy alert', () =>
      fleet.on('alert').find((m) => m.json['kind'] === 'collectionDiscrepancy'),
    );
    expect(alert.json).toMatchObject({
      alertId: started.collectionId,
      device: 'cashAcceptor',
      action: 'maintenance',
      cleared: false,
      details: expect.objectContaining({ collectionId: started.collectionId, difference: -1000 }),
    });

    // A resend (a kiosk that lost the ack) is stored once and acknowledged again.
    const acksBefore = fleet.on('payment/ack').length;
    await fleet.client.publishAsync(`kiosk/v1/${KIOSK_ID}/collection`, JSON.stringify(published[0]!.json), {
      qos: 1,
    });
    await fleet.waitFor('the resend acknowledged', () => fleet.on('payment/ack').length > acksBefore);
    expect(ledger.collections(KIOSK_ID)).toHaveLength(1);
    expect(ledger.stats()).toMatchObject({ stored: 4, duplicates: 1, invalid: 0 });

    // A collection whose totals do not add up is refused: not stored, not acknowledged.
    const forged = {
      ...published[0]!.json,
      seq: 5,
      collectionId: '01JEQ7Z3N8X4V2R6T9W5Y7K3MB',
      difference: 0,
    };
    await fleet.client.publishAsync(`kiosk/v1/${KIOSK_ID}/collection`, JSON.stringify(forged), { qos: 1 });
    await fleet.waitFor('the forged collection counted invalid', () => ledger.stats().invalid === 1);
    expect(ledger.collections(KIOSK_ID)).toHaveLength(1);

    // kioskd fleet collections reads the same database, beside the running ledger.
    const db = join(dir, 'ledger.sqlite');
    const table = await kioskd('fleet', 'collections', '--db', db);
    expect(table.code).toBe(0);
    expect(table.out).toMatch(
      new RegExp(
        `${KIOSK_ID}\\s+3\\s+${started.collectionId}\\s+T-07\\s+20\\.00\\s+10\\.00\\s+-10\\.00\\s+DISCREPANCY`,
      ),
    );
    expect(table.out).toContain('10.00 note: expected 2, counted 1 (-1)');
    const json = await kioskd('fleet', 'collections', '--db', db, '--kiosk', KIOSK_ID, '--json');
    expect(json.out.split('\n').map((line) => JSON.parse(line).collectionId)).toEqual([started.collectionId]);
    const none = await kioskd('fleet', 'collections', '--db', db, '--kiosk', 'K-9999');
    expect(none.out).toBe('no cash collections in the ledger');
    for (const [args, message] of [
      [['--db', join(dir, 'missing.sqlite')], /no ledger database at .*missing\.sqlite/],
      [['--db', db, '--kiosk', 'a/b'], /--kiosk "a\/b" is not a kiosk id/],
      [['--db', db, '--limit', '0'], /limit/],
    ] as const) {
      const refused = await kioskd('fleet', 'collections', ...args);
      expect(refused.code).toBe(2);
      expect(refused.err).toMatch(message);
    }
  });
});

async function kioskd(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}
