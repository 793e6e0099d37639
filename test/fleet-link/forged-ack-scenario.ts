import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { expect } from 'vitest';
import type { FleetLedger } from '../../src/fleet/ledger.js';
import type { FleetLinkConfig } from '../../src/fleet-link/fleet-link-config.js';
import { startFleetLink } from '../../src/fleet-link/start-fleet-link.js';
import { kioskTopics } from '../../src/fleet-protocol/index.js';
import type { Journal } from '../../src/journal/journal.js';
import { silentLogger } from '../../src/log.js';
import { TEST_LEDGER_KEY, testLedgerKey } from '../fleet/ledger-test-keys.js';
import { KIOSK_ID, makePayments } from './fleet-link-rig.js';

/** What differs between brokers: how the kiosk, an attacker and the ledger reach it. */
export interface ForgedAckSetup {
  /** The kiosk's link config; `fleet` holds the test's outbox settings. */
  linkConfig(dataDir: string, fleet: Record<string, unknown>): FleetLinkConfig;
  /** A client allowed to publish on the kiosk's ack topic (anyone on a broker without ACLs, or the fleet identity). */
  attacker(): Promise<MqttClient>;
  /** The reference ledger, signing with TEST_LEDGER_KEY. */
  startLedger(dbPath: string): FleetLedger;
}

async function waitUntil(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * F1: a kiosk with two payments, the first published (window of one) and the second not yet,
 * and no ledger. A forged (another key), an unsigned, a wrongly signed (a good signature over
 * other content), a replayed-from-another-kiosk (validly signed, for K-0002) and two
 * ahead-of-publish acks (validly signed, covering seq 2) each leave the outbox unchanged.
 * Then the ledger starts: both payments reach it and are acknowledged for real.
 */
export async function forgedAcksLeaveOutboxUnchanged(
  setup: ForgedAckSetup,
  dir: string,
  journal: Journal,
): Promise<void> {
  makePayments(journal, 2);
  const [first, second] = journal.outbox.pending({ limit: 10 });
  const config = setup.linkConfig(dir, { outbox: { maxInFlight: 1, resendAfterMs: 1000 } });
  const { link } = startFleetLink({ config, journal, logger: silentLogger() });
  let ledger: FleetLedger | undefined;
  const attacker = await setup.attacker();
  try {
    await link.waitForConnection(10_000);
    await waitUntil('seq 1 in flight', () => link.paymentsInFlight === 1);

    const base = { v: 1, kioskId: KIOSK_ID, ts: new Date().toISOString() };
    const wronglySigned = { ...TEST_LEDGER_KEY.sign({ ...base, ackThroughSeq: 1 }), ackThroughSeq: 2 };
    const forged = [
      { ...base, ackThroughSeq: 1 },
      testLedgerKey('attacker').sign({ ...base, ackThroughSeq: 1 }),
      wronglySigned,
      TEST_LEDGER_KEY.sign({ ...base, kioskId: 'K-0002', ackThroughSeq: 1 }),
      TEST_LEDGER_KEY.sign({ ...base, ackThroughSeq: 2 }),
      TEST_LEDGER_KEY.sign({ ...base, paymentIds: [second!.paymentId] }),
    ];
    const topic = kioskTopics(KIOSK_ID).paymentAck;
    for (const ack of forged) await attacker.publishAsync(topic, JSON.stringify(ack), { qos: 1 });

    // Counted once refused; an outbox that changed instead fails the test below.
    const refused = () => [...(link.refusalCounts?.().values() ?? [])].reduce((a, b) => a + b, 0);
    await waitUntil(
      'six refused acks',
      () => refused() >= forged.length || journal.outbox.stats().delivered > 0,
    );
    expect(journal.outbox.stats()).toMatchObject({ pending: 2, delivered: 0 });
    expect(Object.fromEntries(link.refusalCounts())).toEqual({
      'ack:unsigned': 1,
      'ack:badSignature': 2,
      'ack:wrongKiosk': 1,
      'ack:notPublished': 2,
    });

    ledger = setup.startLedger(join(dir, 'ledger.sqlite'));
    await ledger.whenSubscribed();
    await waitUntil('both payments delivered', () => journal.outbox.stats().pending === 0, 20_000);
    expect(ledger.payments(KIOSK_ID).map((p) => p.paymentId)).toEqual([first!.paymentId, second!.paymentId]);
    expect(journal.outbox.stats()).toMatchObject({ pending: 0, delivered: 2 });
  } finally {
    await link.stop();
    await attacker.endAsync(true);
    await ledger?.stop();
  }
  // One audit row per reason, with its count, however many acks it stands for.
  const rows = journal.audit
    .tail(200)
    .filter((e) => e.action.startsWith('ack.'))
    .map((e) => [e.action, e.details['reason'], e.details['count']]);
  expect(rows).toEqual(
    expect.arrayContaining([
      ['ack.refusals', 'unsigned', 1],
      ['ack.refusals', 'badSignature', 2],
      ['ack.refusals', 'wrongKiosk', 1],
      ['ack.refusals', 'notPublished', 2],
    ]),
  );
  expect(rows).toHaveLength(4);
}
