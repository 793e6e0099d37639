import type { LineSettings } from '../../core/line-settings.js';
import { parseControl } from '../harness/control-parse.js';
import {
  DEFAULT_BUFFER_BYTES,
  DEFAULT_MAX_RECEIPTS,
  DEFAULT_NEAR_END_MM,
  DEFAULT_PAPER_LENGTH_MM,
  DEFAULT_XOFF_AT_FREE,
  DEFAULT_XON_AT_FREE,
  escposOptionsSchema,
} from './options-schema.js';
import { type EscPosTiming, resolveTiming } from './timing.js';

export interface EscPosModelConfig {
  /** The device end's port settings (see resolveEscPosOptions on why xonxoff is false there). */
  line: LineSettings;
  /**
   * How the printer says "stop". The simulated line has no modem lines (the in-process
   * binding reports CTS always on), so with `rtscts` the buffer fills and overflows unannounced.
   */
  flowControl: 'xonxoff' | 'rtscts';
  columns: 32 | 42 | 48;
  chineseModeAtInit: boolean;
  bufferBytes: number;
  xoffAtFree: number;
  xonAtFree: number;
  paperLengthMm: number;
  nearEndMm: number;
  maxReceipts: number;
  timing: EscPosTiming;
  seed: number;
}

/** Untrusted factory options → a complete config; a KioskError SimBadControl names the bad field. */
export function resolveEscPosOptions(options: unknown = {}): EscPosModelConfig {
  const o = parseControl(escposOptionsSchema, options ?? {}, 'escpos simulator options');
  const flow = o.flowControl ?? 'xonxoff';
  return {
    flowControl: flow,
    line: Object.freeze({
      baudRate: o.baudRate ?? 9600,
      dataBits: 8,
      parity: 'none',
      stopBits: 1,
      rtscts: flow === 'rtscts',
      // The printer's firmware (this model) sends XON/XOFF itself and never obeys them. A tty
      // at the device end with IXON would swallow 0x11 and 0x13 in the host's data, and
      // `GS ! 0x11` (double size) is such data: the port there must pass every byte.
      xonxoff: false,
    }),
    columns: o.columns ?? 48,
    chineseModeAtInit: o.chineseModeAtInit ?? false,
    bufferBytes: o.bufferBytes ?? DEFAULT_BUFFER_BYTES,
    xoffAtFree: o.xoffAtFree ?? DEFAULT_XOFF_AT_FREE,
    xonAtFree: o.xonAtFree ?? DEFAULT_XON_AT_FREE,
    paperLengthMm: o.paperLengthMm ?? DEFAULT_PAPER_LENGTH_MM,
    nearEndMm: o.nearEndMm ?? DEFAULT_NEAR_END_MM,
    maxReceipts: o.maxReceipts ?? DEFAULT_MAX_RECEIPTS,
    timing: resolveTiming(o.timingPreset ?? 'realistic', o.timing),
    seed: o.seed ?? 1,
  };
}
