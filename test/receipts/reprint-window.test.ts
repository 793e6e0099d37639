import { describe, expect, it } from 'vitest';
import { customerMayReprint } from '../../src/receipts/index.js';

const paidAt = '2026-12-05T01:41:07.000Z';
const paidMs = Date.parse(paidAt);

describe('customerMayReprint', () => {
  it('allows the customer within the window, inclusive, and not after it', () => {
    const config = { reprintWindowSeconds: 300 };
    expect(customerMayReprint(paidAt, paidMs, config)).toBe(true);
    expect(customerMayReprint(paidAt, paidMs + 300_000, config)).toBe(true);
    expect(customerMayReprint(paidAt, paidMs + 300_001, config)).toBe(false);
  });

  it('with a zero window never allows the customer once time has moved', () => {
    expect(customerMayReprint(paidAt, paidMs + 1, { reprintWindowSeconds: 0 })).toBe(false);
  });

  it('takes a clock set back by less than the window as recent, by more as not', () => {
    const config = { reprintWindowSeconds: 300 };
    expect(customerMayReprint(paidAt, paidMs - 5000, config)).toBe(true);
    expect(customerMayReprint(paidAt, paidMs - 3_600_000, config)).toBe(false);
  });

  it('refuses a payment time without an offset and a clock reading that is not a number', () => {
    expect(() => customerMayReprint('2026-12-05 09:41:07', paidMs, { reprintWindowSeconds: 300 })).toThrow(
      /payment\.createdAt must be an ISO 8601 date and time with its offset/,
    );
    expect(() => customerMayReprint(paidAt, Number.NaN, { reprintWindowSeconds: 300 })).toThrow(
      'receipt: now must be a finite time in ms, got NaN',
    );
  });
});
