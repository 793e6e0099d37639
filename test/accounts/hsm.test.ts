import { afterEach, describe, expect, it } from 'vitest';
import { openAccountService } from '../../src/accounts/account-server.js';
import type { AccountService } from '../../src/accounts/account-service.js';
import { PinVerifier } from '../../src/accounts/pin-verifier.js';
import { silentLogger } from '../../src/log.js';
import {
  AES_BDK,
  aesPad,
  DEMO_ACCOUNT,
  DEMO_PASSWORD,
  DEMO_PASSWORD_HASH,
  pinBlockFor,
  scratch,
  TDES_BDK,
  tdesPad,
  testConfig,
} from './account-test-kit.js';

/*
 * The HSM's role: a PIN block made by the pad (DukptPinEncryptor, holding only the IPEK or the
 * AES initial key) is decrypted with the BDK from the service's config and checked against
 * the scrypt hash of the service password.
 */

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

function service(): AccountService {
  const dir = scratch('hsm');
  const opened = openAccountService(testConfig(dir.path), { logger: silentLogger() });
  cleanups.push(dir.remove, () => opened.close());
  return opened;
}

describe.each([
  ['ISO format 0 under TDES DUKPT', tdesPad],
  ['ISO format 4 under AES DUKPT', aesPad],
])('%s', (_name, makePad) => {
  it('the right service password answers the balance', async () => {
    const accounts = service();
    const pad = makePad(7);
    expect(
      await accounts.balanceQuery({ account: DEMO_ACCOUNT, ...pinBlockFor(pad, DEMO_PASSWORD) }),
    ).toEqual({
      result: 'balance',
      balanceFen: 10_000,
    });
  });

  it('a wrong one answers wrongPin with the tries left, and counts it', async () => {
    const accounts = service();
    const pad = makePad();
    expect(await accounts.balanceQuery({ account: DEMO_ACCOUNT, ...pinBlockFor(pad, '246811') })).toEqual({
      result: 'wrongPin',
      triesLeft: 2,
    });
    expect(accounts.store.get(DEMO_ACCOUNT)?.wrongTries).toBe(1);
  });

  it('a damaged block is malformed, not a wrong try', async () => {
    const accounts = service();
    const query = { account: DEMO_ACCOUNT, ...pinBlockFor(makePad(), DEMO_PASSWORD) };
    query.pinBlock[0]! ^= 0x5a;
    expect(await accounts.balanceQuery(query)).toEqual({ result: 'malformed', field: 'pinBlock' });
    expect(accounts.store.get(DEMO_ACCOUNT)?.wrongTries).toBe(0);
  });

  it('a block made for another account does not check as this one', async () => {
    const accounts = service();
    const query = { ...pinBlockFor(makePad(), DEMO_PASSWORD, '13900139000'), account: DEMO_ACCOUNT };
    const answer = await accounts.balanceQuery(query);
    expect(answer.result === 'malformed' || answer.result === 'wrongPin').toBe(true);
    expect(answer.result).not.toBe('balance');
  });

  it('an unknown account is unknownAccount', async () => {
    const accounts = service();
    expect(
      await accounts.balanceQuery({
        account: '13900000000',
        ...pinBlockFor(makePad(), DEMO_PASSWORD, '13900000000'),
      }),
    ).toEqual({ result: 'unknownAccount' });
  });
});

describe('PIN verifier', () => {
  it('refuses a KSN whose counter no pad could have used, without counting it', async () => {
    const verifier = new PinVerifier({
      tdesBdk: Buffer.from(TDES_BDK, 'hex'),
      aesBdk: Buffer.from(AES_BDK, 'hex'),
    });
    const block = pinBlockFor(tdesPad(), DEMO_PASSWORD);
    // 22 one-bits in the counter: more than the 10 TDES DUKPT allows.
    const ksn = Uint8Array.from(block.ksn);
    ksn[7] = (ksn[7]! & 0xe0) | 0x1f;
    ksn[8] = 0xff;
    ksn[9] = 0xff;
    expect(
      await verifier.verify({ ...block, ksn, account: DEMO_ACCOUNT, passwordHash: DEMO_PASSWORD_HASH }),
    ).toEqual({ kind: 'malformed', field: 'ksn' });
    verifier.close();
  });

  it('keeps its own copy of the BDKs, and close() wipes it', async () => {
    const tdesBdk = Buffer.from(TDES_BDK, 'hex');
    const verifier = new PinVerifier({ tdesBdk, aesBdk: Buffer.from(AES_BDK, 'hex') });
    tdesBdk.fill(0);
    const block = pinBlockFor(tdesPad(), DEMO_PASSWORD);
    const check = { ...block, account: DEMO_ACCOUNT, passwordHash: DEMO_PASSWORD_HASH };
    expect(await verifier.verify(check)).toEqual({ kind: 'match' });
    verifier.close();
    // With the keys wiped the block decrypts to nothing valid.
    expect((await verifier.verify(check)).kind).not.toBe('match');
  });
});
