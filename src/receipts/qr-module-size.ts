import { ErrorCode, KioskError } from '../../core/errors.js';
import type { PaperColumns } from '../../devices/printer/printer-document.js';

/**
 * Payload bytes a model-2 symbol holds in byte mode at error level M, by version 1–40
 * (ISO/IEC 18004 table 7). Version v is 17 + 4v modules across.
 */
const BYTE_CAPACITY_M = [
  14, 26, 42, 62, 84, 106, 122, 152, 180, 213, 251, 287, 331, 362, 412, 450, 504, 560, 624, 666, 711, 779,
  857, 911, 997, 1059, 1125, 1190, 1264, 1370, 1452, 1538, 1628, 1722, 1809, 1911, 1989, 2099, 2213, 2331,
];

/** The standard font is 12 dots wide: 32 columns are the 384 dots of 58 mm paper, 48 the 576 of 80 mm. */
const DOTS_PER_COLUMN = 12;
/** Four blank modules each side, which scanners need to find the symbol. */
const QUIET_ZONE_MODULES = 8;
/** 8 dots is 1 mm at 203 dpi: larger makes a short id's symbol big without scanning better. */
const MAX_MODULE_DOTS = 8;

/** Modules across the smallest level-M symbol that holds `payloadBytes`. */
export function qrModulesAcross(payloadBytes: number): number {
  const version = BYTE_CAPACITY_M.findIndex((capacity) => capacity >= payloadBytes) + 1;
  if (version === 0) {
    throw new KioskError(
      ErrorCode.DeviceBadArgument,
      `receipt: a QR payload of ${payloadBytes} bytes is more than a level-M symbol holds (${BYTE_CAPACITY_M.at(-1)})`,
      { details: { payloadBytes } },
    );
  }
  return 17 + 4 * version;
}

/** The largest module size, in dots, at which the symbol and its quiet zone fit across the paper. */
export function qrModuleSize(payload: string, columns: PaperColumns): number {
  const modules = qrModulesAcross(new TextEncoder().encode(payload).length) + QUIET_ZONE_MODULES;
  return Math.max(1, Math.min(MAX_MODULE_DOTS, Math.floor((columns * DOTS_PER_COLUMN) / modules)));
}
