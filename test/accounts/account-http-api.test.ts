import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '../../src/accounts/account-http-api.js';
import { type RunningAccountService, startAccountServer } from '../../src/accounts/account-server.js';
import { createLogger } from '../../src/log.js';
import {
  aesPad,
  DEMO_ACCOUNT,
  DEMO_PASSWORD,
  hex,
  pinBlockFor,
  scratch,
  TOKEN,
  tdesPad,
  testConfig,
} from './account-test-kit.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  // biome-ignore lint/suspicious/noExplicitAny: answers are read field by field in assertions
  body: any;
}

function call(
  base: string,
  method: string,
  path: string,
  options: { body?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, base), { method, headers: options.headers }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: text === '' ? undefined : JSON.parse(text),
        }),
      );
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

const json = (body: unknown, token = TOKEN) => ({
  body: JSON.stringify(body),
  headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
});

async function start(
  extra: Record<string, unknown> = {},
  logLines?: string[],
): Promise<RunningAccountService> {
  const dir = scratch('http');
  const logger = createLogger({
    level: 'debug',
    destination: {
      write: (line: string) => {
        logLines?.push(line);
        return true;
      },
    } as unknown as NodeJS.WritableStream,
  });
  const running = await startAccountServer(testConfig(dir.path, extra), { logger });
  cleanups.push(dir.remove, () => running.stop());
  return running;
}

describe('account service HTTP API', () => {
  it('answers a balance query for both PIN block formats, and logs neither block nor KSN', async () => {
    const lines: string[] = [];
    const service = await start({}, lines);
    const secrets: string[] = [];
    for (const pad of [tdesPad(), aesPad()]) {
      const block = pinBlockFor(pad, DEMO_PASSWORD);
      secrets.push(hex(block.pinBlock), hex(block.ksn));
      const answer = await call(
        service.url,
        'POST',
        '/v1/balance-queries',
        json({
          account: DEMO_ACCOUNT,
          format: block.format,
          pinBlock: hex(block.pinBlock),
          ksn: hex(block.ksn),
        }),
      );
      expect(answer).toMatchObject({ status: 200, body: { result: 'balance', balanceFen: 10_000 } });
    }
    const wrong = pinBlockFor(tdesPad(3), '135790');
    const answer = await call(
      service.url,
      'POST',
      '/v1/balance-queries',
      json({ account: DEMO_ACCOUNT, format: 'iso0', pinBlock: hex(wrong.pinBlock), ksn: hex(wrong.ksn) }),
    );
    expect(answer.body).toEqual({ result: 'wrongPin', triesLeft: 2 });
    const log = lines.join('').toUpperCase();
    expect(lines.length).toBeGreaterThan(3);
    for (const secret of [...secrets, hex(wrong.pinBlock), hex(wrong.ksn), DEMO_PASSWORD, '135790']) {
      expect(log.includes(secret)).toBe(false);
    }
  });

  it('refuses requests without the right bearer token, changing nothing', async () => {
    const service = await start();
    const credit = { paymentId: '01JF0000000000000000000001', account: DEMO_ACCOUNT, amountFen: 500 };
    for (const headers of <Record<string, string>[]>[
      { 'content-type': 'application/json' },
      { 'content-type': 'application/json', authorization: 'Bearer wrong-token-wrong-token' },
      { 'content-type': 'application/json', authorization: `Basic ${TOKEN}` },
    ]) {
      const answer = await call(service.url, 'POST', '/v1/credits', {
        body: JSON.stringify(credit),
        headers,
      });
      expect(answer.status).toBe(401);
      expect(answer.headers['www-authenticate']).toMatch(/^Bearer/);
    }
    expect((await call(service.url, 'GET', `/v1/account-check?account=${DEMO_ACCOUNT}`)).status).toBe(401);
    expect(service.service.store.get(DEMO_ACCOUNT)?.balanceFen).toBe(10_000);
  });

  it('serves the account check without a token when configured so (the daemon sends none)', async () => {
    const service = await start({ accountCheckNeedsToken: false });
    expect(await call(service.url, 'GET', `/v1/account-check?account=${DEMO_ACCOUNT}`)).toMatchObject({
      status: 200,
      body: { ok: true, dailyTotalSoFar: 0 },
    });
    expect((await call(service.url, 'GET', '/v1/account-check?account=13900000000')).status).toBe(404);
    // Credits still need the token.
    const credit = { paymentId: '01JF0000000000000000000001', account: DEMO_ACCOUNT, amountFen: 500 };
    const answer = await call(service.url, 'POST', '/v1/credits', {
      body: JSON.stringify(credit),
      headers: { 'content-type': 'application/json' },
    });
    expect(answer.status).toBe(401);
  });

  it('credits once per paymentId, and the account check counts it', async () => {
    const service = await start();
    const credit = { paymentId: '01JF0000000000000000000001', account: DEMO_ACCOUNT, amountFen: 5000 };
    expect((await call(service.url, 'POST', '/v1/credits', json(credit))).body).toEqual({ credited: true });
    expect((await call(service.url, 'POST', '/v1/credits', json(credit))).body).toEqual({ credited: false });
    const check = await call(
      service.url,
      'GET',
      `/v1/account-check?account=${DEMO_ACCOUNT}`,
      json(undefined),
    );
    expect(check.body).toEqual({ ok: true, dailyTotalSoFar: 5000 });
    const unknown = await call(
      service.url,
      'POST',
      '/v1/credits',
      json({ ...credit, account: '13900000000' }),
    );
    expect(unknown.status).toBe(404);
    expect(service.service.store.get(DEMO_ACCOUNT)?.balanceFen).toBe(15_000);
  });

  it('takes JSON bodies only', async () => {
    const service = await start();
    const answer = await call(service.url, 'POST', '/v1/credits', {
      body: 'paymentId=1',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(answer.status).toBe(415);
    const broken = await call(service.url, 'POST', '/v1/credits', { ...json(null), body: '{"paymentId":' });
    expect(broken).toMatchObject({ status: 400, body: { error: { field: '(body)' } } });
  });

  it(`refuses a body over ${MAX_BODY_BYTES} bytes with 413`, async () => {
    const service = await start();
    const big = JSON.stringify({ paymentId: 'x'.repeat(MAX_BODY_BYTES) });
    const answer = await call(service.url, 'POST', '/v1/credits', { ...json(null), body: big });
    expect(answer.status).toBe(413);
    expect(service.service.store.counts().credits).toBe(0);
  });

  it('rate-limits each client before reading anything, with Retry-After', async () => {
    const service = await start({ rateLimit: { perSecond: 1, burst: 3 } });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      statuses.push(
        (await call(service.url, 'GET', `/v1/account-check?account=${DEMO_ACCOUNT}`, json(undefined))).status,
      );
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    const limited = await call(
      service.url,
      'GET',
      `/v1/account-check?account=${DEMO_ACCOUNT}`,
      json(undefined),
    );
    expect(limited.headers['retry-after']).toBe('1');
  });

  it("limits the fleet ledger's credits apart from the kiosks' queries", async () => {
    const service = await start({
      rateLimit: { perSecond: 1, burst: 1 },
      creditRateLimit: { perSecond: 1, burst: 2 },
    });
    const check = () =>
      call(service.url, 'GET', `/v1/account-check?account=${DEMO_ACCOUNT}`, json(undefined));
    expect([(await check()).status, (await check()).status]).toEqual([200, 429]);
    const statuses: number[] = [];
    for (const n of [1, 2, 3]) {
      const credit = { paymentId: `01JF000000000000000000000${n}`, account: DEMO_ACCOUNT, amountFen: 100 };
      statuses.push((await call(service.url, 'POST', '/v1/credits', json(credit))).status);
    }
    expect(statuses).toEqual([200, 200, 429]);
    expect(service.service.store.counts().credits).toBe(2);
  });

  it.each([
    ['account', { account: '23800138000' }],
    ['account', { account: 13800138000 }],
    ['format', { format: 'iso1' }],
    ['pinBlock', { pinBlock: 'ZZ' }],
    ['pinBlock', { pinBlock: '00112233445566' }],
    ['ksn', { ksn: 'FFFF9876543210E0000' }],
    ['extra', { extra: 1 }],
  ])('a balance query with a bad %s is a 400 naming it, and counts no try', async (field, change) => {
    const service = await start();
    const block = pinBlockFor(tdesPad(), '111111');
    const body = {
      account: DEMO_ACCOUNT,
      format: 'iso0',
      pinBlock: hex(block.pinBlock),
      ksn: hex(block.ksn),
      ...change,
    };
    const answer = await call(service.url, 'POST', '/v1/balance-queries', json(body));
    expect(answer.status).toBe(400);
    expect(answer.body.error.field).toBe(field);
    expect(answer.body.error.message).toMatch(new RegExp(`^${field}: `));
    // A secret sent is never echoed back.
    expect(JSON.stringify(answer.body)).not.toContain(hex(block.pinBlock));
    expect(service.service.store.get(DEMO_ACCOUNT)?.wrongTries).toBe(0);
  });

  it('a PIN block no pad of ours made is a 400 naming pinBlock, not a wrong try', async () => {
    const service = await start();
    const block = pinBlockFor(tdesPad(), DEMO_PASSWORD);
    block.pinBlock[3]! ^= 0xff;
    const body = {
      account: DEMO_ACCOUNT,
      format: 'iso0',
      pinBlock: hex(block.pinBlock),
      ksn: hex(block.ksn),
    };
    const answer = await call(service.url, 'POST', '/v1/balance-queries', json(body));
    expect(answer).toMatchObject({ status: 400, body: { error: { field: 'pinBlock' } } });
    expect(service.service.store.get(DEMO_ACCOUNT)?.wrongTries).toBe(0);
  });

  it.each([
    ['paymentId', { paymentId: 'not-a-ulid' }],
    ['account', { account: '1380013800' }],
    ['amountFen', { amountFen: 0 }],
    ['amountFen', { amountFen: 12.5 }],
    ['amountFen', { amountFen: '500' }],
  ])('a credit with a bad %s is a 400 naming it, and credits nothing', async (field, change) => {
    const service = await start();
    const body = {
      paymentId: '01JF0000000000000000000001',
      account: DEMO_ACCOUNT,
      amountFen: 500,
      ...change,
    };
    const answer = await call(service.url, 'POST', '/v1/credits', json(body));
    expect(answer).toMatchObject({ status: 400, body: { error: { field } } });
    expect(service.service.store.counts().credits).toBe(0);
  });

  it('answers unknown routes 404 and wrong methods 405', async () => {
    const service = await start();
    expect((await call(service.url, 'GET', '/v1/balances', json(undefined))).status).toBe(404);
    const wrong = await call(service.url, 'GET', '/v1/credits', json(undefined));
    expect(wrong.status).toBe(405);
    expect(wrong.headers['allow']).toBe('POST');
    const param = await call(
      service.url,
      'GET',
      `/v1/account-check?account=${DEMO_ACCOUNT}&x=1`,
      json(undefined),
    );
    expect(param).toMatchObject({ status: 400, body: { error: { field: 'x' } } });
  });
});
