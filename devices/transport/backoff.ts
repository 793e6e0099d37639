import { ErrorCode, KioskError } from '../../core/errors.js';

/** How long to wait before reopening a lost port: grows exponentially, capped, with jitter. */
export interface BackoffPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
  /** Growth per failed attempt; 1 keeps the delay constant. */
  factor: number;
  /**
   * Fraction (0..1) of the delay that may be shaved off at random, so that many kiosks
   * power-cycled together do not hammer a shared USB hub or broker in lockstep.
   */
  jitter: number;
}

/** Rejects a policy from config with a KioskError naming the field; accepts a usable one silently. */
export function assertBackoffPolicy(policy: unknown, where = 'reconnect'): asserts policy is BackoffPolicy {
  if (typeof policy !== 'object' || policy === null) {
    throw new KioskError(ErrorCode.ConfigInvalid, `${where} must be an object`);
  }
  const p = policy as Record<string, unknown>;
  const finite = (key: string, min: number): number => {
    const value = p[key];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
      throw new KioskError(
        ErrorCode.ConfigInvalid,
        `${where}.${key} must be a finite number >= ${min}, got ${String(value)}`,
        { details: { field: `${where}.${key}` } },
      );
    }
    return value;
  };
  const initial = finite('initialDelayMs', 0);
  const max = finite('maxDelayMs', 0);
  finite('factor', 1);
  const jitter = finite('jitter', 0);
  if (jitter > 1) {
    throw new KioskError(ErrorCode.ConfigInvalid, `${where}.jitter must be between 0 and 1, got ${jitter}`, {
      details: { field: `${where}.jitter` },
    });
  }
  if (max < initial) {
    throw new KioskError(
      ErrorCode.ConfigInvalid,
      `${where}.maxDelayMs (${max}) must not be below initialDelayMs (${initial})`,
      { details: { field: `${where}.maxDelayMs` } },
    );
  }
}

/**
 * Delay before retry number `attempt` (0 for the first retry):
 * min(max, initial·factor^attempt) · (1 − jitter·random).
 * `random` is injectable so tests can pin it; it must lie in [0, 1).
 */
export function backoffDelayMs(
  policy: BackoffPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  if (!Number.isInteger(attempt) || attempt < 0) {
    throw new KioskError(
      ErrorCode.ConfigInvalid,
      `backoff attempt must be a non-negative integer, got ${attempt}`,
    );
  }
  const r = random();
  if (!(r >= 0 && r < 1)) {
    throw new KioskError(
      ErrorCode.ConfigInvalid,
      `backoff random source must return a number in [0, 1), got ${r}`,
    );
  }
  // factor^attempt overflows to Infinity for long outages; min() caps that, but 0·Infinity is NaN.
  const grown = policy.initialDelayMs === 0 ? 0 : policy.initialDelayMs * policy.factor ** attempt;
  const base = Math.min(policy.maxDelayMs, grown);
  return base * (1 - policy.jitter * r);
}
