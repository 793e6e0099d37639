import { ErrorCode, KioskError } from '../../core/errors.js';

/**
 * Argument checks for journal operations. Each throws JournalBadInput naming the field and
 * what it got, before any statement runs, so a rejected call changes nothing.
 */

function bad(field: string, expected: string, got: unknown): KioskError {
  const shown = typeof got === 'string' ? JSON.stringify(got.slice(0, 80)) : String(got);
  return new KioskError(ErrorCode.JournalBadInput, `${field} must be ${expected}, got ${shown}`, {
    details: { field, expected },
  });
}

const MAX_TEXT = 200;

export function text(field: string, value: unknown, max = MAX_TEXT): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > max) {
    throw bad(field, `a non-empty string of at most ${max} characters`, value);
  }
  return value;
}

export function optionalText(field: string, value: unknown, max = MAX_TEXT): string | null {
  return value === undefined || value === null ? null : text(field, value, max);
}

/** Money and counts: safe integers only, so a float or NaN can never reach a sum. */
export function integer(field: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw bad(
      field,
      max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer in [${min}, ${max}]`,
      value,
    );
  }
  return value;
}

export function array<T>(field: string, value: readonly T[]): readonly T[] {
  if (!Array.isArray(value)) throw bad(field, 'an array', value);
  return value;
}

export function date(field: string, value: unknown): Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw bad(field, 'a valid Date', value);
  return value;
}

export function denomination(field: string, value: unknown): number {
  return integer(field, value, 1);
}

export function oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw bad(field, `one of ${allowed.join(', ')}`, value);
  }
  return value as T;
}

export function boolean(field: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw bad(field, 'true or false', value);
  return value;
}

export function currency(field: string, value: unknown): string {
  if (typeof value !== 'string' || !/^[A-Z]{3}$/.test(value))
    throw bad(field, 'an ISO 4217 code like CNY', value);
  return value;
}

/** Plain JSON objects only: audit details must read back exactly as written. */
export function jsonObject(field: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw bad(field, 'a plain object', value);
  }
  let encoded: string;
  try {
    encoded = JSON.stringify(value);
  } catch (error) {
    throw new KioskError(ErrorCode.JournalBadInput, `${field} cannot be stored as JSON: ${String(error)}`, {
      details: { field },
    });
  }
  if (encoded.length > 64_000)
    throw bad(field, 'at most 64000 characters of JSON', `${encoded.length} characters`);
  return JSON.parse(encoded) as Record<string, unknown>;
}
