import { ErrorCode, KioskError } from '../../../core/errors.js';
import { type EppKeyName, ETX, KEY_BYTES, STX } from './codec/index.js';

export interface EppDriverOptions {
  answerTimeoutMs: number;
  statusPollIntervalMs: number;
  /** Bare key bytes between frames (raw-key pads); empty or absent: keys come as event frames. */
  rawKeyBytes?: ReadonlyMap<number, EppKeyName>;
}

export type ResolvedEppDriverOptions = Required<EppDriverOptions>;

/** setTimeout fires at once beyond 2^31-1 ms; no wait here comes near a day. */
const MAX_MS = 86_400_000;
const KEY_NAMES = new Set<string>(Object.keys(KEY_BYTES));

function bad(field: string, expected: string, value: unknown): KioskError {
  return new KioskError(
    ErrorCode.ConfigInvalid,
    `epp driver: ${field}: expected ${expected}, got ${String(value)}`,
    {
      details: { field, value },
    },
  );
}

function positive(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > MAX_MS) {
    throw bad(field, `a number above 0 and at most ${MAX_MS}`, value);
  }
  return value;
}

/**
 * Checks options that reach the driver without the config schema (a test, a bench); a
 * KioskError ConfigInvalid names the first bad field.
 */
export function resolveEppDriverOptions(options: EppDriverOptions): ResolvedEppDriverOptions {
  if (typeof options !== 'object' || options === null) throw bad('options', 'an object', options);
  const raw = options.rawKeyBytes ?? new Map<number, EppKeyName>();
  if (!(raw instanceof Map)) throw bad('rawKeyBytes', 'a Map from bytes to key kinds', raw);
  for (const [byte, key] of raw) {
    if (!Number.isInteger(byte) || byte < 0 || byte > 0xff || byte === STX || byte === ETX) {
      throw bad('rawKeyBytes', 'bytes 00–FF other than STX and ETX', byte);
    }
    if (!KEY_NAMES.has(key)) throw bad('rawKeyBytes', [...KEY_NAMES].join(', '), key);
  }
  return {
    answerTimeoutMs: positive('answerTimeoutMs', options.answerTimeoutMs),
    statusPollIntervalMs: positive('statusPollIntervalMs', options.statusPollIntervalMs),
    rawKeyBytes: new Map(raw),
  };
}
