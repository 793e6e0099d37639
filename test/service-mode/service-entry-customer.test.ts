import { afterEach, describe, expect, it } from 'vitest';
import { type KioskRig, startKioskRig, waitUntil } from '../api/kiosk-daemon-rig.js';
import { GOOD_PASSWORD, testHash } from './service-fixtures.js';

const rigs: KioskRig[] = [];
afterEach(async () => {
  for (const rig of rigs.splice(0)) await rig.stop({ removeData: true });
});

async function kiosk(): Promise<KioskRig> {
  const rig = await startKioskRig({
    technicians: [{ id: 't-001', passwordHash: await testHash(GOOD_PASSWORD) }],
  });
  rigs.push(rig);
  return rig;
}

async function customerAtCashIn(rig: KioskRig): Promise<void> {
  expect((await rig.request('POST', '/topups', { body: {} })).status).toBe(201);
  expect(
    (await rig.request('PUT', '/topups/current/account', { body: { account: '13800138000' } })).status,
  ).toBe(200);
  await rig.waitForTopUp((v) => v.state === 'insertingCash' && v.acceptedDenominations.length > 0);
}

function login(rig: KioskRig) {
  return rig.request('POST', '/service/session', { body: { technician: 't-001', password: GOOD_PASSWORD } });
}

function serviceEnter(rig: KioskRig): Record<string, unknown> | undefined {
  return rig.daemon.journal.audit.tail(30).find((e) => e.action === 'service.enter')?.details;
}

describe('entering service mode asks the running transaction to end (XFS4IoT VendorMode)', () => {
  it('ends a top-up with no cash in: cancelled, the customer sees maintenance, the kiosk is in maintenance at once', async () => {
    const rig = await kiosk();
    await customerAtCashIn(rig);
    const txId = (await rig.request('GET', '/topups/current')).body.txId as string;

    const entered = await login(rig);
    expect(entered.status).toBe(201);
    expect(entered.body).toMatchObject({ kioskMode: 'maintenance', serviceMode: 'active' });
    const view = await rig.waitForTopUp((v) => v.state === 'cancelled');
    expect(view).toMatchObject({ txId, total: 0, message: { code: 'kioskMaintenance' } });
    expect(serviceEnter(rig)).toMatchObject({ kioskMode: 'inService', customer: 'ended' });
    // Closed in the journal with nothing in it, and the acceptor no longer takes notes.
    await waitUntil(
      () => (rig.daemon.journal.summary().openTransactions === 0 ? true : undefined),
      'the transaction closed',
    );
    expect(rig.daemon.journal.summary().payments).toBe(0);
    // A new customer is told the kiosk is under maintenance.
    const next = await rig.request('POST', '/topups', { body: {} });
    expect(next.status).toBe(409);
    expect(next.body.error.reason).toContain('maintenance');
    expect(next.body.error.message).toBe(view.message.text);
  }, 60_000);

  it('waits for a top-up with cash in: the customer confirms, is paid, and only then the kiosk enters maintenance', async () => {
    const rig = await kiosk();
    await customerAtCashIn(rig);
    await rig.creditNote(1000, 1000);

    const entered = await login(rig);
    expect(entered.status).toBe(201);
    expect(entered.body).toMatchObject({ kioskMode: 'inService', serviceMode: 'entering' });
    expect(serviceEnter(rig)).toMatchObject({ customer: 'waiting' });
    const session = { 'x-service-session': String(entered.body.sessionToken) };
    // Device work waits for the customer.
    const early = await rig.request('POST', '/service/commands', {
      body: { cmd: 'test-acceptor', args: [] },
      headers: session,
    });
    expect(early.status).toBe(409);
    expect(early.body.error.reason).toContain('not active yet');
    // The customer was not cut off: still inserting cash, and may confirm.
    expect((await rig.request('GET', '/topups/current')).body).toMatchObject({
      state: 'insertingCash',
      total: 1000,
    });
    expect((await rig.request('POST', '/topups/current/confirm', { body: {} })).status).toBe(200);
    const done = await rig.waitForTopUp((v) => v.state === 'done', 15_000);
    expect(done).toMatchObject({ total: 1000, kind: 'complete' });

    await waitUntil(
      () => (rig.daemon.serviceMode.state === 'active' ? true : undefined),
      'service mode active after the customer',
      15_000,
    );
    expect(rig.daemon.serviceMode.status()).toMatchObject({ kioskMode: 'maintenance' });
    expect(rig.daemon.journal.payments.last()).toMatchObject({ amount: 1000, kind: 'complete' });
  }, 60_000);
});
