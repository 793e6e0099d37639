import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { FleetLedger } from '../../src/fleet/ledger.js';
import { startFleetLink } from '../../src/fleet-link/start-fleet-link.js';
import { createLogger, silentLogger } from '../../src/log.js';
import {
  FleetObserver,
  KIOSK_ID,
  linkConfig,
  onCleanup,
  openJournal,
  startTestBroker,
  tempDir,
} from '../fleet-link/fleet-link-rig.js';
import { TEST_LEDGER_KEY } from './ledger-test-keys.js';

/**
 * Technicians' service events from a kiosk's fleet link to the reference ledger over an Aedes
 * broker: stored once each, a bad payload logged and dropped, listed by `kioskd fleet events`.
 */
describe('service events in the fleet ledger', () => {
  it('stores what the kiosk publishes on event, drops what is not a valid event, and lists them', async () => {
    const broker = await startTestBroker();
    const dir = tempDir();
    const journal = openJournal(dir);
    // The ledger's own log, as JSON lines: a dropped event must say why.
    const warnings: Array<Record<string, unknown>> = [];
    const sink = new PassThrough();
    sink.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        const entry = JSON.parse(line) as Record<string, unknown>;
        if (entry['msg'] === 'invalid service event payload: dropped') warnings.push(entry);
      }
    });
    const ledger = FleetLedger.start({
      broker: { url: broker.url, protocolVersion: 4 },
      dbPath: join(dir, 'ledger.sqlite'),
      ackKey: TEST_LEDGER_KEY.privateKey,
      sharedSubscription: false,
      logger: createLogger({ level: 'warn', destination: sink }),
    });
    onCleanup(() => ledger.stop());
    await ledger.whenSubscribed();
    const fleet = await FleetObserver.connect(broker.url);
    const { link } = startFleetLink({
      config: linkConfig({ dataDir: dir, brokerUrl: broker.url }),
      journal,
      logger: silentLogger(),
    });
    onCleanup(() => link.stop());

    const ts = new Date().toISOString();
    link.publishServiceEvent({ ts, technician: 't-001', action: 'service.enter', args: [], outcome: 'ok' });
    link.publishServiceEvent({
      ts,
      technician: 't-001',
      action: 'cashbox-reconcile',
      args: ['10000=3', '5000=1'],
      outcome: 'ok',
    });
    link.publishServiceEvent({
      ts,
      technician: 't-001',
      action: 'reset',
      args: ['printer'],
      outcome: 'failed',
      error: 'printer did not answer',
    });
    await fleet.waitFor('three events stored', () => ledger.events().length === 3 || undefined, 10_000);
    const published = fleet.on('event');
    expect(published).toHaveLength(3);
    expect(ledger.events({ kioskId: KIOSK_ID }).map((e) => [e.action, e.outcome])).toEqual([
      ['reset', 'failed'],
      ['cashbox-reconcile', 'ok'],
      ['service.enter', 'ok'],
    ]);
    expect(ledger.events()[1]).toMatchObject({
      kioskId: KIOSK_ID,
      eventId: published[1]!.json['eventId'],
      technician: 't-001',
      args: ['10000=3', '5000=1'],
      error: null,
    });

    // A redelivery is stored once; bad payloads are dropped with the reason logged.
    const topic = `kiosk/v1/${KIOSK_ID}/event`;
    const valid = published[0]!.json;
    const bad: Array<[string | Buffer, RegExp]> = [
      ['{not json', /not JSON/],
      [JSON.stringify({ ...valid, eventId: '01JF0000000000000000000099', action: 'Bad Action' }), /action/],
      [
        JSON.stringify({ ...valid, eventId: '01JF0000000000000000000098', kioskId: 'K-OTHER' }),
        /not the topic's/,
      ],
      [
        JSON.stringify({ ...valid, eventId: '01JF0000000000000000000097', password: 'x' }),
        /password|unrecognized/i,
      ],
      [Buffer.alloc(70 * 1024, 0x20), /too big/],
    ];
    await fleet.client.publishAsync(topic, JSON.stringify(valid), { qos: 1 });
    for (const [payload] of bad) await fleet.client.publishAsync(topic, payload, { qos: 1 });
    await fleet.waitFor('every bad event logged', () => warnings.length >= bad.length || undefined, 10_000);
    for (const [i, [, reason]] of bad.entries()) {
      expect(warnings[i]).toMatchObject({ topic, kioskId: KIOSK_ID });
      expect(String(warnings[i]!['reason'])).toMatch(reason);
    }
    expect(ledger.events()).toHaveLength(3);

    // kioskd fleet events reads the same database, beside the running ledger.
    const db = join(dir, 'ledger.sqlite');
    const table = await kioskd('fleet', 'events', '--db', db);
    expect(table.code).toBe(0);
    const lines = table.out.split('\n');
    expect(lines[0]).toMatch(/^at \(UTC\)\s+kiosk\s+technician\s+action\s+args\s+outcome\s+error$/);
    expect(lines[1]).toMatch(
      new RegExp(`${KIOSK_ID}\\s+t-001\\s+reset\\s+printer\\s+failed\\s+printer did not answer`),
    );
    expect(lines[2]).toMatch(/cashbox-reconcile\s+10000=3 5000=1\s+ok/);
    expect(lines).toHaveLength(4);
    const one = await kioskd('fleet', 'events', '--db', db, '--kiosk', KIOSK_ID, '--limit', '1', '--json');
    expect(one.out.split('\n').map((line) => JSON.parse(line).action)).toEqual(['reset']);
    const none = await kioskd('fleet', 'events', '--db', db, '--kiosk', 'K-9999');
    expect(none.out).toBe('no service events in the ledger');
    for (const [args, message] of [
      [['--db', join(dir, 'missing.sqlite')], /fleet events: no ledger database at .*missing\.sqlite/],
      [['--db', db, '--kiosk', 'a/b'], /--kiosk "a\/b" is not a kiosk id/],
      [['--db', db, '--limit', '0'], /limit/],
    ] as const) {
      const refused = await kioskd('fleet', 'events', ...args);
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
