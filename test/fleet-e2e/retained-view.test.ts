import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FleetView } from '../../src/fleet/fleet-view.js';
import { FleetLink } from '../../src/fleet-link/fleet-link.js';
import { KioskStatusBoard } from '../../src/fleet-link/kiosk-status-board.js';
import { statusBoardCommandHandlers } from '../../src/fleet-link/status-board-commands.js';
import { Journal } from '../../src/journal/journal.js';
import { silentLogger } from '../../src/log.js';
import { makePayments } from '../fleet-link/fleet-link-rig.js';
import { type E2eRig, linkConfigFor, startRig, waitUntil } from './fleet-e2e-rig.js';

/*
 * F12 on a real Mosquitto with the seeds' TLS and ACL: the kiosk (its own certificate) may
 * publish its retained health and alert set, and a monitor (the fleet's certificate) started
 * after a payment and an alert sees both at once, without waiting for a health period.
 */
const KIOSK = 'K-0042';
let rig: E2eRig;

beforeAll(async () => {
  rig = await startRig();
});

afterAll(async () => {
  await rig?.dispose();
});

async function lateView(): Promise<FleetView> {
  return FleetView.connect({
    broker: {
      url: rig.broker.tlsUrl,
      protocolVersion: 5,
      ca: rig.pki.ca,
      cert: rig.pki.fleet.cert,
      key: rig.pki.fleet.key,
    },
    logger: silentLogger(),
  });
}

describe('a monitor started later, on Mosquitto with the seeds ACL', () => {
  it('sees the latest health, the last payment and the open alerts at once; a cleared alert leaves the set', async () => {
    const dataDir = rig.subdir('kiosk');
    const journal = Journal.open({
      path: join(dataDir, 'journal.sqlite'),
      kioskId: KIOSK,
      logger: silentLogger(),
    });
    const board = new KioskStatusBoard({ mode: 'inService' });
    board.setDeviceStatus('cashAcceptor', { state: 'online' });
    const link = new FleetLink({
      // A health period far longer than the test: only retained messages can show the kiosk.
      config: linkConfigFor(rig, KIOSK, dataDir, { healthIntervalMs: 600_000 }),
      journal,
      context: board,
      commands: statusBoardCommandHandlers(board, journal),
      logger: silentLogger(),
    });
    const views: FleetView[] = [];
    try {
      link.start();
      await link.waitForConnection(10_000);
      makePayments(journal, 1);
      board.setDeviceStatus('cashAcceptor', {
        state: 'hardwareError',
        action: 'maintenance',
        reason: 'jamInStacker',
      });
      // Long enough for the kiosk's publishes to reach the broker (health follows a payment within 300 ms).
      await new Promise((resolve) => setTimeout(resolve, 1_000));

      const first = await lateView();
      views.push(first);
      await waitUntil(
        () => {
          const kiosk = first.snapshot().kiosks.find((k) => k.kioskId === KIOSK);
          return kiosk?.lastPayment?.seq === 1 && kiosk.openAlerts.length === 1;
        },
        10_000,
        'the late view to show the payment and the open alert',
      );
      expect(first.snapshot().kiosks.find((k) => k.kioskId === KIOSK)).toMatchObject({
        state: 'online',
        devices: { cashAcceptor: { state: 'hardwareError' } },
        cashbox: { cashAcceptor: { notes: 1 } },
        lastPayment: { seq: 1, amount: 1000 },
        openAlerts: [{ device: 'cashAcceptor', kind: 'jamInStacker' }],
      });

      board.setDeviceStatus('cashAcceptor', { state: 'online' });
      await waitUntil(
        () => first.snapshot().kiosks.find((k) => k.kioskId === KIOSK)?.openAlerts.length === 0,
        10_000,
        'the running view to see the alert cleared',
      );
      const second = await lateView();
      views.push(second);
      await waitUntil(
        () =>
          second.snapshot().kiosks.find((k) => k.kioskId === KIOSK)?.devices['cashAcceptor']?.state ===
          'online',
        10_000,
        'the second late view to see the kiosk',
      );
      // The retained set and health arrive together on subscribing; give the set a moment too.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const kiosk = second.snapshot().kiosks.find((k) => k.kioskId === KIOSK)!;
      expect(kiosk.openAlerts).toEqual([]);
      expect(kiosk.lastPayment?.seq).toBe(1);
    } finally {
      await Promise.all(views.map((v) => v.close()));
      await link.stop();
      journal.close();
    }
  });
});
