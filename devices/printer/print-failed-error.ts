import { ErrorCode, KioskError } from '../../core/errors.js';
import type { PrintFailure, PrintFailureReason } from './printer-status.js';

/** How a caller that branches on codes alone sees each reason. */
const CODE_BY_REASON: Readonly<Record<PrintFailureReason, ErrorCode>> = {
  paperOut: ErrorCode.DeviceBadState,
  coverOpen: ErrorCode.DeviceBadState,
  cutterJam: ErrorCode.DeviceBadState,
  offline: ErrorCode.DeviceOffline,
  timeout: ErrorCode.DeviceTimeout,
};

const WORDS: Readonly<Record<PrintFailureReason, string>> = {
  paperOut: 'the paper ran out',
  coverOpen: 'the cover was opened',
  cutterJam: 'the cutter jammed',
  offline: 'the printer went offline',
  timeout: 'the printer made no progress in time',
};

/** A print job that did not complete: why, and how far it got. */
export class PrintFailedError extends KioskError {
  readonly failure: Readonly<PrintFailure>;

  constructor(printer: string, failure: PrintFailure, cause?: unknown) {
    const cut = failure.cut ? ', cut' : ', not cut';
    super(
      CODE_BY_REASON[failure.reason],
      `print on ${printer} failed: ${WORDS[failure.reason]} after ${failure.linesPrinted} line${failure.linesPrinted === 1 ? '' : 's'}${cut}`,
      { details: { device: printer, ...failure }, ...(cause === undefined ? {} : { cause }) },
    );
    this.failure = Object.freeze({ ...failure });
  }
}

export function isPrintFailedError(error: unknown): error is PrintFailedError {
  return error instanceof PrintFailedError;
}
