/** What a device speaks on its serial line; each driver declares its own. */
export interface LineSettings {
  baudRate: number;
  dataBits: 5 | 6 | 7 | 8;
  parity: 'none' | 'even' | 'odd';
  stopBits: 1 | 2;
  /** RTS/CTS hardware flow control. */
  rtscts: boolean;
  /** XON/XOFF software flow control. */
  xonxoff: boolean;
}

/** Bits one byte occupies on the wire: start bit, data bits, parity bit, stop bits. */
export function bitsPerByte(line: LineSettings): number {
  return 1 + line.dataBits + (line.parity === 'none' ? 0 : 1) + line.stopBits;
}

/** Milliseconds one byte takes on the wire (1.146 ms at 9600 8E1). */
export function byteTimeMs(line: LineSettings): number {
  return (bitsPerByte(line) * 1000) / line.baudRate;
}
