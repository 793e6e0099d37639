import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { localTimeText } from '../../src/receipts/local-time-text.js';
import { faceValueText, moneyText } from '../../src/receipts/money-text.js';
import { qrModuleSize, qrModulesAcross } from '../../src/receipts/qr-module-size.js';

const CNY = { currency: 'CNY', minorUnitsPerMajor: 100 };

describe('moneyText', () => {
  it('writes fen as yuan with two decimals and the fullwidth sign', () => {
    expect(moneyText(0, CNY)).toBe('￥0.00');
    expect(moneyText(5, CNY)).toBe('￥0.05');
    expect(moneyText(30, CNY)).toBe('￥0.30');
    expect(moneyText(25_000, CNY)).toBe('￥250.00');
    // A float would print 90071992547409.9 or round the last digit.
    expect(moneyText(Number.MAX_SAFE_INTEGER, CNY)).toBe('￥90071992547409.91');
    expect(moneyText(1234, { currency: 'HKD', minorUnitsPerMajor: 100 })).toBe('HKD 12.34');
    expect(moneyText(1234, { currency: 'JPY', minorUnitsPerMajor: 1 })).toBe('JPY 1234');
    expect(moneyText(1234, { currency: 'KWD', minorUnitsPerMajor: 1000 })).toBe('KWD 1.234');
  });

  it('reads back as the same integer for any amount', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), (minor) => {
        const text = moneyText(minor, CNY);
        expect(text).toMatch(/^￥\d+\.\d\d$/);
        expect(BigInt(text.replace(/\D/g, ''))).toBe(BigInt(minor));
      }),
    );
  });

  it('writes a note’s face value without decimals when whole', () => {
    expect(faceValueText(10_000, CNY)).toBe('￥100');
    expect(faceValueText(50, CNY)).toBe('￥0.50');
    expect(faceValueText(5000, { currency: 'KWD', minorUnitsPerMajor: 1000 })).toBe('KWD 5');
  });

  it('refuses a negative, fractional or unsafe amount and an unknown minor unit', () => {
    for (const bad of [-1, 1.5, Number.NaN, 2 ** 53])
      expect(() => moneyText(bad, CNY)).toThrow(/non-negative integer/);
    expect(() => moneyText(1, { currency: 'CNY', minorUnitsPerMajor: 7 })).toThrow(/1, 10, 100 or 1000/);
  });
});

describe('localTimeText', () => {
  it('gives wall-clock time in the zone, with 00 rather than 24 at midnight', () => {
    expect(localTimeText('2026-12-05T16:00:00Z', 'Asia/Shanghai')).toBe('2026-12-06 00:00:00');
    expect(localTimeText('2026-12-05T01:41:07.999Z', 'Asia/Shanghai')).toBe('2026-12-05 09:41:07');
    expect(localTimeText('2026-12-05T01:41:07+08:00', 'UTC')).toBe('2026-12-04 17:41:07');
    expect(localTimeText('2026-03-08T07:30:00Z', 'America/New_York')).toBe('2026-03-08 03:30:00');
  });

  it('refuses what is not a date, and an unknown zone', () => {
    expect(() => localTimeText('2026-13-45', 'UTC', 'payment.createdAt')).toThrow(
      'receipt: payment.createdAt must be an ISO 8601 date and time with its offset (Z or ±hh:mm), got "2026-13-45"',
    );
    // Date.parse would take these, the first two in the host's own zone.
    for (const loose of ['2026-12-05T09:41:07', '2026-12-05', 'Dec 5 2026 09:41 GMT']) {
      expect(() => localTimeText(loose, 'UTC')).toThrow(/with its offset/);
    }
    expect(() => localTimeText('2026-12-05T00:00:00Z', 'Mars/Olympus')).toThrow(
      'receipt: unknown time zone "Mars/Olympus"',
    );
  });
});

describe('qrModuleSize', () => {
  it('picks the smallest level-M version that holds the payload', () => {
    expect(qrModulesAcross(14)).toBe(21);
    expect(qrModulesAcross(15)).toBe(25);
    expect(qrModulesAcross(26)).toBe(25);
    expect(qrModulesAcross(213)).toBe(57);
    expect(qrModulesAcross(2331)).toBe(177);
    expect(() => qrModulesAcross(2332)).toThrow(/more than a level-M symbol holds/);
  });

  it('fits the symbol and its quiet zone across the paper, capped at 8 dots a module', () => {
    const ulid = '01JEQ7Z3N8X4V2R6T9W5Y7K3MB';
    expect(qrModuleSize(ulid, 32)).toBe(8); // 25 + 8 modules × 8 = 264 of 384 dots
    const url = `https://r.example.cn/${'a'.repeat(230)}`; // 251 bytes: version 11, 61 modules
    expect(qrModuleSize(url, 32)).toBe(5); // 384 / 69
    expect(qrModuleSize(url, 48)).toBe(8); // 576 / 69
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 600 }),
        fc.constantFrom(32, 42, 48) as fc.Arbitrary<32>,
        (p, c) => {
          const size = qrModuleSize(p, c);
          const across = qrModulesAcross(new TextEncoder().encode(p).length) + 8;
          expect(size * across).toBeLessThanOrEqual(c * 12);
        },
      ),
    );
  });
});
