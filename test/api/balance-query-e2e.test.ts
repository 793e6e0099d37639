import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Json, type KioskRig, startKioskRig, waitUntil } from './kiosk-daemon-rig.js';

const ACCOUNT = '13800138000';
/** The demo account's service password (seeds/accounts.yaml, README). */
const PASSWORD = '246810';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Issue 13 end to end, every part real: the kiosk API, the ID-003 and EPP simulators through
 * their drivers, the embedded broker and ledger, and the embedded account service holding the
 * BDK. The service password is pressed on the simulated pad's keys; the daemon only ever sees
 * a count of digits and an encrypted block it passes on.
 */
describe('kiosk API: top up, then ask the balance with the service password on the PIN pad', () => {
  let rig: KioskRig;
  let padControl: string;

  beforeAll(async () => {
    const accountsPort = await freePort();
    rig = await startKioskRig({
      devices: {
        cashAcceptor: { port: 'sim:id003', pollIntervalMs: 100 },
        pinPad: { enabled: true, port: 'sim:epp' },
      },
      simulators: {
        controlPort: 0,
        options: { id003: { timingPreset: 'fast' }, epp: { timingPreset: 'fast' } },
      },
      transaction: {
        accountCheck: { enabled: true, url: `http://127.0.0.1:${accountsPort}/v1/account-check` },
      },
      balanceQuery: {
        enabled: true,
        accountService: { url: `http://127.0.0.1:${accountsPort}`, token: 'demo-accounts-token-0001' },
      },
      fleet: {
        enabled: true,
        broker: { url: 'embedded', protocolVersion: 4 },
        embeddedBroker: { host: '127.0.0.1', port: 0 },
      },
    });
    padControl = `${rig.daemon.simulatorControlUrl}/devices/epp/control`;
    await waitUntil(
      () => (rig.daemon.devices.get('pinPad')?.status.state === 'online' ? true : undefined),
      'PIN pad online',
      10_000,
    );
  }, 30_000);
  afterAll(async () => {
    await rig?.stop();
  });

  async function press(keys: string): Promise<void> {
    const response = await fetch(padControl, {
      method: 'POST',
      body: JSON.stringify({ action: 'keys.press', keys }),
    });
    expect(response.status, await response.text()).toBe(200);
  }

  async function padState(): Promise<Json> {
    const response = await fetch(padControl, { method: 'POST', body: JSON.stringify({ action: 'state' }) });
    return ((await response.json()) as Json).result;
  }

  async function balanceQuery(): Promise<Json> {
    let last: Json;
    return waitUntil(
      async () => {
        last = (await rig.request('GET', '/balance-queries/current')).body;
        return last?.state === 'showingBalance' || last?.state === 'ended' ? last : undefined;
      },
      'the balance query to answer',
      10_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}; last seen ${JSON.stringify(last)}`);
    });
  }

  /** One customer's query: the account on the screen, the password on the pad. */
  async function ask(password: string): Promise<Json> {
    const started = await rig.request('POST', '/balance-queries', { body: {} });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const given = await rig.request('PUT', '/balance-queries/current/account', {
      body: { account: ACCOUNT },
    });
    expect(given.status, JSON.stringify(given.body)).toBe(200);
    expect(given.body.state).toBe('enteringPin');
    // A customer types once the pad is taking the PIN (keys pressed before that do nothing).
    await waitUntil(
      async () => ((await padState()).entry === 'pinEntry' ? true : undefined),
      'the pad to take the PIN',
    );
    await press(`${password}E`);
    const answer = await balanceQuery();
    // Whatever the answer, the API carried a count, never the digits.
    expect(JSON.stringify(answer)).not.toContain(password);
    if (answer.state === 'showingBalance') {
      expect((await rig.request('POST', '/balance-queries/current/cancel', { body: {} })).status).toBe(200);
    }
    return answer;
  }

  it('shows the balance 50 yuan higher after a 50-yuan top-up', async () => {
    const before = await ask(PASSWORD);
    expect(before).toMatchObject({ state: 'showingBalance', digitsEntered: 6 });
    expect(Number.isSafeInteger(before.balanceFen)).toBe(true);

    expect((await rig.request('POST', '/topups', { body: {} })).status).toBe(201);
    expect((await rig.request('PUT', '/topups/current/account', { body: { account: ACCOUNT } })).status).toBe(
      200,
    );
    await rig.waitForTopUp((v) => v.state === 'insertingCash' && v.acceptedDenominations.length > 0);
    await rig.creditNote(5_000, 5_000);
    expect((await rig.request('POST', '/topups/current/confirm', { body: {} })).status).toBe(200);
    const done = await rig.waitForTopUp((v) => v.state === 'done', 15_000);
    expect(done).toMatchObject({ kind: 'complete', total: 5_000 });

    // The ledger stores the payment and credits it to the account once; the query sees it.
    const accounts = rig.daemon.embeddedFleet!.accounts;
    await waitUntil(
      () => (accounts.service.store.creditOf(done.paymentId) !== undefined ? true : undefined),
      'the payment credited to the account',
      15_000,
    );
    const after = await ask(PASSWORD);
    expect(after).toMatchObject({ state: 'showingBalance' });
    expect(after.balanceFen).toBe(before.balanceFen + 5_000);
  }, 60_000);

  it('a wrong password three times locks the account, and the right one is then refused too', async () => {
    const first = await ask('111111');
    expect(first).toMatchObject({ state: 'ended', outcome: 'wrongPin', triesLeft: 2 });
    const second = await ask('222222');
    expect(second).toMatchObject({ state: 'ended', outcome: 'wrongPin', triesLeft: 1 });
    const third = await ask('333333');
    expect(third).toMatchObject({ state: 'ended', outcome: 'locked' });
    expect(Date.parse(third.lockedUntil)).toBeGreaterThan(Date.now());
    const right = await ask(PASSWORD);
    expect(right).toMatchObject({ state: 'ended', outcome: 'locked', balanceFen: null });
  }, 60_000);
});
