import { ErrorCode, KioskError } from '../../../core/errors.js';
import { encryptTdesBlock } from './block-cipher.js';
import { requireBytes, wipe } from './bytes.js';
import {
  AES_DUKPT_INITIAL_KEY_ID_BYTES,
  AES_DUKPT_MAX_COUNTER,
  deriveAesPinKey,
  formatAesKsn,
  nextAesCounter,
} from './dukpt-aes.js';
import {
  DUKPT_TDES_KSN_BYTES,
  DUKPT_TDES_MAX_COUNTER,
  deriveTdesPinKey,
  deriveTdesTransactionKey,
  formatTdesKsn,
  nextTdesCounter,
} from './dukpt-tdes.js';
import { buildFormat0Block, encipherFormat4Block } from './pin-block.js';

export type DukptScheme = 'tdes' | 'aes128';
export type PinBlockFormat = 'iso0' | 'iso4';

export interface DukptPinEncryptorSettings {
  scheme: DukptScheme;
  /** The IPEK (TDES) or initial key (AES) loaded into the pad; never the BDK. */
  initialKey: Uint8Array;
  /** TDES: the 10-byte KSN (its counter bits are ignored). AES: the 8-byte initial key ID. */
  initialKeySerial: Uint8Array;
  /** The last counter used; 0 for a freshly loaded key. */
  counter: number;
}

export interface PinEncryptionRequest {
  pin: string;
  account: string;
  format: PinBlockFormat;
  /** Format 4's random field; fixed only by tests. */
  random?: Uint8Array;
}

export type PinEncryptionResult =
  | { ok: true; pinBlock: Uint8Array; ksn: Uint8Array }
  | { ok: false; reason: 'dukptOverflow' | 'formatNotSupported' };

const FORMAT_OF_SCHEME: Record<DukptScheme, PinBlockFormat> = { tdes: 'iso0', aes128: 'iso4' };

/**
 * The pad's side of DUKPT: one initial key and a transaction counter, stepped before every
 * PIN block so each block is made under a key never used before. Format 0 goes with TDES
 * (8-byte blocks), format 4 with AES. A real pad keeps a table of future keys and erases
 * the initial key; deriving from the initial key each time gives the same keys, which is
 * what a simulator needs.
 */
export class DukptPinEncryptor {
  readonly scheme: DukptScheme;
  private readonly initialKey: Uint8Array;
  private readonly initialKeySerial: Uint8Array;
  private lastCounter: number;

  constructor(settings: DukptPinEncryptorSettings) {
    const { scheme } = settings;
    if (scheme !== 'tdes' && scheme !== 'aes128') {
      throw new KioskError(
        ErrorCode.DeviceBadArgument,
        `DUKPT scheme must be tdes or aes128, got ${scheme}`,
        {
          details: { scheme },
        },
      );
    }
    this.scheme = scheme;
    this.initialKey = Uint8Array.from(requireBytes(settings.initialKey, 16, `${scheme} DUKPT initial key`));
    const serialBytes = scheme === 'tdes' ? DUKPT_TDES_KSN_BYTES : AES_DUKPT_INITIAL_KEY_ID_BYTES;
    this.initialKeySerial = Uint8Array.from(
      requireBytes(settings.initialKeySerial, serialBytes, `${scheme} DUKPT initial key serial`),
    );
    const maxCounter = scheme === 'tdes' ? DUKPT_TDES_MAX_COUNTER : AES_DUKPT_MAX_COUNTER;
    const { counter } = settings;
    if (!Number.isInteger(counter) || counter < 0 || counter > maxCounter) {
      throw new KioskError(
        ErrorCode.DeviceBadArgument,
        `${scheme} DUKPT counter must be an integer from 0 to ${maxCounter}, got ${counter}`,
        { details: { counter } },
      );
    }
    this.lastCounter = counter;
  }

  /** The last counter used, to be persisted so a restarted pad never goes back. */
  get counter(): number {
    return this.lastCounter;
  }

  encryptPin(request: PinEncryptionRequest): PinEncryptionResult {
    if (request.format !== FORMAT_OF_SCHEME[this.scheme]) return { ok: false, reason: 'formatNotSupported' };
    const step =
      this.scheme === 'tdes' ? nextTdesCounter(this.lastCounter) : nextAesCounter(this.lastCounter);
    if (!step.ok) return step;
    const result =
      this.scheme === 'tdes'
        ? this.encryptTdes(request, step.counter)
        : this.encryptAes(request, step.counter);
    // Stepped only once the block exists: a refused PIN or account does not use up a key.
    this.lastCounter = step.counter;
    return result;
  }

  private encryptTdes(request: PinEncryptionRequest, counter: number): PinEncryptionResult {
    const ksn = formatTdesKsn(this.initialKeySerial, counter);
    const clear = buildFormat0Block(request.pin, request.account);
    const transactionKey = deriveTdesTransactionKey(this.initialKey, ksn);
    const pinKey = deriveTdesPinKey(transactionKey);
    const pinBlock = encryptTdesBlock(pinKey, clear);
    wipe(clear, transactionKey, pinKey);
    return { ok: true, pinBlock, ksn };
  }

  private encryptAes(request: PinEncryptionRequest, counter: number): PinEncryptionResult {
    const ksn = formatAesKsn(this.initialKeySerial, counter);
    const pinKey = deriveAesPinKey(this.initialKey, ksn);
    const pinBlock = encipherFormat4Block(pinKey, request.pin, request.account, request.random);
    wipe(pinKey);
    return { ok: true, pinBlock, ksn };
  }
}
