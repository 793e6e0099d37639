import { ErrorCode, KioskError } from '../../../core/errors.js';

/** Throws DeviceBadArgument unless `value` is a Uint8Array of exactly `length` bytes. */
export function requireBytes(value: unknown, length: number, what: string): Uint8Array {
  if (!(value instanceof Uint8Array) || value.length !== length) {
    const got = value instanceof Uint8Array ? `${value.length} bytes` : typeof value;
    throw new KioskError(ErrorCode.DeviceBadArgument, `${what} must be ${length} bytes, got ${got}`, {
      details: { what, expected: length },
    });
  }
  return value;
}

export function xorBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

export function bitCount(value: number): number {
  let count = 0;
  for (let v = value >>> 0; v !== 0; v = (v & (v - 1)) >>> 0) count++;
  return count;
}

/**
 * Overwrites key material in place once it is no longer needed, so derived keys do not
 * linger in the heap any longer than the call that used them.
 */
export function wipe(...buffers: Uint8Array[]): void {
  for (const buffer of buffers) buffer.fill(0);
}
