import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode, isKioskError } from '../../../../core/errors.js';
import {
  crc16Kermit,
  decodeFrame,
  encodeFrame,
} from '../../../../devices/cash-acceptor/id003/codec/index.js';
import { fromHex, hex } from './arbitraries.js';

const ascii = (text: string) => new TextEncoder().encode(text);

function codeOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (error) {
    return isKioskError(error) ? error.code : -1;
  }
  return undefined;
}

describe('crc16Kermit', () => {
  it('gives the catalogue check value for "123456789"', () => {
    expect(crc16Kermit(ascii('123456789'))).toBe(0x2189);
  });

  it('is 0 for no bytes and honours start/end', () => {
    expect(crc16Kermit(new Uint8Array(0))).toBe(0);
    expect(crc16Kermit(ascii('xx123456789yy'), 2, 11)).toBe(0x2189);
  });

  it('matches a bit-by-bit reference for any input', () => {
    const reference = (bytes: Uint8Array) => {
      let crc = 0;
      for (const b of bytes) {
        crc ^= b;
        for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0x8408 : crc >>> 1;
      }
      return crc;
    };
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => crc16Kermit(bytes) === reference(bytes)),
    );
  });

  it('rejects a range outside the buffer', () => {
    expect(codeOf(() => crc16Kermit(new Uint8Array(4), 2, 5))).toBe(ErrorCode.DeviceBadArgument);
    expect(codeOf(() => crc16Kermit(new Uint8Array(4), 3, 2))).toBe(ErrorCode.DeviceBadArgument);
    expect(codeOf(() => crc16Kermit(new Uint8Array(4), -1))).toBe(ErrorCode.DeviceBadArgument);
  });
});

describe('encodeFrame / decodeFrame', () => {
  it('encodes the golden poll and VEND VALID frames', () => {
    expect(hex(encodeFrame(0x11))).toBe('FC 05 11 27 56');
    expect(hex(encodeFrame(0x15))).toBe('FC 05 15 03 10');
    expect(hex(encodeFrame(0x13, Uint8Array.of(0x63)))).toBe('FC 06 13 63 A2 D8');
    expect(hex(encodeFrame(0xc0, Uint8Array.of(0, 0)))).toBe('FC 07 C0 00 00 2D B5');
  });

  it('round-trips any code and data', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 250 }), (code, data) => {
        const frame = decodeFrame(encodeFrame(code, data));
        expect(frame.code).toBe(code);
        expect(frame.data).toEqual(data);
      }),
    );
  });

  it('accepts exactly 250 data bytes (LNG 255) and refuses 251', () => {
    expect(encodeFrame(0x88, new Uint8Array(250))[1]).toBe(255);
    expect(codeOf(() => encodeFrame(0x88, new Uint8Array(251)))).toBe(ErrorCode.DeviceBadArgument);
  });

  it('refuses a code that is not a byte', () => {
    for (const code of [-1, 256, 1.5, Number.NaN]) {
      expect(codeOf(() => encodeFrame(code))).toBe(ErrorCode.DeviceBadArgument);
    }
  });

  it('refuses a damaged frame with DeviceProtocol', () => {
    const good = fromHex('FC 06 13 63 A2 D8');
    expect(codeOf(() => decodeFrame(good))).toBeUndefined();
    for (let i = 0; i < good.length; i++) {
      const bad = good.slice();
      bad[i]! ^= 0x01;
      expect(
        codeOf(() => decodeFrame(bad)),
        `byte ${i} flipped`,
      ).toBe(ErrorCode.DeviceProtocol);
    }
    expect(codeOf(() => decodeFrame(good.subarray(0, 4)))).toBe(ErrorCode.DeviceProtocol);
    expect(codeOf(() => decodeFrame(new Uint8Array([0xfc, 0x06, 0x13, 0x63, 0xa2, 0xd8, 0x00])))).toBe(
      ErrorCode.DeviceProtocol,
    );
  });
});
