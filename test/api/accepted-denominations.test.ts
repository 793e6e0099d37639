import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KioskRig, startKioskRig, waitUntil } from './kiosk-daemon-rig.js';

/**
 * `acceptedDenominations` says what the customer can insert right now (issue 10, F13): while
 * the acceptor is offline or cannot take notes it is empty, and it comes back when the unit
 * does.
 */
describe('kiosk API: accepted denominations follow the acceptor', () => {
  let rig: KioskRig;

  beforeAll(async () => {
    rig = await startKioskRig();
  });
  afterAll(async () => {
    await rig?.stop();
  });

  const sim = async (command: object) => {
    const response = await fetch(`${rig.daemon.simulatorControlUrl}/devices/id003/control`, {
      method: 'POST',
      body: JSON.stringify(command),
    });
    expect(response.status, await response.text()).toBe(200);
  };

  for (const [lost, back] of [
    [{ action: 'power.cut' }, { action: 'power.on' }],
    [{ action: 'cable.unplug' }, { action: 'cable.plug' }],
  ] as const) {
    it(`is empty during a top-up while the acceptor is gone (${lost.action}) and comes back with it`, async () => {
      expect((await rig.request('POST', '/topups', { body: {} })).status).toBe(201);
      try {
        expect(
          (await rig.request('PUT', '/topups/current/account', { body: { account: '13800138000' } })).status,
        ).toBe(200);
        await rig.waitForTopUp(
          (v) => v.state === 'insertingCash' && v.acceptedDenominations.length > 0,
          10_000,
        );
        await sim(lost);
        await waitUntil(
          () => (rig.daemon.cashAcceptor.status.state !== 'online' ? true : undefined),
          'the acceptor to leave online',
          10_000,
        );
        // Read after the status changed: a view fetched before it would still list notes.
        const offline = (await rig.request('GET', '/topups/current')).body;
        expect(offline.state).toBe('insertingCash');
        expect(offline.acceptedDenominations).toEqual([]);
        await sim(back);
        await rig.waitForTopUp((v) => v.acceptedDenominations.includes(5000), 15_000);
      } finally {
        await rig.request('POST', '/topups/current/cancel', { body: {} });
        await rig.waitForTopUp((v) => v.state === 'cancelled' || v.state === 'done', 10_000);
      }
    });
  }
});
