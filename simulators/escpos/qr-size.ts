import { qrHeightDots } from '../../devices/printer/escpos/codec/index.js';

export { qrModules } from '../../devices/printer/escpos/codec/index.js';

type QrErrorLevel = Parameters<typeof qrHeightDots>[1];

/** 203 dpi. */
export const DOTS_PER_MM = 8;

/**
 * Paper the symbol takes, quiet zone included, so printing it takes paper and time like the
 * real thing; the symbol size itself is the codec's (the driver estimates with the same table).
 */
export function qrHeightMm(payloadBytes: number, level: QrErrorLevel, moduleSize: number): number {
  return qrHeightDots(payloadBytes, level, moduleSize) / DOTS_PER_MM;
}
