import mqtt from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FleetView } from '../../src/fleet/fleet-view.js';
import type { EmbeddedBroker } from '../../src/fleet-broker/embedded-broker.js';
import { kioskTopics } from '../../src/fleet-protocol/index.js';
import { silentLogger } from '../../src/log.js';
import { sleep, startTestBroker, waitFor } from './fleet-test-kit.js';

let broker: EmbeddedBroker;
beforeEach(async () => {
  broker = await startTestBroker();
});
afterEach(async () => {
  await broker.close();
});

const status = (kioskId: string, state: 'online' | 'offline', epoch: number) =>
  JSON.stringify({
    v: 1,
    kioskId,
    ts: new Date().toISOString(),
    state,
    mode: 'inService',
    epoch,
    version: '0.1.0',
  });

const health = (kioskId: string, epoch: number) =>
  JSON.stringify({
    v: 1,
    kioskId,
    ts: new Date().toISOString(),
    epoch,
    mode: 'inService',
    uptimeS: 1,
    memory: { rssBytes: 1, heapUsedBytes: 1 },
    devices: { cashAcceptor: { state: 'online' } },
    cashbox: {},
    paper: 'ok',
    outbox: { pending: 4, oldestPendingSeq: 1 },
  });

describe('fleet view over MQTT', () => {
  it('keeps a kiosk online when the Will of its previous connection fires after the new online', async () => {
    const topics = kioskTopics('k-1');
    // The old connection: its Will is offline at epoch 4. It dies abruptly only after the new
    // connection said online at epoch 5, as when the old TCP session times out late.
    const old = await mqtt.connectAsync(broker.url, {
      protocolVersion: 4,
      ...broker.credentialsFor('k-1'),
      clientId: 'k-1-epoch-4',
      reconnectPeriod: 0,
      will: { topic: topics.status, payload: Buffer.from(status('k-1', 'offline', 4)), qos: 1, retain: true },
    });
    await old.publishAsync(topics.status, status('k-1', 'online', 4), { qos: 1, retain: true });
    const current = await mqtt.connectAsync(broker.url, {
      protocolVersion: 4,
      clientId: 'k-1-epoch-5',
      ...broker.credentialsFor('k-1'),
    });
    await current.publishAsync(topics.status, status('k-1', 'online', 5), { qos: 1, retain: true });

    const view = await FleetView.connect({
      broker: { url: broker.url, protocolVersion: 4, ...broker.fleetCredentials },
      logger: silentLogger(),
    });
    await waitFor('the retained online', () => view.snapshot().kiosks[0]?.epoch === 5);
    old.stream.destroy();
    await waitFor('the stale Will to arrive', () => view.snapshot().staleMessages === 1);
    expect(view.snapshot().kiosks[0]).toMatchObject({ kioskId: 'k-1', state: 'online', epoch: 5 });

    // A view started after all this reads the stale Will as the retained status and says so.
    const late = await FleetView.connect({
      broker: { url: broker.url, protocolVersion: 4, ...broker.fleetCredentials },
      logger: silentLogger(),
    });
    await sleep(200);
    expect(late.snapshot().kiosks[0]).toMatchObject({ state: 'offline', epoch: 4 });

    await current.endAsync();
    await view.close();
    await late.close();
    await old.endAsync(true);
  });

  it('marks a kiosk offline when the Will of its current connection fires', async () => {
    const topics = kioskTopics('k-2');
    const kiosk = await mqtt.connectAsync(broker.url, {
      protocolVersion: 4,
      reconnectPeriod: 0,
      ...broker.credentialsFor('k-2'),
      will: { topic: topics.status, payload: Buffer.from(status('k-2', 'offline', 9)), qos: 1, retain: true },
    });
    await kiosk.publishAsync(topics.status, status('k-2', 'online', 9), { qos: 1, retain: true });
    const view = await FleetView.connect({
      broker: { url: broker.url, protocolVersion: 4, ...broker.fleetCredentials },
      logger: silentLogger(),
    });
    await waitFor('online', () => view.snapshot().kiosks[0]?.state === 'online');
    kiosk.stream.destroy();
    await waitFor('offline from the Will', () => view.snapshot().kiosks[0]?.state === 'offline');
    await view.close();
    await kiosk.endAsync(true);
  });

  it('is not blinded by a forged retained status with epoch 2^53-1: the live kiosk stays online and its messages count', async () => {
    const topics = kioskTopics('k-3');
    const kiosk = await mqtt.connectAsync(broker.url, {
      protocolVersion: 4,
      reconnectPeriod: 0,
      ...broker.credentialsFor('k-3'),
    });
    await kiosk.publishAsync(topics.status, status('k-3', 'online', 3), { qos: 1, retain: true });
    const view = await FleetView.connect({
      broker: { url: broker.url, protocolVersion: 4, ...broker.fleetCredentials },
      logger: silentLogger(),
    });
    await waitFor('online', () => view.snapshot().kiosks[0]?.state === 'online', 10_000);

    // The embedded broker refuses anonymous publishers now, so the forger holds the kiosk's own
    // login (a leaked identity): the view must still not be blinded.
    const forger = await mqtt.connectAsync(broker.url, {
      protocolVersion: 4,
      reconnectPeriod: 0,
      ...broker.credentialsFor('k-3'),
    });
    await forger.publishAsync(topics.status, status('k-3', 'offline', 9007199254740991), {
      qos: 1,
      retain: true,
    });
    await waitFor('the forgery to be refused', () => view.snapshot().invalidMessages === 1, 10_000);
    // One just inside the bound, far ahead: flagged, not believed.
    await forger.publishAsync(topics.status, status('k-3', 'offline', 2_000_000_000), {
      qos: 1,
      retain: true,
    });
    await waitFor('the jump to be flagged', () => view.snapshot().kiosks[0]?.epochWarning !== null, 10_000);
    await kiosk.publishAsync(topics.health, health('k-3', 3), { qos: 0, retain: true });
    await waitFor('the kiosk’s health', () => view.snapshot().kiosks[0]?.outboxPending === 4, 10_000);
    expect(view.snapshot().kiosks[0]).toMatchObject({
      state: 'online',
      epoch: 3,
      epochWarning: { claimedEpoch: 2_000_000_000, believedEpoch: 3, adopted: false },
    });

    await view.close();
    await forger.endAsync();
    await kiosk.endAsync();
  });

  it('says why it cannot connect instead of retrying forever', async () => {
    await expect(
      FleetView.connect({
        broker: { url: broker.url, protocolVersion: 5 },
        logger: silentLogger(),
        connectTimeoutMs: 2000,
      }),
    ).rejects.toThrow(/refused MQTT 5.*use protocol version 4/);
  });
});
