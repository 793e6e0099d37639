import { randomBytes } from 'node:crypto';
import { ErrorCode, KioskError } from '../../../core/errors.js';
import { decryptAesBlock, encryptAesBlock } from './block-cipher.js';
import { requireBytes, wipe, xorBytes } from './bytes.js';

/*
 * ISO 9564-1 PIN blocks. Format 0 binds the PIN to 12 account digits by XOR (8 bytes, for
 * TDES); format 4 enciphers the PIN field, XORs the whole account, and enciphers again
 * (16 bytes, for AES), with 8 random bytes so the same PIN never gives the same block.
 */

export type PinReadResult = { ok: true; pin: string } | { ok: false; reason: 'malformedPinBlock' };

export const PIN_MIN_DIGITS = 4;
export const PIN_MAX_DIGITS = 12;
const FORMAT_0_MIN_ACCOUNT_DIGITS = 2;
const FORMAT_4_MIN_ACCOUNT_DIGITS = 1;
const MAX_ACCOUNT_DIGITS = 19;
const MALFORMED: PinReadResult = { ok: false, reason: 'malformedPinBlock' };

export function buildFormat0Block(pin: string, account: string): Uint8Array {
  requirePin(pin);
  const pinField = Buffer.from(`0${pin.length.toString(16)}${pin}`.padEnd(16, 'F'), 'hex');
  const block = xorBytes(pinField, format0AccountField(account));
  wipe(pinField);
  return block;
}

/** The PIN in a clear format-0 block built for `account`; anything else is malformedPinBlock. */
export function readFormat0Block(block: Uint8Array, account: string): PinReadResult {
  requireBytes(block, 8, 'format-0 PIN block');
  const pinField = xorBytes(block, format0AccountField(account));
  const result = readPinField(pinField, 0, 0xf);
  wipe(pinField);
  return result;
}

/** `random` is the 8-byte random field; a test fixes it, a pad leaves it out. */
export function encipherFormat4Block(
  key: Uint8Array,
  pin: string,
  account: string,
  random: Uint8Array = randomBytes(8),
): Uint8Array {
  requireBytes(key, 16, 'format-4 AES key');
  requirePin(pin);
  requireBytes(random, 8, 'format-4 random field');
  const pinField = new Uint8Array(16);
  pinField.set(Buffer.from(`4${pin.length.toString(16)}${pin}`.padEnd(16, 'A'), 'hex'));
  pinField.set(random, 8);
  const intermediate = xorBytes(encryptAesBlock(key, pinField), format4AccountField(account));
  const block = encryptAesBlock(key, intermediate);
  wipe(pinField, intermediate);
  return block;
}

export function decipherFormat4Block(key: Uint8Array, block: Uint8Array, account: string): PinReadResult {
  requireBytes(key, 16, 'format-4 AES key');
  requireBytes(block, 16, 'format-4 PIN block');
  const intermediate = xorBytes(decryptAesBlock(key, block), format4AccountField(account));
  const pinField = decryptAesBlock(key, intermediate);
  const result = readPinField(pinField, 4, 0xa);
  wipe(pinField, intermediate);
  return result;
}

export function isValidAccount(account: unknown, minDigits = FORMAT_4_MIN_ACCOUNT_DIGITS): account is string {
  return (
    typeof account === 'string' &&
    /^[0-9]*$/.test(account) &&
    account.length >= minDigits &&
    account.length <= MAX_ACCOUNT_DIGITS
  );
}

/** `0000` + the 12 account digits left of the check digit, zero-padded on the left. */
function format0AccountField(account: string): Uint8Array {
  requireAccount(account, FORMAT_0_MIN_ACCOUNT_DIGITS);
  const digits = account.slice(0, -1).slice(-12).padStart(12, '0');
  return Buffer.from(`0000${digits}`, 'hex');
}

/** `M` (digits beyond 12) + the whole account, at least 12 digits, then zeros to 16 bytes. */
function format4AccountField(account: string): Uint8Array {
  requireAccount(account, FORMAT_4_MIN_ACCOUNT_DIGITS);
  const extra = Math.max(0, account.length - 12);
  return Buffer.from(`${extra}${account.padStart(12, '0')}`.padEnd(32, '0'), 'hex');
}

/** Control nibble, length 4–12, that many decimal digits, then the fill nibble up to byte 8. */
function readPinField(field: Uint8Array, control: number, fill: number): PinReadResult {
  const nibble = (i: number) => (i % 2 === 0 ? field[i >> 1]! >> 4 : field[i >> 1]! & 0x0f);
  if (nibble(0) !== control) return MALFORMED;
  const length = nibble(1);
  if (length < PIN_MIN_DIGITS || length > PIN_MAX_DIGITS) return MALFORMED;
  let pin = '';
  for (let i = 2; i < 2 + length; i++) {
    const digit = nibble(i);
    if (digit > 9) return MALFORMED;
    pin += digit;
  }
  for (let i = 2 + length; i < 16; i++) if (nibble(i) !== fill) return MALFORMED;
  return { ok: true, pin };
}

function requirePin(pin: string): void {
  if (
    typeof pin !== 'string' ||
    !/^[0-9]*$/.test(pin) ||
    pin.length < PIN_MIN_DIGITS ||
    pin.length > PIN_MAX_DIGITS
  ) {
    // The PIN itself is never put into the message or details.
    throw new KioskError(
      ErrorCode.DeviceBadArgument,
      `a PIN must be ${PIN_MIN_DIGITS} to ${PIN_MAX_DIGITS} decimal digits`,
      { details: { length: typeof pin === 'string' ? pin.length : typeof pin } },
    );
  }
}

function requireAccount(account: string, minDigits: number): void {
  if (!isValidAccount(account, minDigits)) {
    throw new KioskError(
      ErrorCode.DeviceBadArgument,
      `an account for a PIN block must be ${minDigits} to ${MAX_ACCOUNT_DIGITS} decimal digits, got ${JSON.stringify(account)}`,
      { details: { account } },
    );
  }
}
