import { decryptPinBlock, type PinBlockFormat } from '../../simulators/epp/crypto/index.js';
import { verifyServicePassword } from '../security/password-hash.js';

/**
 * The HSM's role in the account service: it alone holds the base derivation keys (TDES for
 * ISO format 0, AES-128 for format 4, from the service's own config, never the kiosk's),
 * derives the pad's key from the KSN, decrypts the PIN block, checks the PIN against the
 * account's scrypt hash and forgets it. Nothing here logs; callers learn only the verdict.
 */

export interface PinVerifierKeys {
  tdesBdk: Uint8Array;
  aesBdk: Uint8Array;
}

export interface PinCheck {
  format: PinBlockFormat;
  account: string;
  pinBlock: Uint8Array;
  ksn: Uint8Array;
  passwordHash: string;
}

/**
 * `malformed`: the block or KSN cannot be a PIN typed on a pad with our keys (damaged, other
 * key, KSN past its counter): a bad request, never counted as a wrong password.
 */
export type PinVerdict =
  | { kind: 'match' }
  | { kind: 'mismatch' }
  | { kind: 'malformed'; field: 'pinBlock' | 'ksn' | 'format' | 'account' };

const FIELD_OF_REASON = {
  badFormat: 'format',
  badKsn: 'ksn',
  badPinBlock: 'pinBlock',
  badAccount: 'account',
  malformedPinBlock: 'pinBlock',
} as const;

export class PinVerifier {
  readonly #tdesBdk: Uint8Array;
  readonly #aesBdk: Uint8Array;

  constructor(keys: PinVerifierKeys) {
    // Copies: the caller's buffers may be wiped or reused; close() wipes these.
    this.#tdesBdk = Uint8Array.from(keys.tdesBdk);
    this.#aesBdk = Uint8Array.from(keys.aesBdk);
  }

  async verify(check: PinCheck): Promise<PinVerdict> {
    const bdk = check.format === 'iso4' ? this.#aesBdk : this.#tdesBdk;
    const decrypted = decryptPinBlock({
      bdk,
      format: check.format,
      ksn: check.ksn,
      pinBlock: check.pinBlock,
      account: check.account,
    });
    if (!decrypted.ok) return { kind: 'malformed', field: FIELD_OF_REASON[decrypted.reason] };
    // The PIN arrives as a string (immutable, left to the collector); the bytes hashed are wiped.
    const same = await verifyServicePassword(Buffer.from(decrypted.pin, 'ascii'), check.passwordHash);
    return { kind: same ? 'match' : 'mismatch' };
  }

  /** Wipes the keys; the verifier must not be used afterwards. */
  close(): void {
    this.#tdesBdk.fill(0);
    this.#aesBdk.fill(0);
  }
}
