import type { EppKeyScheme, EppPinBlockFormat } from '../../devices/pin-pad/epp/codec/index.js';
import { DukptPinEncryptor, isValidAccount, nextAesCounter, nextTdesCounter } from './crypto/index.js';
import type { EppKeyConfig } from './options.js';

export type KeyStoreRefusal = 'tampered' | 'noKey' | 'formatNotSupported' | 'dukptOverflow' | 'badParameter';

export type SealedPinBlock =
  | { ok: true; pinBlock: Uint8Array; ksn: Uint8Array }
  | { ok: false; error: KeyStoreRefusal };

const FORMAT_OF_SCHEME = { dukptTdes: 'iso0', dukptAes128: 'iso4' } as const;

/**
 * The pad's secure memory: the injected DUKPT key and its transaction counter. It is the
 * pad's NVRAM, so it outlives a power cycle (the model keeps it across power.off/power.on and
 * only RAM is lost); a tamper response erases the key for good. The counter steps only when a
 * block is made and never goes back, so no key is used twice.
 */
export class PadKeyStore {
  private encryptor: DukptPinEncryptor | undefined;
  private scheme: Exclude<EppKeyScheme, 'none'> | undefined;
  private tamperedFlag = false;
  private readonly random: (() => Uint8Array) | undefined;

  /** `random` fixes format 4's random field for a test vector; a pad draws it from node:crypto. */
  constructor(key: EppKeyConfig | undefined, random?: () => Uint8Array) {
    this.random = random;
    if (!key) return;
    this.scheme = key.scheme;
    this.encryptor = new DukptPinEncryptor({
      scheme: key.scheme === 'dukptTdes' ? 'tdes' : 'aes128',
      initialKey: key.initialKey,
      initialKeySerial: key.initialKeySerial,
      counter: key.counter,
    });
  }

  get keyScheme(): EppKeyScheme {
    return this.scheme ?? 'none';
  }

  get tampered(): boolean {
    return this.tamperedFlag;
  }

  /** The last transaction counter used, or undefined with no key. */
  get counter(): number | undefined {
    return this.encryptor?.counter;
  }

  /** No further counter is left: the pad makes no more PIN blocks. */
  get exhausted(): boolean {
    const encryptor = this.encryptor;
    if (!encryptor) return false;
    const step =
      encryptor.scheme === 'tdes' ? nextTdesCounter(encryptor.counter) : nextAesCounter(encryptor.counter);
    return !step.ok;
  }

  /** Why a PIN block in `format` for `account` cannot be made now, or undefined when it can. */
  refusal(format: EppPinBlockFormat, account: string): KeyStoreRefusal | undefined {
    if (this.tamperedFlag) return 'tampered';
    if (!this.encryptor || !this.scheme) return 'noKey';
    if (FORMAT_OF_SCHEME[this.scheme] !== format) return 'formatNotSupported';
    if (this.exhausted) return 'dukptOverflow';
    // Format 0 drops the account's check digit, so it needs two digits; format 4 one.
    if (!isValidAccount(account, format === 'iso0' ? 2 : 1)) return 'badParameter';
    return undefined;
  }

  seal(pin: string, format: EppPinBlockFormat, account: string): SealedPinBlock {
    const refusal = this.refusal(format, account);
    if (refusal !== undefined) return { ok: false, error: refusal };
    const result = this.encryptor!.encryptPin({
      pin,
      account,
      format,
      ...(this.random ? { random: this.random() } : {}),
    });
    return result.ok ? result : { ok: false, error: result.reason };
  }

  /** Tamper response: the key is gone and stays gone. */
  erase(): void {
    this.tamperedFlag = true;
    this.encryptor = undefined;
    this.scheme = undefined;
  }
}
