import type { PrintedItem } from './codec/index.js';
import { PrintStreamDecoder, qrHeightDots } from './codec/index.js';

/**
 * How long a printer's mechanism needs for what it is sent. ESC/POS confirms no printed line and
 * no cut, so the driver knows a job is done when the paper must have moved as far as the job
 * asks, at the printer's speed, and the printer still reports no error. The geometry is the
 * ESC/POS defaults: 203 dpi, a 30-dot line pitch (ESC 2), and `GS V 66` feeding head to cutter.
 */
export interface MechanismGeometry {
  printSpeedMmPerSecond: number;
  /** Default 3.75 mm (30 dots at 8 dots/mm); double size takes twice. */
  lineHeightMm?: number;
  /** Head to cutter, fed before the blade moves (default 14 mm). */
  cutterDistanceMm?: number;
  /** The blade's stroke there and back (default 300 ms). */
  cutMs?: number;
}

const DOTS_PER_MM = 8;
const DEFAULT_LINE_HEIGHT_MM = 3.75;
const DEFAULT_CUTTER_DISTANCE_MM = 14;
const DEFAULT_CUT_MS = 300;

/** The mechanism time of one printed item; 0 for what moves no paper. */
function itemMs(item: PrintedItem, g: Required<MechanismGeometry>): number {
  const ms = (mm: number): number => (mm * 1000) / g.printSpeedMmPerSecond;
  switch (item.kind) {
    case 'line':
      return ms(g.lineHeightMm * (item.size === 'double' ? 2 : 1));
    case 'feed':
      return ms(g.lineHeightMm * item.lines);
    case 'qr':
      return ms(
        qrHeightDots(new TextEncoder().encode(item.payload).length, item.errorLevel, item.moduleSize) /
          DOTS_PER_MM,
      );
    case 'cut':
      return ms(g.cutterDistanceMm) + g.cutMs;
    default:
      return 0;
  }
}

/**
 * The mechanism time each chunk of a job adds, chunk by chunk: what the printer does with a
 * chunk's bytes is what the codec's print-stream decoder reads from them.
 */
export function mechanismMsPerChunk(
  chunks: readonly Uint8Array[],
  geometry: MechanismGeometry,
  columns: number,
): number[] {
  const g: Required<MechanismGeometry> = {
    printSpeedMmPerSecond: geometry.printSpeedMmPerSecond,
    lineHeightMm: geometry.lineHeightMm ?? DEFAULT_LINE_HEIGHT_MM,
    cutterDistanceMm: geometry.cutterDistanceMm ?? DEFAULT_CUTTER_DISTANCE_MM,
    cutMs: geometry.cutMs ?? DEFAULT_CUT_MS,
  };
  const decoder = new PrintStreamDecoder({ columns });
  return chunks.map((chunk) => decoder.push(chunk).reduce((sum, item) => sum + itemMs(item, g), 0));
}
