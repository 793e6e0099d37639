import { randomBytes } from 'node:crypto';
import { ErrorCode, KioskError } from '../../core/errors.js';

/**
 * ULIDs (https://github.com/ulid/spec): 48-bit millisecond time + 80 random bits in Crockford
 * base32, 26 characters. They sort by creation time, so journal rows and payment ids read in
 * order in a plain `ORDER BY`, and they need no coordination between kiosks.
 */

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const TIME_CHARS = 10;
const RANDOM_CHARS = 16;
const MAX_TIME = 2 ** 48 - 1;
const ULID_PATTERN = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;

export type UlidFactory = () => string;

export interface UlidFactoryOptions {
  /** Milliseconds since the epoch; the journal passes its injected clock. */
  now?: () => number;
  /** Source of the 80 random bits; tests pass a fixed one. */
  random?: (size: number) => Uint8Array;
}

function encodeTime(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0 || ms > MAX_TIME) {
    throw new KioskError(
      ErrorCode.JournalBadInput,
      `ULID time must be an integer millisecond in [0, 2^48), got ${ms}`,
    );
  }
  let out = '';
  let rest = ms;
  for (let i = 0; i < TIME_CHARS; i++) {
    out = ALPHABET[rest % 32] + out;
    rest = Math.floor(rest / 32);
  }
  return out;
}

/** 80 bits -> 16 base32 digits, most significant first. */
function encodeRandom(bytes: Uint8Array): number[] {
  let bits = 0n;
  for (let i = 0; i < 10; i++) bits = (bits << 8n) | BigInt(bytes[i] ?? 0);
  const digits: number[] = new Array(RANDOM_CHARS);
  for (let i = RANDOM_CHARS - 1; i >= 0; i--) {
    digits[i] = Number(bits & 31n);
    bits >>= 5n;
  }
  return digits;
}

/**
 * A monotonic factory: within one millisecond, or when the clock steps backwards, the next id
 * is the previous one plus one in its random part, so ids from one process never go out of order.
 */
export function createUlidFactory(options: UlidFactoryOptions = {}): UlidFactory {
  const now = options.now ?? Date.now;
  const random = options.random ?? ((size: number) => randomBytes(size));
  let lastTime = -1;
  let lastRandom: number[] = [];

  return () => {
    const time = now();
    if (time > lastTime) {
      const bytes = random(10);
      if (bytes.length < 10)
        throw new KioskError(ErrorCode.JournalBadInput, 'ULID random source returned fewer than 10 bytes');
      lastTime = time;
      lastRandom = encodeRandom(bytes);
    } else {
      let i = RANDOM_CHARS - 1;
      while (i >= 0 && lastRandom[i] === 31) {
        lastRandom[i] = 0;
        i--;
      }
      // 2^80 ids in one millisecond cannot happen by chance; it means a broken random source.
      if (i < 0)
        throw new KioskError(ErrorCode.JournalBadInput, 'ULID random part overflowed within one millisecond');
      lastRandom[i] = (lastRandom[i] ?? 0) + 1;
    }
    return encodeTime(lastTime) + lastRandom.map((d) => ALPHABET[d]).join('');
  };
}

export const ulid: UlidFactory = createUlidFactory();

export function isUlid(value: unknown): value is string {
  return typeof value === 'string' && ULID_PATTERN.test(value);
}

/** The millisecond timestamp a ULID carries. */
export function ulidTime(id: string): number {
  if (!isUlid(id)) throw new KioskError(ErrorCode.JournalBadInput, `not a ULID: ${JSON.stringify(id)}`);
  let ms = 0;
  for (let i = 0; i < TIME_CHARS; i++) ms = ms * 32 + ALPHABET.indexOf(id[i] as string);
  return ms;
}
