import { ErrorCode, KioskError } from '../../../core/errors.js';
import { encryptAesBlock } from './block-cipher.js';
import { bitCount, requireBytes, wipe } from './bytes.js';
import { type CounterStep, nextCounter } from './counter.js';

/*
 * DUKPT with AES-128, ANSI X9.24-3:2017. The KSN is 12 bytes: an 8-byte initial key ID (BDK
 * ID ‖ derivation ID) and a 32-bit transaction counter. Every key is one AES encryption of a
 * 16-byte derivation data block under its parent key.
 */

export const AES_DUKPT_KSN_BYTES = 12;
export const AES_DUKPT_INITIAL_KEY_ID_BYTES = 8;
export const AES_DUKPT_MAX_COUNTER = 0xffffffff;
export const AES_DUKPT_MAX_ONE_BITS = 16;

/** Key usage indicators of the derivation data (X9.24-3 table 2). */
const KeyUsage = {
  keyDerivation: 0x8000,
  keyDerivationInitialKey: 0x8001,
  pinEncryption: 0x1000,
} as const;
const ALGORITHM_AES_128 = 0x0002;
const KEY_BITS_128 = 0x0080;

export interface AesKsn {
  initialKeyId: Uint8Array;
  counter: number;
}

export function parseAesKsn(ksn: Uint8Array): AesKsn {
  requireBytes(ksn, AES_DUKPT_KSN_BYTES, 'DUKPT AES KSN');
  const counter = new DataView(ksn.buffer, ksn.byteOffset, ksn.length).getUint32(8);
  return { initialKeyId: ksn.slice(0, AES_DUKPT_INITIAL_KEY_ID_BYTES), counter };
}

export function formatAesKsn(initialKeyId: Uint8Array, counter: number): Uint8Array {
  requireBytes(initialKeyId, AES_DUKPT_INITIAL_KEY_ID_BYTES, 'DUKPT AES initial key ID');
  requireUsableCounter(counter);
  const ksn = new Uint8Array(AES_DUKPT_KSN_BYTES);
  ksn.set(initialKeyId);
  new DataView(ksn.buffer).setUint32(8, counter);
  return ksn;
}

/** The device's initial key, from the BDK and the initial key ID. */
export function deriveAesInitialKey(bdk: Uint8Array, initialKeyId: Uint8Array): Uint8Array {
  requireBytes(bdk, 16, 'DUKPT AES-128 BDK');
  requireBytes(initialKeyId, AES_DUKPT_INITIAL_KEY_ID_BYTES, 'DUKPT AES initial key ID');
  const data = derivationData(KeyUsage.keyDerivationInitialKey);
  data.set(initialKeyId, 8);
  return encryptAesBlock(bdk, data);
}

/**
 * The transaction (intermediate derivation) key for the KSN's counter: starting from the
 * initial key, one derivation per one-bit of the counter, highest first, each step's data
 * holding the bits processed so far.
 */
export function deriveAesTransactionKey(initialKey: Uint8Array, ksn: Uint8Array): Uint8Array {
  requireBytes(initialKey, 16, 'DUKPT AES-128 initial key');
  const { initialKeyId, counter } = parseAesKsn(ksn);
  requireUsableCounter(counter);
  const derivationId = initialKeyId.subarray(4, 8);
  let key: Uint8Array = Uint8Array.from(initialKey);
  let partial = 0;
  for (let bit = 0x80000000; bit >= 1; bit /= 2) {
    if (Math.floor(counter / bit) % 2 === 0) continue;
    partial += bit;
    const next = deriveChild(key, KeyUsage.keyDerivation, derivationId, partial);
    wipe(key);
    key = next;
  }
  return key;
}

/** The AES-128 PIN encryption working key for the KSN's counter. */
export function deriveAesPinKey(initialKey: Uint8Array, ksn: Uint8Array): Uint8Array {
  const transactionKey = deriveAesTransactionKey(initialKey, ksn);
  const { initialKeyId, counter } = parseAesKsn(ksn);
  const pinKey = deriveChild(transactionKey, KeyUsage.pinEncryption, initialKeyId.subarray(4, 8), counter);
  wipe(transactionKey);
  return pinKey;
}

export function nextAesCounter(counter: number): CounterStep {
  return nextCounter(counter, AES_DUKPT_MAX_COUNTER, AES_DUKPT_MAX_ONE_BITS);
}

/** True for a counter a pad can have used: 1 to 2^32 − 1, at most sixteen one-bits. */
export function isUsableAesCounter(counter: number): boolean {
  return (
    Number.isInteger(counter) &&
    counter >= 1 &&
    counter <= AES_DUKPT_MAX_COUNTER &&
    bitCount(counter) <= AES_DUKPT_MAX_ONE_BITS
  );
}

function requireUsableCounter(counter: number): void {
  if (!isUsableAesCounter(counter)) {
    throw new KioskError(
      ErrorCode.DeviceBadArgument,
      `DUKPT AES counter ${counter} is not one a pad uses (1 to 0xFFFFFFFF, at most ${AES_DUKPT_MAX_ONE_BITS} one-bits)`,
      { details: { counter } },
    );
  }
}

function deriveChild(
  parent: Uint8Array,
  usage: number,
  derivationId: Uint8Array,
  counter: number,
): Uint8Array {
  const data = derivationData(usage);
  data.set(derivationId, 8);
  new DataView(data.buffer).setUint32(12, counter);
  return encryptAesBlock(parent, data);
}

/** Version 01, key block counter 01, usage, algorithm AES-128, length 128 bits; bytes 8–15 by caller. */
function derivationData(usage: number): Uint8Array {
  const data = new Uint8Array(16);
  const view = new DataView(data.buffer);
  data[0] = 0x01;
  data[1] = 0x01;
  view.setUint16(2, usage);
  view.setUint16(4, ALGORITHM_AES_128);
  view.setUint16(6, KEY_BITS_128);
  return data;
}
