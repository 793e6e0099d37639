import { afterAll, beforeAll, describe, it } from 'vitest';
import { Journal } from '../../src/journal/journal.js';
import { silentLogger } from '../../src/log.js';
import { KIOSK_ID } from '../fleet-link/fleet-link-rig.js';
import { forgedAcksLeaveOutboxUnchanged } from '../fleet-link/forged-ack-scenario.js';
import { type E2eRig, linkConfigFor, startLedger, startRig } from './fleet-e2e-rig.js';
import { connectWithCertificate } from './raw-mqtt.js';

let rig: E2eRig;

beforeAll(async () => {
  rig = await startRig();
}, 60_000);

afterAll(async () => {
  await rig?.dispose();
});

describe('payment acks through Mosquitto', () => {
  it('refuses forged, unsigned, wrongly signed, other-kiosk and ahead-of-publish acks from the fleet identity; the ledger still gets and acks both payments', async () => {
    const dir = rig.subdir('forged-acks');
    const journal = Journal.open({
      path: `${dir}/journal.sqlite`,
      kioskId: KIOSK_ID,
      logger: silentLogger(),
    });
    try {
      await forgedAcksLeaveOutboxUnchanged(
        {
          linkConfig: (dataDir, fleet) => linkConfigFor(rig, KIOSK_ID, dataDir, fleet),
          // Broker ACLs are not enough: the fleet identity may publish every kiosk's acks.
          attacker: () => connectWithCertificate(rig.broker, rig.pki, rig.pki.fleet),
          startLedger: (dbPath) => startLedger(rig, dbPath),
        },
        dir,
        journal,
      );
    } finally {
      journal.close();
    }
  }, 90_000);
});
