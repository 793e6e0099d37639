import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PinBlock } from '../../devices/pin-pad/pin-pad.js';
import { BalanceQueryFailure } from '../../fsm/balance-query/balance-query-machine.js';
import { httpBalanceQueryClient, MAX_ANSWER_BYTES } from '../../src/balance-query/account-service-client.js';
import { REPO_ROOT } from '../helpers/cli-process.js';

const TOKEN = 'client-test-token';

/** An account service whose answer is picked by the account asked about. */
describe('httpBalanceQueryClient', () => {
  let server: Server;
  let url: string;
  const bodies: unknown[] = [];
  const answers: Record<string, (res: import('node:http').ServerResponse) => void> = {
    '13800000001': (res) => json(res, 200, { result: 'balance', balanceFen: 5000 }),
    '13800000002': (res) => json(res, 200, { result: 'wrongPin', triesLeft: 1 }),
    '13800000003': (res) => json(res, 200, { result: 'locked', until: '2026-12-05T14:00:00Z' }),
    '13800000004': (res) => json(res, 200, { result: 'unknownAccount' }),
    '13800000005': (res) => json(res, 200, { result: 'balance', balanceFen: 12.5 }),
    '13800000006': (res) => json(res, 200, { result: 'locked', until: 'soon' }),
    '13800000007': (res) => json(res, 429, { error: { code: 'rateLimited' } }),
    '13800000008': (res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      for (let i = 0; i < 8; i++) res.write('x'.repeat(4096));
      res.end();
    },
    '13800000009': () => {},
    '13800000010': (res) => json(res, 200, { result: 'richer', balanceFen: 1 }),
  };
  function json(res: import('node:http').ServerResponse, status: number, body: unknown) {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  beforeAll(async () => {
    server = createServer((req, res) => {
      let text = '';
      req.on('data', (chunk) => {
        text += chunk;
      });
      req.on('end', () => {
        if (req.headers.authorization !== `Bearer ${TOKEN}`)
          return json(res, 401, { error: { code: 'token' } });
        if (req.method !== 'POST' || req.url !== '/base/v1/balance-queries') return json(res, 404, {});
        const body = JSON.parse(text) as { account: string };
        bodies.push(body);
        answers[body.account]?.(res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/base`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const block = (): PinBlock => ({
    format: 'iso4',
    pinBlock: Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i),
    ksn: Uint8Array.from({ length: 12 }, (_, i) => i),
  });
  const client = (token = TOKEN) => httpBalanceQueryClient({ url, token, timeoutMs: 300 });

  it('posts the account, format and hex block and KSN with the token, and reads each answer', async () => {
    const sent = block();
    expect(await client()({ account: '13800000001', block: sent })).toEqual({
      result: 'balance',
      balanceFen: 5000,
    });
    expect(bodies.at(-1)).toEqual({
      account: '13800000001',
      format: 'iso4',
      pinBlock: 'a0a1a2a3a4a5a6a7a8a9aaabacadaeaf',
      ksn: '000102030405060708090a0b',
    });
    // The block's bytes are wiped once they are on their way.
    expect([...sent.pinBlock].every((b) => b === 0)).toBe(true);
    expect(await client()({ account: '13800000002', block: block() })).toEqual({
      result: 'wrongPin',
      triesLeft: 1,
    });
    expect(await client()({ account: '13800000003', block: block() })).toEqual({
      result: 'locked',
      until: '2026-12-05T14:00:00Z',
    });
    expect(await client()({ account: '13800000004', block: block() })).toEqual({ result: 'unknownAccount' });
  });

  it.each([
    ['13800000005', 'serviceUnavailable', /balance \{balanceFen\}/],
    ['13800000006', 'serviceUnavailable', /locked \{until\}/],
    ['13800000010', 'serviceUnavailable', /other than/],
    ['13800000007', 'serviceUnavailable', /HTTP 429 \(rate limited\)/],
    ['13800000008', 'serviceUnavailable', new RegExp(`more than ${MAX_ANSWER_BYTES} bytes`)],
    ['13800000009', 'timeout', /within 300 ms/],
  ])('account %s fails as %s', async (account, failure, reason) => {
    const error = await client()({ account, block: block() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BalanceQueryFailure);
    expect(error).toMatchObject({ failure, message: expect.stringMatching(reason) });
    expect((error as Error).message).not.toContain('a0a1a2');
  });

  it('says when the token is refused, and when nothing listens', async () => {
    await expect(client('wrong')({ account: '13800000001', block: block() })).rejects.toMatchObject({
      failure: 'serviceUnavailable',
      message: expect.stringContaining('token was refused'),
    });
    const nowhere = httpBalanceQueryClient({ url: 'http://127.0.0.1:9', token: TOKEN, timeoutMs: 300 });
    await expect(nowhere({ account: '13800000001', block: block() })).rejects.toMatchObject({
      failure: 'serviceUnavailable',
    });
  });

  it('stops waiting when the caller aborts', async () => {
    const controller = new AbortController();
    const pending = client()({ account: '13800000009', block: block() }, controller.signal);
    setTimeout(() => controller.abort(), 20);
    const startedAt = Date.now();
    await expect(pending).rejects.toMatchObject({ failure: 'serviceUnavailable' });
    expect(Date.now() - startedAt).toBeLessThan(250);
  });

  it('works without WebAssembly, as the daemon runs (--jitless)', async () => {
    const module = pathToFileURL(join(REPO_ROOT, 'src/balance-query/account-service-client.ts')).href;
    const script = `
      const { httpBalanceQueryClient } = await import(${JSON.stringify(module)});
      const query = httpBalanceQueryClient({ url: ${JSON.stringify(url)}, token: ${JSON.stringify(TOKEN)}, timeoutMs: 2000 });
      const block = { format: 'iso0', pinBlock: new Uint8Array(8), ksn: new Uint8Array(10) };
      console.log(JSON.stringify([typeof WebAssembly, await query({ account: '13800000001', block })]));
    `;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--jitless', '--import', 'tsx', '--input-type=module', '-e', script],
      { cwd: REPO_ROOT, timeout: 20_000 },
    );
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual([
      'undefined',
      { result: 'balance', balanceFen: 5000 },
    ]);
  }, 30_000);
});
