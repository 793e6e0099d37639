import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { startAccountServer } from '../../src/accounts/account-server.js';
import {
  demoAccountsConfigPath,
  loadAccountServiceConfig,
  parseAccountServiceConfig,
} from '../../src/accounts/account-service-config.js';
import { httpCreditSink } from '../../src/accounts/credit-sinks.js';
import { parseFleetToolConfig } from '../../src/fleet/fleet-config.js';
import { silentLogger } from '../../src/log.js';
import { verifyServicePassword } from '../../src/security/password-hash.js';
import { createTestPki } from '../helpers/pki.js';
import {
  AES_BDK,
  DEMO_ACCOUNT,
  DEMO_PASSWORD,
  scratch,
  TDES_BDK,
  TOKEN,
  testConfig,
} from './account-test-kit.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('account service config', () => {
  it('seeds/accounts.yaml holds the test BDKs and demo accounts whose hashes check with the passwords it documents', async () => {
    const path = demoAccountsConfigPath();
    const config = loadAccountServiceConfig(path);
    expect(config.hsm).toEqual({ tdesBdk: TDES_BDK, aesBdk: AES_BDK });
    expect(config.lockout).toEqual({ maxWrongTries: 3, lockMinutes: 30 });
    const text = readFileSync(path, 'utf8');
    const documented = [...text.matchAll(/^#\s+(1[3-9]\d{9})\s+service password (\d{6})/gm)].map((m) => [
      m[1],
      m[2],
    ]);
    expect(documented).toContainEqual([DEMO_ACCOUNT, DEMO_PASSWORD]);
    expect(documented.map(([account]) => account).sort()).toEqual(
      config.accounts.map((a) => a.account).sort(),
    );
    for (const [account, password] of documented) {
      const seed = config.accounts.find((a) => a.account === account)!;
      expect(await verifyServicePassword(Buffer.from(password!), seed.passwordHash)).toBe(true);
    }
    // No clear password anywhere but the comments.
    const uncommented = text.replace(/#.*$/gm, '');
    for (const [, password] of documented) expect(uncommented).not.toContain(password!);
  });

  it.each([
    ['hsm.tdesBdk', { hsm: { tdesBdk: '0123', aesBdk: AES_BDK } }],
    ['token', { token: 'short' }],
    ['accounts[0].account', { accounts: [{ account: '12345', balanceFen: 0, passwordHash: 'x' }] }],
    ['lockout.maxWrongTries', { lockout: { maxWrongTries: 0 } }],
    ['listen.port', { listen: { port: 70_000 } }],
  ])('names %s when it is wrong', (field, change) => {
    const base = { token: TOKEN, hsm: { tdesBdk: TDES_BDK, aesBdk: AES_BDK } };
    expect(() => parseAccountServiceConfig({ ...base, ...change }, 'test')).toThrow(
      new RegExp(`^${field.replace(/[.[\]]/g, '\\$&')}: `, 'm'),
    );
  });

  it('refuses a password hash that is not a scrypt hash string', () => {
    const bad = { account: DEMO_ACCOUNT, balanceFen: 0, passwordHash: '246810' };
    expect(() =>
      parseAccountServiceConfig(
        { token: TOKEN, hsm: { tdesBdk: TDES_BDK, aesBdk: AES_BDK }, accounts: [bad] },
        't',
      ),
    ).toThrow(/accounts\[0\]\.passwordHash: expected scrypt\$N=/);
  });

  it('never echoes a clear password pasted into passwordHash, a bad token or a bad BDK in its problem lines', () => {
    let text = '';
    try {
      parseAccountServiceConfig(
        {
          token: 'short-9f3k',
          hsm: { tdesBdk: 'C0FFEE-not-a-key', aesBdk: AES_BDK },
          accounts: [{ account: DEMO_ACCOUNT, balanceFen: 0, passwordHash: 'my-pin-864209' }],
        },
        't',
      );
    } catch (error) {
      text = (error as Error).message;
    }
    expect(text).toMatch(/accounts\[0\]\.passwordHash: .*\(hidden\)/);
    expect(text).toMatch(/token: .*\(hidden\)/);
    expect(text).toMatch(/hsm\.tdesBdk: .*\(hidden\)/);
    for (const secret of ['my-pin-864209', '864209', 'short-9f3k', 'C0FFEE'])
      expect(text).not.toContain(secret);
  });

  it("the fleet tools config takes the ledger's account service and names a bad URL", () => {
    const config = parseFleetToolConfig(
      { ledger: { accountService: { url: 'https://accounts.example:8082', token: TOKEN } } },
      'test',
    );
    expect(config.ledger.accountService).toEqual({ url: 'https://accounts.example:8082', token: TOKEN });
    expect(() =>
      parseFleetToolConfig({ ledger: { accountService: { url: 'ftp://x', token: TOKEN } } }, 'test'),
    ).toThrow(/ledger\.accountService\.url/);
  });
});

describe('account service over TLS', () => {
  it('serves HTTPS with the configured certificate, and the ledger credits through it', async () => {
    const pki = createTestPki();
    cleanups.push(() => pki.remove());
    const dir = scratch('tls');
    cleanups.push(dir.remove);
    const config = testConfig(dir.path, { tls: { cert: pki.server.cert, key: pki.server.key } });
    const running = await startAccountServer(config, { logger: silentLogger() });
    cleanups.push(() => running.stop());
    expect(running.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const sink = httpCreditSink({ url: running.url, token: TOKEN, ca: readFileSync(pki.ca) });
    const credit = { paymentId: '01JF0000000000000000000009', account: DEMO_ACCOUNT, amountFen: 300 };
    expect(await sink.credit(credit)).toEqual({ kind: 'credited' });
    expect(await sink.credit(credit)).toEqual({ kind: 'alreadyCredited' });
    // Without the CA the certificate is not trusted: an error to retry, not an outcome.
    await expect(httpCreditSink({ url: running.url, token: TOKEN }).credit(credit)).rejects.toThrow();
    const plain = httpCreditSink({
      url: running.url.replace('https:', 'http:'),
      token: TOKEN,
      timeoutMs: 2000,
    });
    await expect(plain.credit(credit)).rejects.toThrow();
    expect(running.service.store.get(DEMO_ACCOUNT)?.balanceFen).toBe(10_300);
  }, 30_000);
});
