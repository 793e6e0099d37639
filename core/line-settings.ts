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

const DATA_BITS = new Set([5, 6, 7, 8]);
const PARITIES = new Set(['none', 'even', 'odd']);
const STOP_BITS = new Set([1, 2]);

/**
 * Checks line settings that come from config or a caller before they reach a port.
 * Returns the first problem as text naming the field, or undefined when the line is usable;
 * the caller wraps it in the KioskError of its own area.
 */
export function lineSettingsProblem(line: unknown): string | undefined {
  if (typeof line !== 'object' || line === null) return 'line must be an object';
  const l = line as Record<string, unknown>;
  if (typeof l['baudRate'] !== 'number' || !Number.isInteger(l['baudRate']) || l['baudRate'] <= 0) {
    return `line.baudRate must be a positive integer, got ${String(l['baudRate'])}`;
  }
  if (!DATA_BITS.has(l['dataBits'] as number))
    return `line.dataBits must be 5, 6, 7 or 8, got ${String(l['dataBits'])}`;
  if (!PARITIES.has(l['parity'] as string)) {
    return `line.parity must be 'none', 'even' or 'odd', got ${String(l['parity'])}`;
  }
  if (!STOP_BITS.has(l['stopBits'] as number))
    return `line.stopBits must be 1 or 2, got ${String(l['stopBits'])}`;
  if (typeof l['rtscts'] !== 'boolean') return 'line.rtscts must be a boolean';
  if (typeof l['xonxoff'] !== 'boolean') return 'line.xonxoff must be a boolean';
  return undefined;
}
