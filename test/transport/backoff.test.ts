import { fc, test as fcTest } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { ErrorCode, isKioskError } from '../../core/errors.js';
import { assertBackoffPolicy, type BackoffPolicy, backoffDelayMs } from '../../devices/transport/backoff.js';

const policy: BackoffPolicy = { initialDelayMs: 100, maxDelayMs: 5_000, factor: 2, jitter: 0.5 };

describe('backoffDelayMs', () => {
  it('grows by the factor per attempt and caps at maxDelayMs', () => {
    const noJitter = () => 0;
    expect([0, 1, 2, 3, 4, 5, 6].map((a) => backoffDelayMs(policy, a, noJitter))).toEqual([
      100, 200, 400, 800, 1600, 3200, 5000,
    ]);
    expect(backoffDelayMs(policy, 10_000, noJitter)).toBe(5000);
  });

  it('shaves at most jitter·delay off at random', () => {
    expect(backoffDelayMs(policy, 2, () => 0.5)).toBe(400 * (1 - 0.5 * 0.5));
    expect(backoffDelayMs(policy, 0, () => 0.999)).toBeCloseTo(100 * (1 - 0.5 * 0.999));
  });

  it('stays 0 for a zero initial delay even when factor^attempt overflows', () => {
    expect(backoffDelayMs({ ...policy, initialDelayMs: 0 }, 5_000, () => 0)).toBe(0);
  });

  fcTest.prop([
    fc.integer({ min: 0, max: 10_000 }),
    fc.integer({ min: 0, max: 60_000 }),
    fc.double({ min: 1, max: 10, noNaN: true }),
    fc.double({ min: 0, max: 1, noNaN: true }),
    fc.nat(2_000),
    fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
  ])('is within [(1-jitter)·capped, capped] for any policy', (initial, extra, factor, jitter, attempt, r) => {
    const p = { initialDelayMs: initial, maxDelayMs: initial + extra, factor, jitter };
    const delay = backoffDelayMs(p, attempt, () => r);
    const capped = initial === 0 ? 0 : Math.min(p.maxDelayMs, initial * factor ** attempt);
    expect(Number.isFinite(delay)).toBe(true);
    expect(delay).toBeLessThanOrEqual(capped + 1e-9);
    expect(delay).toBeGreaterThanOrEqual(capped * (1 - jitter) - 1e-9);
  });

  it('rejects a bad attempt or random source with ConfigInvalid', () => {
    for (const attempt of [-1, 1.5, Number.NaN]) {
      expect(() => backoffDelayMs(policy, attempt)).toThrow(
        expect.objectContaining({ code: ErrorCode.ConfigInvalid }),
      );
    }
    expect(() => backoffDelayMs(policy, 0, () => 1)).toThrow(/\[0, 1\)/);
  });
});

describe('assertBackoffPolicy', () => {
  it('accepts a sane policy', () => {
    expect(() => assertBackoffPolicy(policy)).not.toThrow();
  });

  it.each([
    [null, 'reconnect must be an object'],
    [{ ...policy, initialDelayMs: -1 }, 'reconnect.initialDelayMs'],
    [{ ...policy, maxDelayMs: Number.POSITIVE_INFINITY }, 'reconnect.maxDelayMs'],
    [{ ...policy, factor: 0.5 }, 'reconnect.factor'],
    [{ ...policy, jitter: 1.5 }, 'reconnect.jitter'],
    [{ ...policy, jitter: '0.1' }, 'reconnect.jitter'],
    [{ ...policy, maxDelayMs: 50 }, 'reconnect.maxDelayMs (50) must not be below'],
  ])('rejects %j naming the field', (bad, named) => {
    let caught: unknown;
    try {
      assertBackoffPolicy(bad);
    } catch (error) {
      caught = error;
    }
    expect(isKioskError(caught, ErrorCode.ConfigInvalid)).toBe(true);
    expect((caught as Error).message).toContain(named);
  });
});
