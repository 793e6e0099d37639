import { ErrorCode, KioskError } from '../../../../core/errors.js';
import type { QrErrorLevel } from '../../printer-document.js';
import { SYMBOL_COMMAND } from './commands.js';

/** `GS ( k` with cn = 49 (0x31): QR code. Function numbers are the fn byte after cn. */
const QR = 0x31;
const FN_SELECT_MODEL = 0x41;
const FN_MODULE_SIZE = 0x43;
const FN_ERROR_LEVEL = 0x45;
const FN_STORE = 0x50;
const FN_PRINT = 0x51;
const MODEL_2 = 0x32;

export const QR_MODULE_SIZE_MIN = 1;
export const QR_MODULE_SIZE_MAX = 16;

export const QR_ERROR_LEVEL_BYTE: Readonly<Record<QrErrorLevel, number>> = {
  L: 0x30,
  M: 0x31,
  Q: 0x32,
  H: 0x33,
};

/**
 * Most payload bytes a model-2 symbol (version 40, byte mode) holds at each error level
 * (ISO/IEC 18004 table 7). Above this the printer prints nothing, silently.
 */
export const QR_MAX_PAYLOAD_BYTES: Readonly<Record<QrErrorLevel, number>> = {
  L: 2953,
  M: 2331,
  Q: 1663,
  H: 1273,
};

function symbolCommand(...parameters: number[]): number[] {
  return [...SYMBOL_COMMAND, parameters.length & 0xff, parameters.length >> 8, ...parameters];
}

/**
 * The five commands that print one QR code: model 2, module size, error level, store the
 * payload (UTF-8; pL pH count the payload plus cn, fn and m), print the stored symbol.
 */
export function encodeQrCode(payload: string, moduleSize: number, errorLevel: QrErrorLevel): Uint8Array {
  if (!Number.isInteger(moduleSize) || moduleSize < QR_MODULE_SIZE_MIN || moduleSize > QR_MODULE_SIZE_MAX) {
    throw new KioskError(
      ErrorCode.DeviceBadArgument,
      `QR module size must be an integer from ${QR_MODULE_SIZE_MIN} to ${QR_MODULE_SIZE_MAX} dots, got ${moduleSize}`,
      { details: { moduleSize } },
    );
  }
  const level = QR_ERROR_LEVEL_BYTE[errorLevel];
  if (level === undefined) {
    throw new KioskError(
      ErrorCode.DeviceBadArgument,
      `QR error level must be L, M, Q or H, got ${errorLevel}`,
      {
        details: { errorLevel },
      },
    );
  }
  if (/\p{Surrogate}/u.test(payload)) {
    throw new KioskError(
      ErrorCode.DeviceBadArgument,
      'QR payload holds a lone surrogate: it is not text UTF-8 can carry',
      { details: { errorLevel } },
    );
  }
  const data = new TextEncoder().encode(payload);
  if (data.length === 0) {
    throw new KioskError(ErrorCode.DeviceBadArgument, 'QR payload is empty', { details: { errorLevel } });
  }
  const max = QR_MAX_PAYLOAD_BYTES[errorLevel];
  if (data.length > max) {
    throw new KioskError(
      ErrorCode.DeviceBadArgument,
      `QR payload is ${data.length} bytes; a model-2 symbol at level ${errorLevel} holds at most ${max}`,
      { details: { bytes: data.length, max, errorLevel } },
    );
  }
  return Uint8Array.from([
    ...symbolCommand(QR, FN_SELECT_MODEL, MODEL_2, 0x00),
    ...symbolCommand(QR, FN_MODULE_SIZE, moduleSize),
    ...symbolCommand(QR, FN_ERROR_LEVEL, level),
    ...symbolCommand(QR, FN_STORE, 0x30, ...data),
    ...symbolCommand(QR, FN_PRINT, 0x30),
  ]);
}
