import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFleetLink } from '../../src/fleet-link/index.js';
import { FLEET_PAYLOAD_VERSION, type StatusPayload } from '../../src/fleet-protocol/index.js';
import { Journal } from '../../src/journal/journal.js';
import { silentLogger } from '../../src/log.js';
import {
  type E2eRig,
  type KioskChild,
  linkConfigFor,
  spawnKiosk,
  startRig,
  waitUntil,
} from './fleet-e2e-rig.js';
import { connectedEpoch, type FleetWatch, watchFleet } from './fleet-watch.js';
import { startHalfOpenProxy } from './half-open-proxy.js';
import { connectWithCertificate } from './raw-mqtt.js';

// The kiosk's Last Will on a real Mosquitto (the seeds' config), seen through the real fleet
// view: the Will carries the epoch of its connection, and the view ignores a status older
// than the newest epoch it has seen.
let rig: E2eRig;
let fleet: FleetWatch;
const cleanups: Array<() => Promise<unknown> | unknown> = [];

beforeAll(async () => {
  rig = await startRig();
  fleet = await watchFleet(rig);
});

afterAll(async () => {
  await fleet?.close();
  await rig?.dispose();
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function kioskProcess(kioskId: string, fleetSection: Record<string, unknown> = {}): KioskChild {
  const dataDir = rig.subdir(kioskId);
  const child = spawnKiosk({
    journalPath: join(dataDir, 'journal.sqlite'),
    link: linkConfigFor(rig, kioskId, dataDir, fleetSection),
    paymentsUpTo: 0,
  });
  cleanups.push(() => child.kill());
  return child;
}

describe('Last Will', () => {
  it('marks a SIGKILLed kiosk offline, with the epoch of the connection that died', async () => {
    const kiosk = kioskProcess('K-WILL');
    const epoch = await connectedEpoch(kiosk);
    await fleet.viewShows('K-WILL', 'online', epoch);

    await kiosk.kill();
    await fleet.viewShows('K-WILL', 'offline', epoch);
    // Retained: a view that starts afterwards sees it too.
    await fleet.viewShows('K-WILL', 'offline', epoch, await fleet.connectView());
    expect(fleet.statusTrail('K-WILL')).toEqual([`online@${epoch}`, `offline@${epoch}`]);
  });

  it('a stale Will (older epoch) arriving after a newer online does not mark the kiosk offline', async () => {
    const kioskId = 'K-STALE';
    const dataDir = rig.subdir(kioskId);
    const journal = Journal.open({ path: join(dataDir, 'journal.sqlite'), kioskId, logger: silentLogger() });
    cleanups.push(() => journal.close());
    const config = linkConfigFor(rig, kioskId, dataDir, { healthIntervalMs: 1_000 });
    const { link } = startFleetLink({ config, journal, logger: silentLogger() });
    cleanups.push(() => link.stop());
    const epoch = await link.waitForConnection(10_000);
    await fleet.viewShows(kioskId, 'online', epoch);
    const staleBefore = fleet.view.snapshot().staleMessages;

    // The old connection's Will as a broker delivers it late: retained, from the kiosk's own
    // identity (no other identity may write its status), one epoch behind.
    const oldConnection = await connectWithCertificate(rig.broker, rig.pki, rig.pki.client(kioskId), {
      clientId: 'K-STALE-previous-connection',
    });
    const staleWill: StatusPayload = {
      v: FLEET_PAYLOAD_VERSION,
      kioskId,
      ts: new Date().toISOString(),
      state: 'offline',
      mode: 'inService',
      epoch: epoch - 1,
      version: 'test',
    };
    await oldConnection.publishAsync(link.topics.status, JSON.stringify(staleWill), { qos: 1, retain: true });
    await oldConnection.endAsync();
    await waitUntil(
      () => fleet.view.snapshot().staleMessages > staleBefore,
      5_000,
      'the view to receive the stale Will',
    );

    expect(fleet.kioskIn(kioskId)).toMatchObject({ state: 'online', epoch });
    // The broker now retains the stale Will, so a view started now reads it first; the
    // kiosk's next health (epoch E) puts it right.
    await fleet.viewShows(kioskId, 'online', epoch, await fleet.connectView());
  });

  it('kiosk killed with its connection left half-open and restarted at once: Mosquitto takes the session over and fires the old Will before the new online', async () => {
    const proxy = await startHalfOpenProxy(rig.broker.tlsPort);
    cleanups.push(() => proxy.close());
    const viaProxy = { broker: { url: `mqtts://127.0.0.1:${proxy.port}` } };
    const first = kioskProcess('K-TAKEOVER', viaProxy);
    const epoch = await connectedEpoch(first);
    await fleet.viewShows('K-TAKEOVER', 'online', epoch);

    await first.kill();
    await waitUntil(() => proxy.dangling === 1, 5_000, 'the broker side to be left open');
    expect(fleet.kioskIn('K-TAKEOVER')?.state).toBe('online');

    const second = kioskProcess('K-TAKEOVER', viaProxy);
    const next = await connectedEpoch(second);
    expect(next).toBe(epoch + 1);
    await fleet.viewShows('K-TAKEOVER', 'online', next);
    await waitUntil(() => proxy.dangling === 0, 5_000, 'the broker to drop the old connection');
    expect(fleet.statusTrail('K-TAKEOVER')).toEqual([
      `online@${epoch}`,
      `offline@${epoch}`,
      `online@${next}`,
    ]);
  });
});
