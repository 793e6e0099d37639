import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kioskTopics } from '../../src/fleet-protocol/index.js';
import {
  type E2eRig,
  type KioskChild,
  linkConfigFor,
  spawnKiosk,
  startRig,
  waitUntil,
} from './fleet-e2e-rig.js';
import { connectedEpoch, type FleetWatch, watchFleet } from './fleet-watch.js';
import { type HalfOpenProxy, startHalfOpenProxy } from './half-open-proxy.js';
import { connectWithCertificate } from './raw-mqtt.js';

// The real sequence behind the epoch rule: a kiosk dies with its connection half-open (power
// cut, no FIN), comes back at once and is online with epoch E+1 before the broker's keepalive
// timeout fires the old connection's Will (offline, epoch E). On one Mosquitto a reconnect
// with the same client id takes the old session over and fires that Will at once (see
// last-will.test.ts); on a cluster the new connection can land on another node, which
// cannot take the old one over. Here a second client id plays that other node.
// Mosquitto's max_keepalive is cut to its minimum, 10 s (MQTT 5 clients are told to use it),
// so the Will comes 15 s after the old connection's last packet instead of 45 s.
const KEEPALIVE_S = 10;
/** Mosquitto gives up on a silent client after 1.5 keepalives. */
const WILL_AFTER_MS = 1.5 * KEEPALIVE_S * 1000;
const KIOSK = 'K-LATEWILL';

let rig: E2eRig;
let fleet: FleetWatch;
let proxy: HalfOpenProxy;
const children: KioskChild[] = [];

beforeAll(async () => {
  rig = await startRig({ overrides: { max_keepalive: String(KEEPALIVE_S) } });
  fleet = await watchFleet(rig);
  proxy = await startHalfOpenProxy(rig.broker.tlsPort);
});

afterAll(async () => {
  for (const child of children) await child.kill();
  await proxy?.close();
  await fleet?.close();
  await rig?.dispose();
});

function kioskProcess(broker: Record<string, unknown>): KioskChild {
  const dataDir = rig.subdir(KIOSK);
  const child = spawnKiosk({
    journalPath: join(dataDir, 'journal.sqlite'),
    link: linkConfigFor(rig, KIOSK, dataDir, { broker }),
    paymentsUpTo: 0,
  });
  children.push(child);
  return child;
}

describe('a Will that arrives after the kiosk is back', () => {
  it('is ignored by its older epoch', { timeout: 60_000 }, async () => {
    const first = kioskProcess({
      url: `mqtts://127.0.0.1:${proxy.port}`,
      clientId: 'kioskd-K-LATEWILL-node-a',
    });
    const epoch = await connectedEpoch(first);
    await fleet.viewShows(KIOSK, 'online', epoch);
    // Make the old connection speak now (a refused command gets a result), so its keepalive
    // clock restarts from a known instant and its Will cannot come before the restart.
    const poke = await connectWithCertificate(rig.broker, rig.pki, rig.pki.fleet, { clientId: 'poke' });
    const seen = fleet.recorder.received.length;
    await poke.publishAsync(kioskTopics(KIOSK).cmd, 'not json', { qos: 1 });
    await poke.endAsync();
    await fleet.recorder.waitFor(
      (m) => m.topic === kioskTopics(KIOSK).cmdResult && fleet.recorder.received.indexOf(m) >= seen,
    );
    await first.kill();
    const killedAt = Date.now();
    expect(proxy.dangling).toBe(1);

    const second = kioskProcess({ clientId: 'kioskd-K-LATEWILL-node-b' });
    const next = await connectedEpoch(second);
    await fleet.viewShows(KIOSK, 'online', next);
    expect(Date.now() - killedAt, 'the restart must beat the keepalive timeout').toBeLessThan(WILL_AFTER_MS);
    const staleBefore = fleet.view.snapshot().staleMessages;

    await fleet.recorder.waitFor(
      (m) => m.topic === kioskTopics(KIOSK).status && m.payload.includes('"offline"'),
      WILL_AFTER_MS + 5_000,
    );
    expect(fleet.statusTrail(KIOSK)).toEqual([`online@${epoch}`, `online@${next}`, `offline@${epoch}`]);
    await waitUntil(
      () => fleet.view.snapshot().staleMessages > staleBefore,
      5_000,
      'the view to see the late Will',
    );
    expect(fleet.kioskIn(KIOSK)).toMatchObject({ state: 'online', epoch: next });
    await waitUntil(() => proxy.dangling === 0, 5_000, 'the broker to close the old connection');
  });
});
