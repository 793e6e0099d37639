/**
 * ESC/POS command bytes, named once. Values are from the Epson ESC/POS reference as summarised
 * in PROTOCOLS.md; docs/devices/escpos.md lists which printers interpret them how.
 */
export const LF = 0x0a;
export const ESC = 0x1b;
export const FS = 0x1c;
export const GS = 0x1d;
export const DLE = 0x10;
export const EOT = 0x04;
export const XON = 0x11;
export const XOFF = 0x13;

/** `ESC @`: clear the print buffer and reset every mode to its power-on value. */
export const INITIALIZE = Uint8Array.of(ESC, 0x40);
/** `FS &`: bytes ≥ 0x81 start a two-byte GB character until `FS .`. */
export const ENTER_CHINESE_MODE = Uint8Array.of(FS, 0x26);
export const LEAVE_CHINESE_MODE = Uint8Array.of(FS, 0x2e);

/** `ESC a n`: 0 left, 1 center, 2 right; applies to the line being started. */
export const SELECT_JUSTIFICATION = [ESC, 0x61] as const;
/** `ESC E n`: emphasis (bold) off with 0, on with 1. */
export const SELECT_EMPHASIS = [ESC, 0x45] as const;
/** `GS ! n`: high nibble width multiplier − 1, low nibble height multiplier − 1. */
export const SELECT_CHARACTER_SIZE = [GS, 0x21] as const;
export const CHARACTER_SIZE_NORMAL = 0x00;
export const CHARACTER_SIZE_DOUBLE = 0x11;
/** `ESC d n`: print the buffer and feed n lines. */
export const FEED_LINES = [ESC, 0x64] as const;
/**
 * `GS V 66 n` (function B, partial cut): feed to the cutter plus n motion units, then cut.
 * Function B feeds first, so the last line is not left under the head; 65 would be a full cut,
 * which many kiosk printers do not have.
 */
export const FEED_AND_CUT = [GS, 0x56, 0x42] as const;
/** `GS ( k`: the 2-D symbol command family (function numbers in `qr-code.ts`). */
export const SYMBOL_COMMAND = [GS, 0x28, 0x6b] as const;
/** `DLE EOT n`: transmit one real-time status byte about area n (1–4). */
export const REALTIME_STATUS = [DLE, EOT] as const;
/**
 * `DLE DC4 8 1 3 20 1 6 2 8` (Epson, Citizen): clear the receive and print buffers, executed on
 * arrival like `DLE EOT`. What a printer still holds of a failed receipt would otherwise print
 * once the fault is cleared. The printer answers `37 25 00`, which the inbound parser drops.
 */
export const CLEAR_BUFFERS = Uint8Array.of(DLE, 0x14, 0x08, 0x01, 0x03, 0x14, 0x01, 0x06, 0x02, 0x08);
/** `GS a n`: Automatic Status Back for the areas whose bits are set in n. */
export const ENABLE_AUTOMATIC_STATUS_BACK = [GS, 0x61] as const;

/** `GS a n` bits: which changes make the printer push an ASB message. */
export const AsbEnable = {
  drawer: 0x01,
  onlineOffline: 0x02,
  error: 0x04,
  rollPaper: 0x08,
  panelSwitch: 0x40,
} as const;

export function realtimeStatusRequest(query: 1 | 2 | 3 | 4): Uint8Array {
  return Uint8Array.of(...REALTIME_STATUS, query);
}

export function enableAutomaticStatusBack(bits: number): Uint8Array {
  return Uint8Array.of(...ENABLE_AUTOMATIC_STATUS_BACK, bits & 0xff);
}
