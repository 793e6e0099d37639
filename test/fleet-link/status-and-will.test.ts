import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FleetLink } from '../../src/fleet-link/fleet-link.js';
import { KioskStatusBoard } from '../../src/fleet-link/kiosk-status-board.js';
import { startFleetLink } from '../../src/fleet-link/start-fleet-link.js';
import { statusBoardCommandHandlers } from '../../src/fleet-link/status-board-commands.js';
import { statusPayloadSchema } from '../../src/fleet-protocol/index.js';
import { silentLogger } from '../../src/log.js';
import {
  FleetObserver,
  linkConfig,
  onCleanup,
  openJournal,
  startTestBroker,
  tempDir,
} from './fleet-link-rig.js';

describe('fleet link status and Last Will', () => {
  it('publishes a retained online status whose epoch grows by one on every connection, persisted before connecting', async () => {
    const broker = await startTestBroker();
    const dir = tempDir();
    const journal = openJournal(dir);
    const config = linkConfig({ dataDir: dir, brokerUrl: broker.url });

    const first = startFleetLink({ config, journal, logger: silentLogger() }).link;
    expect(await first.waitForConnection(5000)).toBe(1);
    await first.stop();
    const second = startFleetLink({ config, journal, logger: silentLogger() }).link;
    onCleanup(() => second.stop());
    expect(await second.waitForConnection(5000)).toBe(2);
    expect(JSON.parse(readFileSync(join(dir, 'fleet-epoch.json'), 'utf8'))).toEqual({ epoch: 2 });

    // A subscriber arriving later gets the retained status: online, epoch 2, valid on the wire.
    const fleet = await FleetObserver.connect(broker.url);
    const status = await fleet.waitFor('retained status', () => fleet.on('status').find((m) => m.retain));
    expect(statusPayloadSchema.parse(status.json)).toMatchObject({
      state: 'online',
      epoch: 2,
      mode: 'inService',
      kioskId: 'K-0001',
    });
  });

  it('lets the broker publish the Last Will (offline, same epoch, retained) when the socket dies, then reconnects with the next epoch', async () => {
    const broker = await startTestBroker();
    const dir = tempDir();
    const journal = openJournal(dir);
    const fleet = await FleetObserver.connect(broker.url);
    const { link } = startFleetLink({
      config: linkConfig({ dataDir: dir, brokerUrl: broker.url }),
      journal,
      logger: silentLogger(),
    });
    onCleanup(() => link.stop());
    await fleet.waitFor('online epoch 1', () =>
      fleet.on('status').find((m) => m.json['state'] === 'online' && m.json['epoch'] === 1),
    );

    let kioskSockets = 0;
    broker.aedes.on('clientDisconnect', (client) => {
      if (client.id === 'kioskd-K-0001') kioskSockets += 1;
    });
    // Cut the kiosk's socket only (the observer's too would lose the Will): Aedes's client list.
    const kiosk = (broker.aedes as unknown as { clients: Record<string, { conn: { destroy(): void } }> })
      .clients['kioskd-K-0001'];
    expect(kiosk).toBeDefined();
    kiosk?.conn.destroy();

    const will = await fleet.waitFor('the Will', () =>
      fleet.on('status').find((m) => m.json['state'] === 'offline'),
    );
    expect(statusPayloadSchema.parse(will.json)).toMatchObject({ state: 'offline', epoch: 1 });
    const back = await fleet.waitFor('online epoch 2', () =>
      fleet.on('status').find((m) => m.json['state'] === 'online' && m.json['epoch'] === 2),
    );
    expect(back.json['kioskId']).toBe('K-0001');
    expect(kioskSockets).toBe(1);
    const order = fleet.on('status').map((m) => `${m.json['state']}:${m.json['epoch']}`);
    expect(order).toEqual(['online:1', 'offline:1', 'online:2']);
  });

  it('says offline itself (retained, same epoch) when stopped, since a clean disconnect discards the Will', async () => {
    const broker = await startTestBroker();
    const dir = tempDir();
    const journal = openJournal(dir);
    const { link } = startFleetLink({
      config: linkConfig({ dataDir: dir, brokerUrl: broker.url }),
      journal,
      logger: silentLogger(),
    });
    await link.waitForConnection(5000);
    await link.stop();
    expect(link.connected).toBe(false);
    const fleet = await FleetObserver.connect(broker.url);
    const retained = await fleet.waitFor('retained status', () => fleet.on('status').find((m) => m.retain));
    expect(retained.json).toMatchObject({ state: 'offline', epoch: 1 });
  });

  it('republishes the retained status when the kiosk mode changes', async () => {
    const broker = await startTestBroker();
    const dir = tempDir();
    const journal = openJournal(dir);
    const board = new KioskStatusBoard({ mode: 'inService' });
    const link = new FleetLink({
      config: linkConfig({ dataDir: dir, brokerUrl: broker.url }),
      journal,
      context: board,
      commands: statusBoardCommandHandlers(board, journal),
      logger: silentLogger(),
    });
    link.start();
    onCleanup(() => link.stop());
    const fleet = await FleetObserver.connect(broker.url);
    await fleet.waitFor('in service', () => fleet.on('status').find((m) => m.json['mode'] === 'inService'));
    board.setMode('outOfService');
    const changed = await fleet.waitFor('out of service', () =>
      fleet.on('status').find((m) => m.json['mode'] === 'outOfService'),
    );
    expect(changed.json).toMatchObject({ state: 'online', epoch: 1 });
  });

  it('keeps retrying an absent broker on its back-off schedule and connects once the broker appears', async () => {
    const probe = await startTestBroker();
    const port = probe.port;
    await probe.close();
    const dir = tempDir();
    const journal = openJournal(dir);
    const { link } = startFleetLink({
      config: linkConfig({ dataDir: dir, brokerUrl: `mqtt://127.0.0.1:${port}` }),
      journal,
      logger: silentLogger(),
    });
    onCleanup(() => link.stop());
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(link.connected).toBe(false);
    const broker = await startTestBroker(port);
    const epoch = await link.waitForConnection(5000);
    // Each failed attempt took an epoch too, and the back-off (20 ms doubling to 200 ms) kept
    // them few: neither one attempt (no retrying) nor one per millisecond.
    expect(epoch).toBeGreaterThan(3);
    expect(epoch).toBeLessThan(15);
    const fleet = await FleetObserver.connect(broker.url);
    await fleet.waitFor('online', () => fleet.on('status').find((m) => m.json['epoch'] === epoch));
  });
});
