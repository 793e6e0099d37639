import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { startFleetLink } from '../../src/fleet-link/start-fleet-link.js';
import { kioskTopics } from '../../src/fleet-protocol/index.js';
import { silentLogger } from '../../src/log.js';
import {
  FleetObserver,
  fleetSigner,
  KIOSK_ID,
  linkConfig,
  onCleanup,
  openJournal,
  startTestBroker,
  tempDir,
} from './fleet-link-rig.js';

const JUNK_PER_KIND = 1000;

describe('unauthenticated junk on cmd (F5)', () => {
  it('costs a bounded number of audit rows, with the count recorded, and a valid command among it is still audited and run', async () => {
    const broker = await startTestBroker();
    const dir = tempDir();
    const journal = openJournal(dir);
    const signer = fleetSigner();
    const fleet = await FleetObserver.connect(broker.url);
    const config = linkConfig({ dataDir: dir, brokerUrl: broker.url, publicKeyPem: signer.publicKeyPem });
    const { link } = startFleetLink({ config, journal, logger: silentLogger() });
    onCleanup(() => link.stop());
    await link.waitForConnection(10_000);
    const auditRowsBefore = journal.summary().auditEntries;

    const now = Date.now();
    const command = (action: string) => ({
      cmdId: `cmd-${randomBytes(8).toString('hex')}`,
      kioskId: KIOSK_ID,
      action,
      args: {},
      issuedAt: new Date(now - 1000).toISOString(),
      expiresAt: new Date(now + 60_000).toISOString(),
    });
    const junk = [
      () => 'x'.repeat(17_000), // oversized (the default limit is 16 KiB)
      () => `{"not json ${randomBytes(4).toString('hex')}`, // malformed
      () => JSON.stringify(command('status')), // unsigned
      () => JSON.stringify({ ...command('setMode'), sig: randomBytes(64).toString('base64') }), // badSignature
    ];
    const good = signer.sign(command('status'));
    const topic = kioskTopics(KIOSK_ID).cmd;
    for (let i = 0; i < JUNK_PER_KIND; i++) {
      for (const make of junk) fleet.client.publish(topic, make(), { qos: 0 });
      if (i === JUNK_PER_KIND / 2) fleet.client.publish(topic, JSON.stringify(good), { qos: 1 });
    }

    const total = junk.length * JUNK_PER_KIND;
    const counted = () => [...link.refusalCounts().values()].reduce((a, b) => a + b, 0);
    await fleet.waitFor('every junk command counted', () => counted() >= total, 60_000);
    const result = await fleet.waitFor('the good command answered', () =>
      fleet.on('cmd/result').find((m) => m.json['cmdId'] === good.cmdId),
    );
    expect(result.json['status']).toBe('ok');
    expect(Object.fromEntries(link.refusalCounts())).toEqual({
      'command:oversized': JUNK_PER_KIND,
      'command:malformed': JUNK_PER_KIND,
      'command:unsigned': JUNK_PER_KIND,
      'command:badSignature': JUNK_PER_KIND,
    });
    // Answers to junk are rate bounded too: nowhere near one per message.
    expect(fleet.on('cmd/result').length).toBeLessThan(total / 10);

    await link.stop();
    const rows = journal.audit.tail(10_000).filter((e) => e.actor === 'fleet');
    expect(journal.summary().auditEntries - auditRowsBefore).toBeLessThanOrEqual(10);
    const refusals = rows.filter((e) => e.action === 'command.refusals');
    expect(refusals.map((e) => e.details['count']).reduce((a, b) => Number(a) + Number(b), 0)).toBe(total);
    expect(
      refusals.every((e) => e.details['firstSeen'] !== undefined && e.details['lastSeen'] !== undefined),
    ).toBe(true);
    const goodRows = rows.filter((e) => e.details['cmdId'] === good.cmdId).map((e) => e.action);
    expect(goodRows).toEqual(['command.accepted', 'command.ok']);
  }, 120_000);
});
