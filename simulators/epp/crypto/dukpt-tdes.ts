import { ErrorCode, KioskError } from '../../../core/errors.js';
import { encryptDesBlock, encryptTdesBlock } from './block-cipher.js';
import { bitCount, requireBytes, wipe, xorBytes } from './bytes.js';
import { type CounterStep, nextCounter } from './counter.js';

/*
 * DUKPT with two-key TDES, ANSI X9.24-1:2009 annex A. The KSN is 10 bytes: a 59-bit initial
 * key serial and a 21-bit transaction counter in its rightmost bits.
 */

export const DUKPT_TDES_KSN_BYTES = 10;
export const DUKPT_TDES_MAX_COUNTER = 0x1fffff;
export const DUKPT_TDES_MAX_ONE_BITS = 10;

const KEY_MASK = Uint8Array.from([
  0xc0, 0xc0, 0xc0, 0xc0, 0x00, 0x00, 0x00, 0x00, 0xc0, 0xc0, 0xc0, 0xc0, 0x00, 0x00, 0x00, 0x00,
]);
const PIN_VARIANT = Uint8Array.from([
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff,
]);

export interface TdesKsn {
  /** The KSN with its counter bits zeroed. */
  initialKsn: Uint8Array;
  counter: number;
}

export function parseTdesKsn(ksn: Uint8Array): TdesKsn {
  requireBytes(ksn, DUKPT_TDES_KSN_BYTES, 'DUKPT TDES KSN');
  const initialKsn = Uint8Array.from(ksn);
  initialKsn[7]! &= 0xe0;
  initialKsn[8] = 0;
  initialKsn[9] = 0;
  const counter = ((ksn[7]! & 0x1f) << 16) | (ksn[8]! << 8) | ksn[9]!;
  return { initialKsn, counter };
}

export function formatTdesKsn(initialKsn: Uint8Array, counter: number): Uint8Array {
  const ksn = parseTdesKsn(initialKsn).initialKsn;
  requireUsableCounter(counter);
  ksn[7]! |= counter >>> 16;
  ksn[8] = (counter >>> 8) & 0xff;
  ksn[9] = counter & 0xff;
  return ksn;
}

/** Initial PIN encryption key from the base derivation key and any KSN of the device. */
export function deriveTdesIpek(bdk: Uint8Array, ksn: Uint8Array): Uint8Array {
  requireBytes(bdk, 16, 'DUKPT TDES BDK');
  const serial = parseTdesKsn(ksn).initialKsn.subarray(0, 8);
  const maskedBdk = xorBytes(bdk, KEY_MASK);
  const ipek = new Uint8Array(16);
  ipek.set(encryptTdesBlock(bdk, serial), 0);
  ipek.set(encryptTdesBlock(maskedBdk, serial), 8);
  wipe(maskedBdk);
  return ipek;
}

/**
 * The transaction key for the KSN's counter: starting from the IPEK, one non-reversible key
 * generation step per one-bit of the counter, highest bit first, each step's data being the
 * KSN's right 8 bytes with the bits processed so far set.
 */
export function deriveTdesTransactionKey(ipek: Uint8Array, ksn: Uint8Array): Uint8Array {
  requireBytes(ipek, 16, 'DUKPT TDES IPEK');
  const { initialKsn, counter } = parseTdesKsn(ksn);
  requireUsableCounter(counter);
  const register = initialKsn.slice(2);
  let key: Uint8Array = Uint8Array.from(ipek);
  let partial = 0;
  for (let bit = 1 << 20; bit !== 0; bit >>>= 1) {
    if ((counter & bit) === 0) continue;
    partial |= bit;
    register[5] = (register[5]! & 0xe0) | (partial >>> 16);
    register[6] = (partial >>> 8) & 0xff;
    register[7] = partial & 0xff;
    const next = nonReversibleKeyGeneration(key, register);
    wipe(key);
    key = next;
  }
  return key;
}

export function deriveTdesPinKey(transactionKey: Uint8Array): Uint8Array {
  requireBytes(transactionKey, 16, 'DUKPT TDES transaction key');
  return xorBytes(transactionKey, PIN_VARIANT);
}

export function nextTdesCounter(counter: number): CounterStep {
  return nextCounter(counter, DUKPT_TDES_MAX_COUNTER, DUKPT_TDES_MAX_ONE_BITS);
}

/** True for a counter a pad can have used: 1 to the maximum, at most ten one-bits. */
export function isUsableTdesCounter(counter: number): boolean {
  return (
    Number.isInteger(counter) &&
    counter >= 1 &&
    counter <= DUKPT_TDES_MAX_COUNTER &&
    bitCount(counter) <= DUKPT_TDES_MAX_ONE_BITS
  );
}

function requireUsableCounter(counter: number): void {
  if (!isUsableTdesCounter(counter)) {
    throw new KioskError(
      ErrorCode.DeviceBadArgument,
      `DUKPT TDES counter ${counter} is not one a pad uses (1 to 0x1FFFFF, at most ${DUKPT_TDES_MAX_ONE_BITS} one-bits)`,
      { details: { counter } },
    );
  }
}

function nonReversibleKeyGeneration(key: Uint8Array, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(16);
  out.set(halfStep(key, data), 8);
  const masked = xorBytes(key, KEY_MASK);
  out.set(halfStep(masked, data), 0);
  wipe(masked);
  return out;
}

function halfStep(key: Uint8Array, data: Uint8Array): Uint8Array {
  const right = key.subarray(8, 16);
  const input = xorBytes(right, data);
  const output = xorBytes(encryptDesBlock(key.subarray(0, 8), input), right);
  wipe(input);
  return output;
}
