import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openAccountService } from '../../src/accounts/account-server.js';
import type { AccountService } from '../../src/accounts/account-service.js';
import { AccountStore } from '../../src/accounts/account-store.js';
import { silentLogger } from '../../src/log.js';
import { hashServicePassword, verifyServicePassword } from '../../src/security/password-hash.js';
import {
  DEMO_ACCOUNT,
  DEMO_PASSWORD,
  pinBlockFor,
  scratch,
  tdesPad,
  testConfig,
} from './account-test-kit.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

function serviceAt(now: { t: number }, extra: Record<string, unknown> = {}): AccountService {
  const dir = scratch('store');
  const service = openAccountService(testConfig(dir.path, extra), {
    logger: silentLogger(),
    clock: () => new Date(now.t),
  });
  cleanups.push(dir.remove, () => service.close());
  return service;
}

describe('account store', () => {
  it('keeps the service password as a salted scrypt hash, never in clear, in any file', async () => {
    const dir = scratch('hash');
    cleanups.push(dir.remove);
    const store = AccountStore.open(join(dir.path, 'a.sqlite'));
    const hash = await hashServicePassword(Buffer.from('975310'));
    const again = await hashServicePassword(Buffer.from('975310'));
    expect(hash).toMatch(/^scrypt\$N=16384,r=8,p=1\$/);
    expect(again).not.toBe(hash); // salted
    store.add('13900139000', 500, hash, new Date().toISOString());
    expect(store.get('13900139000')?.passwordHash).toBe(hash);
    store.close();
    for (const file of readdirSync(dir.path)) {
      const bytes = readFileSync(join(dir.path, file));
      expect(bytes.includes(Buffer.from('975310'))).toBe(false);
    }
    expect(await verifyServicePassword(Buffer.from('975310'), hash)).toBe(true);
    expect(await verifyServicePassword(Buffer.from('975311'), hash)).toBe(false);
  });

  it('wipes the password buffers it is handed', async () => {
    const password = Buffer.from('246810');
    const hash = await hashServicePassword(password);
    expect(password.every((b) => b === 0)).toBe(true);
    const candidate = Buffer.from('246810');
    expect(await verifyServicePassword(candidate, hash)).toBe(true);
    expect(candidate.every((b) => b === 0)).toBe(true);
  });

  it('credits a paymentId once, to a known account only', () => {
    const now = { t: Date.parse('2026-12-05T02:00:00Z') };
    const service = serviceAt(now);
    expect(service.credit('01JF0000000000000000000001', DEMO_ACCOUNT, 5000)).toEqual({ credited: true });
    expect(service.credit('01JF0000000000000000000001', DEMO_ACCOUNT, 5000)).toEqual({ credited: false });
    expect(service.credit('01JF0000000000000000000002', '13900000000', 5000)).toEqual({
      unknownAccount: true,
    });
    expect(service.store.get(DEMO_ACCOUNT)?.balanceFen).toBe(15_000);
    expect(service.store.counts()).toEqual({ accounts: 1, credits: 1 });
  });

  it("counts today's credits from local midnight at the configured offset", () => {
    // 2026-12-05 23:30 in China is 15:30 UTC; midnight there is 16:00 UTC the day before.
    const now = { t: Date.parse('2026-12-04T17:00:00Z') };
    const service = serviceAt(now);
    service.credit('01JF0000000000000000000003', DEMO_ACCOUNT, 1000);
    now.t = Date.parse('2026-12-05T15:30:00Z');
    service.credit('01JF0000000000000000000004', DEMO_ACCOUNT, 2000);
    expect(service.accountCheck(DEMO_ACCOUNT)).toEqual({ ok: true, dailyTotalSoFar: 3000 });
    now.t = Date.parse('2026-12-05T16:00:00Z');
    expect(service.accountCheck(DEMO_ACCOUNT)).toEqual({ ok: true, dailyTotalSoFar: 0 });
    expect(service.accountCheck('13900000000')).toBeUndefined();
  });

  it('locks kiosk queries after 3 wrong passwords, and unlocks after the lock time', async () => {
    const now = { t: Date.parse('2026-12-05T02:00:00Z') };
    const service = serviceAt(now, { lockout: { maxWrongTries: 3, lockMinutes: 30 } });
    const pad = tdesPad();
    const ask = (pin: string) => service.balanceQuery({ account: DEMO_ACCOUNT, ...pinBlockFor(pad, pin) });
    expect(await ask('111111')).toEqual({ result: 'wrongPin', triesLeft: 2 });
    expect(await ask('222222')).toEqual({ result: 'wrongPin', triesLeft: 1 });
    const until = new Date(now.t + 30 * 60_000).toISOString();
    expect(await ask('333333')).toEqual({ result: 'locked', until });
    // Locked: even the right password is refused, and not checked.
    expect(await ask(DEMO_PASSWORD)).toEqual({ result: 'locked', until });
    now.t += 30 * 60_000 - 1;
    expect(await ask(DEMO_PASSWORD)).toEqual({ result: 'locked', until });
    now.t += 1;
    expect(await ask(DEMO_PASSWORD)).toEqual({ result: 'balance', balanceFen: 10_000 });
  });

  it('a right password resets the wrong count', async () => {
    const now = { t: Date.parse('2026-12-05T02:00:00Z') };
    const service = serviceAt(now);
    const pad = tdesPad();
    const ask = (pin: string) => service.balanceQuery({ account: DEMO_ACCOUNT, ...pinBlockFor(pad, pin) });
    expect(await ask('111111')).toEqual({ result: 'wrongPin', triesLeft: 2 });
    expect(await ask('222222')).toEqual({ result: 'wrongPin', triesLeft: 1 });
    expect(await ask(DEMO_PASSWORD)).toEqual({ result: 'balance', balanceFen: 10_000 });
    expect(service.store.get(DEMO_ACCOUNT)?.wrongTries).toBe(0);
    expect(await ask('111111')).toEqual({ result: 'wrongPin', triesLeft: 2 });
  });

  it('parallel wrong guesses are counted one after another, never past the lock', async () => {
    const now = { t: Date.parse('2026-12-05T02:00:00Z') };
    const service = serviceAt(now);
    const pad = tdesPad();
    const answers = await Promise.all(
      ['100000', '200000', '300000', '400000', DEMO_PASSWORD].map((pin) =>
        service.balanceQuery({ account: DEMO_ACCOUNT, ...pinBlockFor(pad, pin) }),
      ),
    );
    expect(answers.map((a) => a.result)).toEqual(['wrongPin', 'wrongPin', 'locked', 'locked', 'locked']);
  });
});
