import type { DeviceStatus } from '../device-status.js';

export const PAPER_LEVELS = ['ok', 'nearEnd', 'out'] as const;
export type PaperLevel = (typeof PAPER_LEVELS)[number];

/**
 * What a printer's sensors say, in protocol-neutral words. Every protocol reports some subset
 * at a time (an ESC/POS `DLE EOT 4` reply speaks only of paper), so decoders return a
 * `Partial<PrinterCondition>` and the driver merges it into what it knew.
 */
export interface PrinterCondition {
  /** The printer refuses to print (cover open, paper out, error, or feeding by button). */
  offline: boolean;
  coverOpen: boolean;
  paper: PaperLevel;
  /** The autocutter failed (jammed paper or a blade not back home). */
  cutterError: boolean;
  /** A head or power fault: only a power cycle or a technician clears it. */
  unrecoverableError: boolean;
  /** An error the printer clears by itself (e.g. head too hot), printing resumes. */
  autoRecoverableError: boolean;
  /** Paper is being fed with the panel button. */
  feedingByButton: boolean;
}

export const IDLE_PRINTER_CONDITION: Readonly<PrinterCondition> = Object.freeze({
  offline: false,
  coverOpen: false,
  paper: 'ok',
  cutterError: false,
  unrecoverableError: false,
  autoRecoverableError: false,
  feedingByButton: false,
});

/** Why a print job failed; `timeout` is the driver's own verdict when the printer stops answering. */
export const PRINT_FAILURE_REASONS = ['paperOut', 'coverOpen', 'cutterJam', 'offline', 'timeout'] as const;
export type PrintFailureReason = (typeof PRINT_FAILURE_REASONS)[number];

/** How far a failed job got, so a half-printed receipt is reported rather than printed twice. */
export interface PrintProgress {
  /**
   * Text and rule lines the printer took before it reported the failure. ESC/POS confirms no
   * printed line, so this is what the driver can prove was handed over: the paper holds at most
   * this many; lines taken and not printed (paper out mid-buffer) print once the fault is cleared.
   */
  linesPrinted: number;
  /** Whether the cut happened: a cut receipt is in the customer's hand. */
  cut: boolean;
}

export interface PrintFailure extends PrintProgress {
  reason: PrintFailureReason;
}

export interface PrinterStatus extends DeviceStatus {
  paper: PaperLevel;
}

/**
 * Translates sensor facts into the DESIGN.md vocabulary. The most serious fact wins: a fault
 * only a technician clears outranks one staff can clear, which outranks one that clears itself.
 * Paper near end is a warning, not an error: the printer stays online.
 */
export function printerStatusOf(condition: PrinterCondition): PrinterStatus {
  const paper = condition.paper;
  if (condition.unrecoverableError) {
    return { state: 'hardwareError', action: 'maintenance', reason: 'unrecoverableError', paper };
  }
  if (condition.cutterError) return { state: 'hardwareError', action: 'clear', reason: 'cutterJam', paper };
  if (condition.coverOpen) return { state: 'userError', action: 'clear', reason: 'coverOpen', paper };
  if (paper === 'out') return { state: 'userError', action: 'clear', reason: 'paperOut', paper };
  if (condition.autoRecoverableError) {
    return { state: 'hardwareError', action: 'suspend', reason: 'autoRecoverableError', paper };
  }
  if (condition.feedingByButton) return { state: 'deviceBusy', reason: 'feedingByButton', paper };
  if (condition.offline) return { state: 'offline', reason: 'offline', paper };
  return { state: 'online', paper };
}
