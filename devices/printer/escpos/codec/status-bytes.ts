import { ErrorCode, KioskError } from '../../../../core/errors.js';
import type { PaperLevel, PrinterCondition } from '../../printer-status.js';

/**
 * The fixed bits that tell the printer's messages apart (PROTOCOLS.md). Bit 7 is 0 in all of
 * them; bit 4 is 1 in a first ASB byte and in a `DLE EOT` reply and 0 in ASB bytes 2–4; bits
 * 0–1 are `00` in a first ASB byte and `10` in a reply. XON (`11`) and XOFF (`13`) have bit 4
 * set and bit 0 set, so they are neither.
 */
const HEAD_MASK = 0x93;
const ASB_FIRST = 0x10;
const REALTIME_REPLY = 0x12;
const ASB_REST_MASK = 0x90;

export const ASB_LENGTH = 4;
export const STATUS_QUERIES = [1, 2, 3, 4] as const;
export type StatusQuery = (typeof STATUS_QUERIES)[number];

export function isAsbFirstByte(byte: number): boolean {
  return (byte & HEAD_MASK) === ASB_FIRST;
}

export function isAsbFollowingByte(byte: number): boolean {
  return (byte & ASB_REST_MASK) === 0;
}

export function isRealtimeReply(byte: number): boolean {
  return (byte & HEAD_MASK) === REALTIME_REPLY;
}

const bit = (byte: number, mask: number): boolean => (byte & mask) !== 0;

function paperLevel(endBits: boolean, nearEndBits: boolean): PaperLevel {
  if (endBits) return 'out';
  return nearEndBits ? 'nearEnd' : 'ok';
}

/**
 * What one `DLE EOT n` reply says. Each query covers part of the condition, so the result is
 * partial: n=1 online, n=2 offline causes, n=3 errors, n=4 paper.
 */
export function decodeRealtimeStatus(query: StatusQuery, byte: number): Partial<PrinterCondition> {
  if (!Number.isInteger(byte) || byte < 0 || byte > 0xff || !isRealtimeReply(byte)) {
    throw new KioskError(
      ErrorCode.DeviceProtocol,
      `0x${Number(byte).toString(16)} is not a DLE EOT reply (fixed bits 0xx1xx10)`,
      { details: { byte, query } },
    );
  }
  switch (query) {
    case 1:
      return { offline: bit(byte, 0x08) };
    case 2:
      return {
        coverOpen: bit(byte, 0x04),
        feedingByButton: bit(byte, 0x08),
        // Bit 5 says printing stopped at the paper end; without it n=2 says nothing about paper.
        ...(bit(byte, 0x20) ? { paper: 'out' as const } : {}),
      };
    case 3:
      return {
        cutterError: bit(byte, 0x08),
        unrecoverableError: bit(byte, 0x20),
        autoRecoverableError: bit(byte, 0x40),
      };
    case 4:
      return { paper: paperLevel(bit(byte, 0x60), bit(byte, 0x0c)) };
    default:
      throw new KioskError(
        ErrorCode.DeviceBadArgument,
        `DLE EOT query must be 1 to 4, got ${String(query)}`,
        {
          details: { query },
        },
      );
  }
}

/** The whole condition from one 4-byte Automatic Status Back message. */
export function decodeAsb(message: Uint8Array): PrinterCondition {
  if (
    !(message instanceof Uint8Array) ||
    message.length !== ASB_LENGTH ||
    !isAsbFirstByte(message[0]!) ||
    !message.subarray(1).every(isAsbFollowingByte)
  ) {
    throw new KioskError(
      ErrorCode.DeviceProtocol,
      'not an ASB message: want 4 bytes, the first 0xx1xx00 and the rest 0xx0xxxx',
      {
        details: { message: message instanceof Uint8Array ? Buffer.from(message).toString('hex') : message },
      },
    );
  }
  const [first, errors, paper] = [message[0]!, message[1]!, message[2]!];
  return {
    offline: bit(first, 0x08),
    coverOpen: bit(first, 0x20),
    feedingByButton: bit(first, 0x40),
    cutterError: bit(errors, 0x08),
    unrecoverableError: bit(errors, 0x20),
    autoRecoverableError: bit(errors, 0x40),
    paper: paperLevel(bit(paper, 0x0c), bit(paper, 0x03)),
  };
}
