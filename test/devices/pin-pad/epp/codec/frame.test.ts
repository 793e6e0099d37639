import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../../../core/errors.js';
import {
  decodeFrame,
  ETX,
  encodeFrame,
  MAX_FRAME_BYTES,
  MAX_PARAMS_BYTES,
  STX,
} from '../../../../../devices/pin-pad/epp/codec/index.js';
import { ascii, concat, largeFrameArb } from './arbitraries.js';

/** STX + the ASCII text + ETX: golden frames are written as their hex text, as in docs/devices/epp.md. */
const wire = (text: string) => concat([Uint8Array.of(STX), ascii(text), Uint8Array.of(ETX)]);

describe('EPP frame', () => {
  it('encodes the golden frames of docs/devices/epp.md', () => {
    expect(encodeFrame(0x30)).toEqual(wire('013031'));
    expect(encodeFrame(0x32, Uint8Array.of(0x00, 0xc8))).toEqual(wire('033200C8F9'));
    expect(encodeFrame(0x50, Uint8Array.of(0x2a))).toEqual(wire('02502A78'));
  });

  it('never puts STX or ETX inside a frame, whatever the parameters', () => {
    fc.assert(
      fc.property(largeFrameArb, ({ code, params }) => {
        const bytes = encodeFrame(code, params);
        expect(bytes[0]).toBe(STX);
        expect(bytes[bytes.length - 1]).toBe(ETX);
        expect(bytes.subarray(1, -1).every((b) => /[0-9A-F]/.test(String.fromCharCode(b)))).toBe(true);
        expect(bytes.length).toBeLessThanOrEqual(MAX_FRAME_BYTES);
        expect(decodeFrame(bytes)).toEqual({ code, params });
      }),
    );
  });

  it('refuses a non-byte code and over-long parameters with DeviceBadArgument', () => {
    for (const code of [-1, 256, 1.5]) {
      expect(() => encodeFrame(code)).toThrow(expect.objectContaining({ code: ErrorCode.DeviceBadArgument }));
    }
    expect(() => encodeFrame(0x30, new Uint8Array(MAX_PARAMS_BYTES + 1))).toThrow(
      expect.objectContaining({ code: ErrorCode.DeviceBadArgument }),
    );
  });

  it('decodeFrame names what is wrong with a damaged frame', () => {
    const cases: [string, Uint8Array][] = [
      ['short', wire('0130')],
      ['no STX', ascii('x013031\x03')],
      ['no ETX', ascii('\x02013031x')],
      ['bad check', wire('013032')],
      ['bad length', wire('023031')],
      ['lower-case hex', wire('033200c8f9')],
      ['odd digits', wire('0130310')],
    ];
    for (const [what, bytes] of cases) {
      expect(() => decodeFrame(bytes), what).toThrow(
        expect.objectContaining({ code: ErrorCode.DeviceProtocol }),
      );
    }
  });
});
