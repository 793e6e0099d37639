import { AsbEnable } from '../../devices/printer/escpos/codec/index.js';

/**
 * What the printer's sensors and error latches say at one instant. `offline` is derived by
 * the printer (see `PrinterUnit.sensors`), never set alone.
 */
export interface PrinterSensors {
  offline: boolean;
  coverOpen: boolean;
  paperNearEnd: boolean;
  paperEnd: boolean;
  cutterError: boolean;
  /** Paper is being fed with the panel's FEED button (the printer is offline meanwhile). */
  feedingByButton: boolean;
  /** Offline until the host or a technician recovers it (after an autocutter error). */
  waitingForRecovery: boolean;
}

/*
 * Bit layout from Epson's ESC/POS reference (TM-T88 class), as summarised in PROTOCOLS.md.
 * The codec's status-bytes.ts decodes the same bits; these encoders are the printer's side.
 */
const REPLY_FIXED = 0x12; // 0xx1xx10
const ASB_FIRST_FIXED = 0x10; // 0xx1xx00

const flag = (on: boolean, mask: number): number => (on ? mask : 0);

/** The one byte a printer sends for `DLE EOT n`. */
export function realtimeStatusByte(query: 1 | 2 | 3 | 4, s: PrinterSensors): number {
  switch (query) {
    case 1:
      return (
        REPLY_FIXED | flag(s.offline, 0x08) | flag(s.waitingForRecovery, 0x20) | flag(s.feedingByButton, 0x40)
      );
    case 2:
      return (
        REPLY_FIXED |
        flag(s.coverOpen, 0x04) |
        flag(s.feedingByButton, 0x08) |
        flag(s.paperEnd, 0x20) |
        flag(s.cutterError, 0x40)
      );
    case 3:
      return REPLY_FIXED | flag(s.cutterError, 0x08);
    case 4:
      return REPLY_FIXED | flag(s.paperNearEnd, 0x0c) | flag(s.paperEnd, 0x60);
  }
}

/** The four bytes of an Automatic Status Back message. */
export function asbMessage(s: PrinterSensors): Uint8Array {
  return Uint8Array.of(
    ASB_FIRST_FIXED | flag(s.offline, 0x08) | flag(s.coverOpen, 0x20) | flag(s.feedingByButton, 0x40),
    flag(s.cutterError, 0x08),
    flag(s.paperNearEnd, 0x03) | flag(s.paperEnd, 0x0c),
    0x00,
  );
}

/**
 * The part of an ASB message the host asked to hear about with `GS a n`: a change outside it
 * sends nothing, a change inside it sends the whole current status (Epson: "each status
 * transmission represents the current status").
 */
export function asbWatchedBits(message: Uint8Array, enabled: number): number {
  const [first = 0, errors = 0, paper = 0] = message;
  let watched = 0;
  if (enabled & AsbEnable.drawer) watched |= first & 0x04;
  if (enabled & AsbEnable.onlineOffline) watched |= first & 0x28;
  if (enabled & AsbEnable.panelSwitch) watched |= first & 0x40;
  if (enabled & AsbEnable.error) watched |= errors << 8;
  if (enabled & AsbEnable.rollPaper) watched |= paper << 16;
  return watched;
}
