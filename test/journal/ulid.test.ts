import { describe, expect, it } from 'vitest';
import { ErrorCode, isKioskError } from '../../core/errors.js';
import { createUlidFactory, isUlid, ulid, ulidTime } from '../../src/journal/ulid.js';

describe('ulid', () => {
  it('encodes the time in the first 10 characters and reads it back', () => {
    const t = Date.UTC(2025, 4, 17, 8, 30, 0, 123);
    const id = createUlidFactory({ now: () => t })();
    expect(isUlid(id)).toBe(true);
    expect(id).toHaveLength(26);
    expect(ulidTime(id)).toBe(t);
  });

  it('matches the spec example: time 1469918176385 encodes as 01ARYZ6S41', () => {
    const id = createUlidFactory({ now: () => 1469918176385, random: () => new Uint8Array(10) })();
    expect(id).toBe('01ARYZ6S410000000000000000');
  });

  it('is strictly increasing within one millisecond, carrying across digits', () => {
    const bytes = new Uint8Array(10).fill(0xff);
    bytes[0] = 0;
    const next = createUlidFactory({ now: () => 1000, random: () => bytes });
    const a = next();
    const b = next();
    const c = next();
    expect(a < b && b < c).toBe(true);
    // 0x00 then 72 one-bits is 3ZZZZZZZZZZZZZZ in base32; +1 carries through 14 digits.
    expect(a.slice(10)).toBe(`03${'Z'.repeat(14)}`);
    expect(b.slice(10)).toBe(`04${'0'.repeat(14)}`);
    expect(ulidTime(c)).toBe(1000);
  });

  it('stays increasing when the clock steps backwards', () => {
    let t = 5000;
    const next = createUlidFactory({ now: () => t });
    const a = next();
    t = 4000;
    const b = next();
    expect(b > a).toBe(true);
    expect(ulidTime(b)).toBe(5000);
  });

  it('sorts 10 000 default ids in creation order without duplicates', () => {
    const ids = Array.from({ length: 10_000 }, () => ulid());
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });

  it('refuses the overflow of the random part with a KioskError', () => {
    const next = createUlidFactory({ now: () => 1, random: () => new Uint8Array(10).fill(0xff) });
    next();
    expect(() => next()).toThrow(expect.objectContaining({ code: ErrorCode.JournalBadInput }));
  });

  it('rejects malformed ids and out-of-range time', () => {
    expect(isUlid('01ARYZ6S41000000000000000I')).toBe(false);
    expect(isUlid('81ARYZ6S410000000000000000')).toBe(false);
    try {
      ulidTime('nope');
      expect.unreachable();
    } catch (error) {
      expect(isKioskError(error, ErrorCode.JournalBadInput)).toBe(true);
    }
    expect(() => createUlidFactory({ now: () => 1.5 })()).toThrow(/integer millisecond/);
  });
});
