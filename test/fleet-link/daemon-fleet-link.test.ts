import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kioskConfigSchema } from '../../src/config/index.js';
import { startDaemon } from '../../src/daemon/daemon.js';
import { commandResultSchema, healthPayloadSchema } from '../../src/fleet-protocol/index.js';
import { silentLogger } from '../../src/log.js';
import { TEST_LEDGER_KEY } from '../fleet/ledger-test-keys.js';
import {
  FleetObserver,
  fleetSigner,
  KIOSK_ID,
  onCleanup,
  startTestBroker,
  tempDir,
} from './fleet-link-rig.js';

describe('daemon with the fleet link', () => {
  it('reports the acceptor and mode, obeys setMode, and says offline before the journal closes on stop', async () => {
    const broker = await startTestBroker();
    const dir = tempDir();
    const signer = fleetSigner();
    const config = kioskConfigSchema.parse({
      kioskId: KIOSK_ID,
      dataDir: join(dir, 'var'),
      devices: { cashAcceptor: { port: 'sim:id003' } },
      simulators: { controlPort: 0, options: { id003: { timingPreset: 'fast' } } },
      api: { port: 0 },
      fleet: {
        broker: { url: broker.url, protocolVersion: 4 },
        reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
        commands: { publicKeys: [{ id: 'fleet-test', key: signer.publicKeyPem }] },
        ledger: { publicKeys: [TEST_LEDGER_KEY.configEntry] },
      },
    });
    const fleet = await FleetObserver.connect(broker.url);
    const daemon = await startDaemon({ config, configPath: join(dir, 'kiosk.yaml'), logger: silentLogger() });
    let stopped = false;
    onCleanup(async () => {
      if (!stopped) await daemon.stop();
    });
    expect(daemon.fleetLink).toBeDefined();
    await fleet.waitFor('online', () => fleet.on('status').find((m) => m.json['state'] === 'online'), 10_000);
    // Recovery done and the acceptor up: the kiosk's effective mode turns inService, and health
    // says so without waiting for the period.
    await fleet.waitFor(
      'acceptor online and in service in health',
      () =>
        fleet.on('health').find((m) => {
          const health = healthPayloadSchema.parse(m.json);
          return health.devices['cashAcceptor']?.state === 'online' && health.mode === 'inService';
        }),
      15_000,
    );

    const now = Date.now();
    const command = signer.sign({
      cmdId: `cmd-${randomBytes(8).toString('hex')}`,
      kioskId: KIOSK_ID,
      action: 'setMode',
      args: { mode: 'outOfService' },
      issuedAt: new Date(now).toISOString(),
      expiresAt: new Date(now + 60_000).toISOString(),
    });
    await fleet.publish('cmd', command);
    const result = await fleet.waitFor('setMode result', () => fleet.on('cmd/result')[0], 5000);
    expect(commandResultSchema.parse(result.json)).toMatchObject({
      status: 'ok',
      result: { mode: 'outOfService' },
    });
    await fleet.waitFor('status out of service', () =>
      fleet.on('status').find((m) => m.json['state'] === 'online' && m.json['mode'] === 'outOfService'),
    );

    const journal = daemon.journal;
    await daemon.stop();
    stopped = true;
    expect(journal.isOpen).toBe(false);
    const last = await fleet.waitFor('offline', () =>
      fleet.on('status').find((m) => m.json['state'] === 'offline'),
    );
    expect(last.json).toMatchObject({ state: 'offline', mode: 'outOfService', epoch: 1 });
  });
});
