import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../../core/errors.js';
import {
  buildFormat0Block,
  decipherFormat4Block,
  encipherFormat4Block,
  readFormat0Block,
} from '../../../../simulators/epp/crypto/index.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase();

const pinArb = fc.stringMatching(/^[0-9]{4,12}$/);
const accountArb = fc.stringMatching(/^[0-9]{2,19}$/);
const keyArb = fc.uint8Array({ minLength: 16, maxLength: 16 });
const randomArb = fc.uint8Array({ minLength: 8, maxLength: 8 });

describe('ISO 9564 format 0', () => {
  it('builds the published clear block', () => {
    expect(toHex(buildFormat0Block('1234', '4012345678909'))).toBe('041274EDCBA9876F');
  });

  it('drops the check digit and pads a short account: an 11-digit phone number keeps 10 digits', () => {
    // Account field 0000 00 1380013800: the last digit 0 is the "check digit".
    const block = buildFormat0Block('246810', '13800138000');
    const pinField = hex('06246810FFFFFFFF');
    const accountField = hex('0000001380013800');
    expect(block).toEqual(Uint8Array.from(pinField, (b, i) => b ^ accountField[i]!));
  });

  it('reads back the PIN with the same account, and reports a mismatched account as malformed', () => {
    const block = buildFormat0Block('1234', '4012345678909');
    expect(readFormat0Block(block, '4012345678909')).toEqual({ ok: true, pin: '1234' });
    expect(readFormat0Block(block, '4012345678919')).toEqual({ ok: false, reason: 'malformedPinBlock' });
  });

  it('round-trips any PIN of 4 to 12 digits with any account', () => {
    fc.assert(
      fc.property(pinArb, accountArb, (pin, account) => {
        expect(readFormat0Block(buildFormat0Block(pin, account), account)).toEqual({ ok: true, pin });
      }),
      { numRuns: 300 },
    );
  });

  it('reports any 8 bytes that are not a format-0 block for the account as malformed, never throws', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 8, maxLength: 8 }), accountArb, (block, account) => {
        const result = readFormat0Block(block, account);
        if (result.ok) expect(buildFormat0Block(result.pin, account)).toEqual(block);
        else expect(result.reason).toBe('malformedPinBlock');
      }),
    );
  });

  it('refuses a PIN or account it cannot express, naming what was wrong', () => {
    for (const [pin, account] of [
      ['123', '4012345678909'],
      ['1234567890123', '4012345678909'],
      ['12a4', '4012345678909'],
      ['1234', '4'],
      ['1234', '40123456789091234567'],
      ['1234', '4012-345678909'],
    ] as const) {
      expect(() => buildFormat0Block(pin, account), `${pin} ${account}`).toThrow(
        expect.objectContaining({ code: ErrorCode.DeviceBadArgument }),
      );
    }
    expect(() => readFormat0Block(new Uint8Array(16), '4012345678909')).toThrow(
      expect.objectContaining({ code: ErrorCode.DeviceBadArgument }),
    );
  });
});

describe('ISO 9564 format 4', () => {
  const PIN_KEY = hex('AF8CB133A78F8DC2D1359F18527593FB');

  it('enciphers the published block with the random field fixed', () => {
    const block = encipherFormat4Block(PIN_KEY, '1234', '4111111111111111', hex('2F69ADDE2E9E7ACE'));
    expect(toHex(block)).toBe('A912150391AB65A67E52883D81CE2D15');
  });

  it('deciphers the published block back to the PIN', () => {
    expect(
      decipherFormat4Block(PIN_KEY, hex('A912150391AB65A67E52883D81CE2D15'), '4111111111111111'),
    ).toEqual({
      ok: true,
      pin: '1234',
    });
  });

  it('draws a fresh random field when none is given, so the same PIN gives different blocks', () => {
    const a = encipherFormat4Block(PIN_KEY, '1234', '4111111111111111');
    const b = encipherFormat4Block(PIN_KEY, '1234', '4111111111111111');
    expect(a).not.toEqual(b);
  });

  it('round-trips any PIN and account under any key and random field', () => {
    fc.assert(
      fc.property(
        pinArb,
        fc.stringMatching(/^[0-9]{1,19}$/),
        keyArb,
        randomArb,
        (pin, account, key, random) => {
          const block = encipherFormat4Block(key, pin, account, random);
          expect(decipherFormat4Block(key, block, account)).toEqual({ ok: true, pin });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('reports the wrong account or key as malformed (the account is bound into the block)', () => {
    const block = encipherFormat4Block(PIN_KEY, '1234', '4111111111111111', hex('2F69ADDE2E9E7ACE'));
    expect(decipherFormat4Block(PIN_KEY, block, '4111111111111112')).toEqual({
      ok: false,
      reason: 'malformedPinBlock',
    });
    expect(decipherFormat4Block(new Uint8Array(16), block, '4111111111111111')).toEqual({
      ok: false,
      reason: 'malformedPinBlock',
    });
  });

  it('refuses a random field, key or block of the wrong length', () => {
    expect(() => encipherFormat4Block(PIN_KEY, '1234', '4111111111111111', new Uint8Array(7))).toThrow(
      expect.objectContaining({ code: ErrorCode.DeviceBadArgument }),
    );
    expect(() => encipherFormat4Block(new Uint8Array(8), '1234', '4111111111111111')).toThrow(
      expect.objectContaining({ code: ErrorCode.DeviceBadArgument }),
    );
    expect(() => decipherFormat4Block(PIN_KEY, new Uint8Array(8), '4111111111111111')).toThrow(
      expect.objectContaining({ code: ErrorCode.DeviceBadArgument }),
    );
  });
});
