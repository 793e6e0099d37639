import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type KioskApi, startKioskApi } from '../../src/api/kiosk-api.js';
import { BalanceQueryService } from '../../src/balance-query/balance-query-service.js';
import { message } from '../../src/i18n/messages.js';
import { silentLogger } from '../../src/log.js';
import { BALANCE_FEN, balanceQueryConfig, TOKEN } from '../balance-query/balance-query-rig.js';
import { ScriptedPinPad } from '../balance-query/scripted-pin-pad.js';
import { ACCOUNTS, startTestAccountService } from '../balance-query/test-account-service.js';
import { type Json, type KioskRig, readEvents, startKioskRig, waitUntil } from './kiosk-daemon-rig.js';

const PIN = '246810';

/**
 * The balance query's routes over real HTTP, beside the real daemon's top-up: the daemon (real
 * acceptor simulator, journal, top-up service) runs as in the field, and a second kiosk API is
 * started on its top-up service and the daemon's customer slot with a balance query service over
 * a scripted pad, since this build has no PIN pad driver for the daemon to run yet.
 */
describe('kiosk API: balance queries', () => {
  let rig: KioskRig;
  let api: KioskApi;
  let dir: string;
  let service: BalanceQueryService;
  const pad = new ScriptedPinPad();
  let accounts: Awaited<ReturnType<typeof startTestAccountService>>;
  const blockHex = Buffer.from(pad.block.pinBlock).toString('hex');
  const ksnHex = Buffer.from(pad.block.ksn).toString('hex');
  /** Every body the API answered, searched for secrets at the end. */
  const answered: string[] = [];

  beforeAll(async () => {
    rig = await startKioskRig();
    accounts = await startTestAccountService({
      token: TOKEN,
      balanceFen: BALANCE_FEN,
      expectedPinBlockHex: blockHex,
    });
    dir = mkdtempSync(join(tmpdir(), 'kioskd-bq-api-'));
    const config = {
      ...balanceQueryConfig(accounts.url),
      dataDir: dir,
      api: { host: '127.0.0.1' as const, port: 0 },
    };
    service = new BalanceQueryService({
      config,
      pinPad: pad.asPinPad(),
      customers: rig.daemon.customers,
      modes: { mode: 'inService', transactionStarted() {}, transactionEnded() {} },
      logger: silentLogger(),
    });
    api = await startKioskApi({
      service: rig.daemon.topUps,
      balanceQueries: service,
      config,
      logger: silentLogger(),
    });
  });
  afterAll(async () => {
    service?.stop();
    await api?.close();
    await accounts?.close();
    await rig?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    if (service.current() !== null && service.current()?.state !== 'ended') service.cancel();
    const topUp = rig.daemon.topUps.current();
    if (topUp !== null && !['done', 'cancelled'].includes(topUp.state)) await rig.daemon.topUps.cancel();
    await waitUntil(
      () => (pad.entry === undefined && rig.daemon.customers.holder === null ? true : undefined),
      'a free kiosk',
    );
  });

  async function call(
    method: string,
    path: string,
    init: { body?: unknown; token?: string | null; headers?: Record<string, string> } = {},
  ): Promise<{ status: number; body: Json }> {
    const token = init.token === undefined ? api.token : init.token;
    const response = await fetch(`${api.url}/api/v1${path}`, {
      method,
      headers: {
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token === null ? {} : { authorization: `Bearer ${token}` }),
        ...init.headers,
      },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
    const text = await response.text();
    answered.push(text);
    return { status: response.status, body: text === '' ? null : JSON.parse(text) };
  }

  const current = () => call('GET', '/balance-queries/current?lang=en');
  const waitForQuery = (predicate: (view: Json) => boolean) =>
    waitUntil(async () => {
      const { status, body } = await current();
      return status === 200 && predicate(body) ? body : undefined;
    }, 'the balance query');

  it('runs a query: start, account, PIN on the pad, balance; the API and SSE carry only digit counts', async () => {
    const stream = readEvents(await fetch(`${api.url}/api/v1/events?lang=en`));
    try {
      await waitUntil(() => stream.events.find((e) => e.type === 'snapshot'), 'the snapshot');
      expect(stream.events[0]?.data.balanceQuery).toBeNull();
      const started = await call('POST', '/balance-queries?lang=en', { body: {} });
      expect(started.status, JSON.stringify(started.body)).toBe(201);
      expect(started.body).toMatchObject({
        state: 'enteringAccount',
        account: null,
        digitsEntered: 0,
        balanceFen: null,
        message: { code: 'enterAccountForQuery', text: message('enterAccountForQuery', 'en') },
      });
      const entered = await call('PUT', '/balance-queries/current/account', {
        body: { account: ACCOUNTS.known },
      });
      expect(entered.status).toBe(200);
      expect(entered.body).toMatchObject({ state: 'enteringPin', account: '138****8000' });
      await waitUntil(() => (pad.entry?.kind === 'pin' ? true : undefined), 'the pad to take the PIN');
      pad.press('2468');
      expect((await current()).body.digitsEntered).toBe(4);
      pad.press('10E');
      const shown = await waitForQuery((v) => v.state === 'showingBalance');
      expect(shown).toMatchObject({ balanceFen: BALANCE_FEN, digitsEntered: 6, outcome: null });
      await waitForQuery((v) => v.state === 'ended');
      const states = stream.events.filter((e) => e.type === 'balanceQuery.state').map((e) => e.data);
      expect(states.map((s) => s.digitsEntered)).toEqual(expect.arrayContaining([0, 1, 2, 3, 4, 5, 6]));
      expect(states.at(-1)).toMatchObject({ state: 'ended', outcome: 'shown', balanceFen: null });
      const seen = JSON.stringify(stream.events) + answered.join('');
      for (const secret of [blockHex, blockHex.toUpperCase(), ksnHex, ksnHex.toUpperCase(), PIN])
        expect(seen).not.toContain(secret);
      expect(JSON.stringify(accounts.seen)).toContain(blockHex);
    } finally {
      stream.close();
    }
  });

  it('cancels from the screen', async () => {
    await call('POST', '/balance-queries', { body: {} });
    await call('PUT', '/balance-queries/current/account', { body: { account: ACCOUNTS.known } });
    await waitUntil(() => (pad.entry?.kind === 'pin' ? true : undefined), 'the pad to take the PIN');
    const cancelled = await call('POST', '/balance-queries/current/cancel?lang=en', { body: {} });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ state: 'ended', outcome: 'cancelled' });
    const again = await call('POST', '/balance-queries/current/cancel?lang=en', { body: {} });
    expect(again.status).toBe(409);
    expect(again.body.error.message).toBe(message('noBalanceQuery', 'en'));
  });

  it('keeps the top-up routes rules: token, JSON, Origin, strict bodies, a valid account', async () => {
    expect((await call('POST', '/balance-queries', { body: {}, token: null })).status).toBe(401);
    expect((await call('POST', '/balance-queries', { body: {}, token: 'wrong' })).status).toBe(401);
    const text = await fetch(`${api.url}/api/v1/balance-queries`, {
      method: 'POST',
      headers: { authorization: `Bearer ${api.token}`, 'content-type': 'text/plain' },
      body: '{}',
    });
    expect(text.status).toBe(415);
    const foreign = await call('POST', '/balance-queries', {
      body: {},
      headers: { origin: 'http://evil.example' },
    });
    expect(foreign.status).toBe(403);
    expect(rig.daemon.customers.holder).toBeNull();
    expect((await call('POST', '/balance-queries', { body: { pin: PIN } })).status).toBe(400);
    expect((await call('POST', '/balance-queries', { body: {} })).status).toBe(201);
    const bad = await call('PUT', '/balance-queries/current/account?lang=en', {
      body: { account: '+8613800138000' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toBe(message('invalidAccount', 'en'));
    expect((await call('DELETE', '/balance-queries/current')).status).toBe(405);
  });

  it('never runs beside a top-up: each refuses while the other is active', async () => {
    expect((await call('POST', '/topups', { body: {} })).status).toBe(201);
    const refused = await call('POST', '/balance-queries?lang=en', { body: {} });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toBe(message('topUpActive', 'en'));
    expect((await call('POST', '/topups/current/cancel', { body: {} })).status).toBe(200);
    await waitUntil(() => (rig.daemon.customers.holder === null ? true : undefined), 'the top-up to end');
    expect((await call('POST', '/balance-queries', { body: {} })).status).toBe(201);
    const topUp = await call('POST', '/topups?lang=en', { body: {} });
    expect(topUp.status).toBe(409);
    expect(topUp.body.error.message).toBe(message('balanceQueryActive', 'en'));
  });

  it('answers 404 "not available" on a kiosk without the balance query', async () => {
    const response = await rig.request('POST', '/balance-queries?lang=en', { body: {} });
    expect(response.status).toBe(404);
    expect(response.body.error.message).toBe(message('balanceQueryUnavailable', 'en'));
    expect((await rig.request('GET', '/balance-queries/current')).status).toBe(404);
  });
});
