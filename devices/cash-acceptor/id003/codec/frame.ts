import { ErrorCode, KioskError } from '../../../../core/errors.js';
import { MAX_DATA_LENGTH, MIN_FRAME_LENGTH, SYNC } from './constants.js';
import { crc16Kermit } from './crc.js';

/** One ID-003 frame with the sync, length and CRC already checked and stripped. */
export interface Id003Frame {
  /** Command or status code: which one depends on the direction the frame travelled. */
  code: number;
  data: Uint8Array;
}

const NO_DATA = new Uint8Array(0);

/** `FC LNG code data… CRC-L CRC-H`, LNG counting every byte of the frame. */
export function encodeFrame(code: number, data: Uint8Array = NO_DATA): Uint8Array {
  if (!Number.isInteger(code) || code < 0 || code > 0xff) {
    throw new KioskError(ErrorCode.DeviceBadArgument, `ID-003 frame code ${code} is not a byte`, {
      details: { code },
    });
  }
  if (data.length > MAX_DATA_LENGTH) {
    throw new KioskError(
      ErrorCode.DeviceBadArgument,
      `ID-003 frame data of ${data.length} bytes exceeds the ${MAX_DATA_LENGTH} a one-byte length allows`,
      { details: { code, dataLength: data.length } },
    );
  }
  const length = MIN_FRAME_LENGTH + data.length;
  const frame = new Uint8Array(length);
  frame[0] = SYNC;
  frame[1] = length;
  frame[2] = code;
  frame.set(data, 3);
  const crc = crc16Kermit(frame, 0, length - 2);
  frame[length - 2] = crc & 0xff;
  frame[length - 1] = crc >>> 8;
  return frame;
}

/**
 * Checks that `bytes` is exactly one well-formed frame and returns it. For a byte stream use
 * Id003FrameParser, which resynchronises instead of throwing.
 */
export function decodeFrame(bytes: Uint8Array): Id003Frame {
  const fail = (why: string): never => {
    throw new KioskError(ErrorCode.DeviceProtocol, `not an ID-003 frame: ${why}`, {
      details: { length: bytes.length },
    });
  };
  if (bytes.length < MIN_FRAME_LENGTH) fail(`${bytes.length} bytes is shorter than ${MIN_FRAME_LENGTH}`);
  if (bytes[0] !== SYNC) fail(`first byte 0x${bytes[0]!.toString(16)} is not sync 0xfc`);
  if (bytes[1] !== bytes.length) fail(`length byte ${bytes[1]} does not match ${bytes.length} bytes given`);
  const crc = crc16Kermit(bytes, 0, bytes.length - 2);
  const sent = bytes[bytes.length - 2]! | (bytes[bytes.length - 1]! << 8);
  if (crc !== sent) fail(`CRC 0x${sent.toString(16)} sent, 0x${crc.toString(16)} computed`);
  return { code: bytes[2]!, data: bytes.slice(3, bytes.length - 2) };
}
