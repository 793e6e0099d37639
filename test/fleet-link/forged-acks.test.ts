import { join } from 'node:path';
import mqtt from 'mqtt';
import { describe, it } from 'vitest';
import { FleetLedger } from '../../src/fleet/ledger.js';
import { startEmbeddedBroker } from '../../src/fleet-broker/embedded-broker.js';
import { silentLogger } from '../../src/log.js';
import { TEST_LEDGER_KEY } from '../fleet/ledger-test-keys.js';
import { KIOSK_ID, linkConfig, onCleanup, openJournal, tempDir } from './fleet-link-rig.js';
import { forgedAcksLeaveOutboxUnchanged } from './forged-ack-scenario.js';

describe('payment acks on the embedded broker', () => {
  it('refuses forged, unsigned, wrongly signed, other-kiosk and ahead-of-publish acks; the ledger still gets and acks both payments', async () => {
    const broker = await startEmbeddedBroker({ host: '127.0.0.1', port: 0, logger: silentLogger() });
    onCleanup(() => broker.close());
    const dir = tempDir();
    const journal = openJournal(dir);
    await forgedAcksLeaveOutboxUnchanged(
      {
        linkConfig: (dataDir, fleet) =>
          linkConfig({
            dataDir,
            brokerUrl: broker.url,
            fleet: {
              ...fleet,
              broker: { url: broker.url, protocolVersion: 4, ...broker.credentialsFor(KIOSK_ID) },
            },
          }),
        // The broker takes acks only from the fleet identity: the attacker holds it (a leaked
        // login, or any fleet tool), which is exactly what the signature must defend against.
        attacker: () =>
          mqtt.connectAsync(broker.url, {
            protocolVersion: 4,
            reconnectPeriod: 0,
            ...broker.fleetCredentials,
          }),
        startLedger: (dbPath) =>
          FleetLedger.start({
            broker: { url: broker.url, protocolVersion: 4, ...broker.fleetCredentials },
            dbPath: join(dbPath),
            ackKey: TEST_LEDGER_KEY.privateKey,
            sharedSubscription: false,
            logger: silentLogger(),
          }),
      },
      dir,
      journal,
    );
  }, 60_000);
});
