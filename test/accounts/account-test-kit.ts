import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DukptPinEncryptor, deriveAesInitialKey } from '../../simulators/epp/crypto/index.js';
import {
  type AccountServiceConfig,
  parseAccountServiceConfig,
} from '../../src/accounts/account-service-config.js';

/** Test keys of PROTOCOLS.md "Encrypting PIN pad". */
export const TDES_BDK = '0123456789ABCDEFFEDCBA9876543210';
export const AES_BDK = 'FEDCBA9876543210F1F1F1F1F1F1F1F1';
export const TDES_IPEK = '6AC292FAA1315B4D858AB3A3D7D5933A';
export const TDES_INITIAL_KSN = 'FFFF9876543210E00000';
export const AES_INITIAL_KEY_ID = '1234567890123456';

export const DEMO_ACCOUNT = '13800138000';
export const DEMO_PASSWORD = '246810';
/** scrypt hash of 246810, as in seeds/accounts.yaml. */
export const DEMO_PASSWORD_HASH =
  'scrypt$N=16384,r=8,p=1$qBYIoY/ATH/sUjIDEciq1g==$Vt8KpSNXzib7pawqMrfzWfP50OJOh45Z5gvI9Jskorg=';
export const TOKEN = 'test-accounts-token-0001';

export function scratch(name: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `kioskd-accounts-${name}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export function testConfig(dir: string, extra: Record<string, unknown> = {}): AccountServiceConfig {
  return parseAccountServiceConfig(
    {
      listen: { host: '127.0.0.1', port: 0 },
      token: TOKEN,
      db: join(dir, 'accounts.sqlite'),
      hsm: { tdesBdk: TDES_BDK, aesBdk: AES_BDK },
      accounts: [{ account: DEMO_ACCOUNT, balanceFen: 10_000, passwordHash: DEMO_PASSWORD_HASH }],
      ...extra,
    },
    'test',
  );
}

/** A pad loaded as the simulator is: the IPEK (TDES) or the initial key (AES), never the BDK. */
export function tdesPad(counter = 0): DukptPinEncryptor {
  return new DukptPinEncryptor({
    scheme: 'tdes',
    initialKey: Buffer.from(TDES_IPEK, 'hex'),
    initialKeySerial: Buffer.from(TDES_INITIAL_KSN, 'hex'),
    counter,
  });
}

export function aesPad(counter = 0): DukptPinEncryptor {
  const initialKeyId = Buffer.from(AES_INITIAL_KEY_ID, 'hex');
  return new DukptPinEncryptor({
    scheme: 'aes128',
    initialKey: deriveAesInitialKey(Buffer.from(AES_BDK, 'hex'), initialKeyId),
    initialKeySerial: initialKeyId,
    counter,
  });
}

/** A PIN block and KSN a pad makes for `pin` on `account`. */
export function pinBlockFor(
  pad: DukptPinEncryptor,
  pin: string,
  account = DEMO_ACCOUNT,
): { format: 'iso0' | 'iso4'; pinBlock: Uint8Array; ksn: Uint8Array } {
  const format = pad.scheme === 'tdes' ? 'iso0' : 'iso4';
  const result = pad.encryptPin({ pin, account, format });
  if (!result.ok) throw new Error(`the pad refused: ${result.reason}`);
  return { format, pinBlock: result.pinBlock, ksn: result.ksn };
}

export const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex').toUpperCase();
