import { ErrorCode, KioskError } from '../../../../core/errors.js';

/** CRC-16/KERMIT: poly 0x1021 reflected (0x8408), init 0, no final xor. */
const TABLE = (() => {
  const table = new Uint16Array(256);
  for (let n = 0; n < 256; n++) {
    let crc = n;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x8408 : crc >>> 1;
    table[n] = crc;
  }
  return table;
})();

/**
 * CRC-16/KERMIT of `bytes[start, end)`; ID-003 sends it low byte first.
 * KERMIT("123456789") = 0x2189.
 */
export function crc16Kermit(bytes: Uint8Array, start = 0, end: number = bytes.length): number {
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start || end > bytes.length) {
    throw new KioskError(
      ErrorCode.DeviceBadArgument,
      `crc16Kermit range [${start}, ${end}) is not inside a buffer of ${bytes.length} bytes`,
      { details: { start, end, length: bytes.length } },
    );
  }
  let crc = 0;
  for (let i = start; i < end; i++) crc = (crc >>> 8) ^ TABLE[(crc ^ bytes[i]!) & 0xff]!;
  return crc;
}
