import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../core/errors.js';
import { httpAccountChecker } from '../../src/topup/account-check.js';
import { REPO_ROOT } from '../helpers/cli-process.js';

/** A lookup service whose answer depends on the number asked about. */
describe('httpAccountChecker', () => {
  let server: Server;
  let url: string;
  const seen: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const account = new URL(req.url ?? '/', 'http://x').searchParams.get('account') ?? '';
      seen.push(account);
      const reply = (status: number, body: string) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(body);
      };
      if (account === '13800000001') return reply(200, '{"ok":true,"dailyTotalSoFar":3000}');
      if (account === '13800000002') return reply(200, '{"ok":false}');
      if (account === '13800000003') return reply(404, '{}');
      if (account === '13800000004') return reply(503, 'busy');
      if (account === '13800000005') return reply(200, '{"ok":true,"dailyTotalSoFar":12.5}');
      if (account === '13800000006') return; // never answers
      if (account === '13800000007') {
        // An answer far bigger than any lookup's, streamed without a length.
        res.writeHead(200, { 'content-type': 'application/json' });
        for (let i = 0; i < 20; i++) res.write(`${'x'.repeat(8 * 1024)}`);
        return res.end();
      }
      return reply(200, 'not json');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/accounts`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const checker = () => httpAccountChecker({ enabled: true, url, timeoutMs: 300, offlinePolicy: 'accept' });

  it('reads ok and the daily total, and a 404 or ok:false as an unknown account', async () => {
    expect(await checker()('13800000001')).toEqual({ ok: true, dailyTotalSoFar: 3000 });
    expect(await checker()('13800000002')).toEqual({ ok: false });
    expect(await checker()('13800000003')).toEqual({ ok: false });
    expect(seen).toContain('13800000001');
  });

  it('throws on an error status, a malformed answer, a fractional amount and a timeout', async () => {
    await expect(checker()('13800000004')).rejects.toMatchObject({ code: ErrorCode.ApiInternal });
    await expect(checker()('13800000005')).rejects.toMatchObject({ code: ErrorCode.ApiInternal });
    await expect(checker()('13800000009')).rejects.toThrow();
    const startedAt = Date.now();
    await expect(checker()('13800000006')).rejects.toThrow();
    expect(Date.now() - startedAt).toBeLessThan(2_000);
  });

  it('refuses an answer larger than a lookup ever sends, without reading it all', async () => {
    await expect(checker()('13800000007')).rejects.toMatchObject({
      code: ErrorCode.ApiInternal,
      message: expect.stringContaining('more than 65536 bytes'),
    });
  });

  it('refuses a config without a URL', () => {
    expect(() => httpAccountChecker({ enabled: true, timeoutMs: 300, offlinePolicy: 'accept' })).toThrow(
      expect.objectContaining({ code: ErrorCode.ConfigInvalid }),
    );
  });

  it('works without WebAssembly, as the daemon runs (--jitless in the systemd unit)', async () => {
    const module = pathToFileURL(join(REPO_ROOT, 'src/topup/account-check.ts')).href;
    const script = `
      const { httpAccountChecker } = await import(${JSON.stringify(module)});
      const check = httpAccountChecker({ enabled: true, url: ${JSON.stringify(url)}, timeoutMs: 2000, offlinePolicy: 'accept' });
      console.log(JSON.stringify([typeof WebAssembly, await check('13800000001')]));
    `;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--jitless', '--import', 'tsx', '--input-type=module', '-e', script],
      { cwd: REPO_ROOT, timeout: 20_000 },
    );
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual([
      'undefined',
      { ok: true, dailyTotalSoFar: 3000 },
    ]);
  }, 30_000);
});
