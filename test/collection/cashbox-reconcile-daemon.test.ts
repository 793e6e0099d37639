import { describe, expect, it } from 'vitest';
import { alertPayloadSchema, alertSetPayloadSchema } from '../../src/fleet-protocol/index.js';
import { type KioskRig, startKioskRig, waitUntil } from '../api/kiosk-daemon-rig.js';
import { TEST_LEDGER_KEY } from '../fleet/ledger-test-keys.js';
import {
  FleetObserver,
  fleetSigner,
  KIOSK_ID,
  onCleanup,
  startTestBroker,
} from '../fleet-link/fleet-link-rig.js';
import { GOOD_PASSWORD, testHash } from '../service-mode/service-fixtures.js';

/**
 * A discrepancy and its reconcile through the real daemon and a broker: the technician's
 * collection counts one note short, the kiosk alerts `collectionDiscrepancy` and marks the
 * counters inaccurate; the recount (`cashbox-reconcile`) makes them accurate, clears that
 * alertId, drops it from the retained set and goes to the fleet as a service event.
 */
describe('cashbox-reconcile through the daemon', () => {
  it('makes the counters accurate again and clears the discrepancy alert on the fleet', async () => {
    const broker = await startTestBroker();
    onCleanup(() => broker.close());
    const signer = fleetSigner();
    const fleet = await FleetObserver.connect(broker.url);
    const rig: KioskRig = await startKioskRig({
      kioskId: KIOSK_ID,
      technicians: [{ id: 't-001', passwordHash: await testHash(GOOD_PASSWORD) }],
      fleet: {
        broker: { url: broker.url, protocolVersion: 4 },
        reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
        commands: { publicKeys: [{ id: 'fleet-test', key: signer.publicKeyPem }] },
        ledger: { publicKeys: [TEST_LEDGER_KEY.configEntry] },
      },
    });
    onCleanup(() => rig.stop({ removeData: true }));
    const { journal } = rig.daemon;

    // Two notes in, one top-up.
    expect((await rig.request('POST', '/topups', { body: {} })).status).toBe(201);
    await rig.request('PUT', '/topups/current/account', { body: { account: '13800138000' } });
    await rig.waitForTopUp((v) => v.state === 'insertingCash' && v.acceptedDenominations.length > 0);
    await rig.creditNote(1000, 1000);
    await rig.creditNote(1000, 2000);
    expect((await rig.request('POST', '/topups/current/confirm', { body: {} })).status).toBe(200);
    await rig.waitForTopUp((v) => v.state === 'done', 15_000);

    const login = await rig.request('POST', '/service/session', {
      body: { technician: 't-001', password: GOOD_PASSWORD },
    });
    expect(login.status).toBe(201);
    const headers = { 'x-service-session': String(login.body.sessionToken) };
    const run = async (cmd: string, args: string[] = []) => {
      const answer = await rig.request('POST', '/service/commands', { body: { cmd, args }, headers });
      return answer;
    };
    await waitUntil(() => (rig.daemon.serviceMode.state === 'active' ? true : undefined), 'active', 10_000);

    // The collection counts one note of the two: a discrepancy.
    expect((await run('collection-start')).status).toBe(200);
    // While the box is out, a reconcile is refused: the collection's own count settles it.
    const during = await run('cashbox-reconcile', ['1000=1']);
    expect(during.status).toBe(409);
    expect(during.body.error.reason).toContain('is open');
    expect((await run('collection-count', ['1000=1'])).status).toBe(200);
    const ended = await run('collection-end');
    expect(ended.status, JSON.stringify(ended.body)).toBe(200);
    const collectionId = String(ended.body.result.collection.collectionId);
    expect(journal.cashbox.counters('cashAcceptor').accuracy).toBe('inaccurate');
    await fleet.waitFor(
      'the discrepancy alert',
      () => fleet.on('alert').find((m) => m.json['alertId'] === collectionId),
      10_000,
    );
    await fleet.waitFor(
      'the discrepancy in the retained set',
      () => {
        const last = fleet.on('alerts').at(-1);
        const set = last === undefined ? undefined : alertSetPayloadSchema.parse(last.json);
        return set?.alerts.some((a) => a.alertId === collectionId);
      },
      10_000,
    );

    // Bad counts change nothing, and say what was wrong.
    const junk = await run('cashbox-reconcile', ['1000=x']);
    expect(junk.status).toBe(400);
    expect(junk.body.error.reason).toContain('"1000=x" is not <fen>=<count>');
    const foreign = await run('cashbox-reconcile', ['1234=1']);
    expect(foreign.status).toBe(409);
    expect(foreign.body.error.reason).toContain('takes no note of 1234 fen');
    expect(journal.cashbox.counters('cashAcceptor').accuracy).toBe('inaccurate');

    // The technician recounts the new box the collection put in: empty.
    const reconciled = await run('cashbox-reconcile', ['1000=0']);
    expect(reconciled.status, JSON.stringify(reconciled.body)).toBe(200);
    expect(reconciled.body.result).toMatchObject({
      accuracyBefore: 'inaccurate',
      counters: { accuracy: 'accurate', totalCount: 0 },
      clearedAlerts: [collectionId],
    });
    expect(journal.cashbox.counters('cashAcceptor')).toMatchObject({
      accuracy: 'accurate',
      accuracyReason: 'reconciled by t-001',
    });

    const cleared = await fleet.waitFor(
      'the discrepancy alert cleared',
      () =>
        fleet
          .on('alert')
          .map((m) => alertPayloadSchema.parse(m.json))
          .find((a) => a.alertId === collectionId && a.cleared),
      10_000,
    );
    expect(cleared).toMatchObject({ kind: 'collectionDiscrepancy', device: 'cashAcceptor' });
    await fleet.waitFor(
      'the retained set without it',
      () => {
        const last = fleet.on('alerts').at(-1);
        const set = last === undefined ? undefined : alertSetPayloadSchema.parse(last.json);
        return set !== undefined && !set.alerts.some((a) => a.alertId === collectionId);
      },
      10_000,
    );
    const event = await fleet.waitFor(
      'the service event',
      () =>
        fleet.on('event').find((m) => m.json['action'] === 'cashbox-reconcile' && m.json['outcome'] === 'ok'),
      10_000,
    );
    expect(event.json).toMatchObject({ technician: 't-001', args: ['1000=0'], kind: 'service' });
    const audit = journal.audit.tail(40).map((e) => `${e.actor} ${e.action}`);
    expect(audit).toEqual(
      expect.arrayContaining([
        't-001 cashbox.reconciled',
        't-001 cashbox.alertsCleared',
        'technician:t-001 service.cashbox-reconcile',
      ]),
    );
  }, 90_000);
});
