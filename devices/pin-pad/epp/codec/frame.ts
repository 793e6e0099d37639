import { ErrorCode, KioskError } from '../../../../core/errors.js';
import { ETX, FRAME_OVERHEAD_BYTES, MAX_PARAMS_BYTES, MIN_FRAME_BYTES, STX } from './constants.js';

/** One EPP frame with STX, length, check and ETX checked and stripped. */
export interface EppFrame {
  code: number;
  params: Uint8Array;
}

const NO_PARAMS = new Uint8Array(0);
const HEX_DIGITS = '0123456789ABCDEF';

/** `STX hex(LEN CODE PARAMS… CHECK) ETX`: LEN counts CODE and PARAMS, CHECK is the XOR of LEN…PARAMS. */
export function encodeFrame(code: number, params: Uint8Array = NO_PARAMS): Uint8Array {
  if (!Number.isInteger(code) || code < 0 || code > 0xff) {
    throw new KioskError(ErrorCode.DeviceBadArgument, `EPP frame code ${code} is not a byte`, {
      details: { code },
    });
  }
  if (!(params instanceof Uint8Array) || params.length > MAX_PARAMS_BYTES) {
    throw new KioskError(
      ErrorCode.DeviceBadArgument,
      `EPP frame parameters must be a Uint8Array of at most ${MAX_PARAMS_BYTES} bytes`,
      { details: { code, length: params instanceof Uint8Array ? params.length : typeof params } },
    );
  }
  const body = new Uint8Array(params.length + FRAME_OVERHEAD_BYTES);
  body[0] = params.length + 1;
  body[1] = code;
  body.set(params, 2);
  body[body.length - 1] = xorOf(body, body.length - 1);
  const frame = new Uint8Array(2 + body.length * 2);
  frame[0] = STX;
  body.forEach((byte, i) => {
    frame[1 + i * 2] = HEX_DIGITS.charCodeAt(byte >> 4);
    frame[2 + i * 2] = HEX_DIGITS.charCodeAt(byte & 0x0f);
  });
  frame[frame.length - 1] = ETX;
  return frame;
}

export type FrameBodyResult = { ok: true; frame: EppFrame } | { ok: false; reason: string };

/**
 * Checks the ASCII-hex characters between STX and ETX (`hex[0..length)`) and returns the
 * frame, or why they are not one. Never throws on content.
 */
export function decodeFrameBody(hex: Uint8Array, length = hex.length): FrameBodyResult {
  if (length % 2 !== 0) return { ok: false, reason: `odd number of hex digits (${length})` };
  if (length < 2 * FRAME_OVERHEAD_BYTES) return { ok: false, reason: `only ${length} hex digits` };
  const body = new Uint8Array(length / 2);
  for (let i = 0; i < body.length; i++) {
    const high = hexValue(hex[i * 2]!);
    const low = hexValue(hex[i * 2 + 1]!);
    if (high < 0 || low < 0) return { ok: false, reason: 'a character that is not an upper-case hex digit' };
    body[i] = (high << 4) | low;
  }
  if (body[0] !== body.length - 2) {
    return {
      ok: false,
      reason: `length byte ${body[0]} but ${body.length - 2} bytes of code and parameters`,
    };
  }
  const check = xorOf(body, body.length - 1);
  if (check !== body[body.length - 1]) {
    return { ok: false, reason: `check ${body[body.length - 1]} sent, ${check} computed` };
  }
  return { ok: true, frame: { code: body[1]!, params: body.slice(2, body.length - 1) } };
}

/** Checks that `bytes` is exactly one frame and returns it; for a stream use EppFrameParser. */
export function decodeFrame(bytes: Uint8Array): EppFrame {
  const fail = (why: string): never => {
    throw new KioskError(ErrorCode.DeviceProtocol, `not an EPP frame: ${why}`, {
      details: { length: bytes.length },
    });
  };
  if (bytes.length < MIN_FRAME_BYTES) fail(`${bytes.length} bytes is shorter than ${MIN_FRAME_BYTES}`);
  if (bytes[0] !== STX) fail('does not start with STX');
  if (bytes[bytes.length - 1] !== ETX) fail('does not end with ETX');
  const result = decodeFrameBody(bytes.subarray(1, bytes.length - 1));
  return result.ok ? result.frame : fail(result.reason);
}

/** 0–15 for `0`–`9` and `A`–`F`, −1 for anything else (lower case included: one wire form). */
export function hexValue(char: number): number {
  if (char >= 0x30 && char <= 0x39) return char - 0x30;
  if (char >= 0x41 && char <= 0x46) return char - 0x37;
  return -1;
}

function xorOf(bytes: Uint8Array, end: number): number {
  let x = 0;
  for (let i = 0; i < end; i++) x ^= bytes[i]!;
  return x;
}
