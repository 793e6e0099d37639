import type { Device, DeviceDiagnostics, DeviceEvents } from '../device.js';
import type { PrinterDocument } from './printer-document.js';
import type { PaperLevel, PrinterStatus } from './printer-status.js';

/**
 * The protocol-neutral receipt printer. ESC/POS implements it first; another printer language
 * must fit behind it unchanged, so a job is a PrinterDocument (data), never bytes.
 */

/** A warning a completed job carries: the receipt is in the customer's hand, but staff should act. */
export type PrintWarning = 'paperNearEnd';

/** A job that was printed and cut, with the printer reporting no error afterwards. */
export interface PrintOutcome {
  /** Lines of text and rules printed (QR codes and feeds are not lines). */
  linesPrinted: number;
  cut: true;
  paper: PaperLevel;
  warnings: PrintWarning[];
  /** From print() to the printer reporting no error after the cut, in milliseconds. */
  durationMs: number;
}

export interface PrinterEvents extends DeviceEvents {
  /** Every status change, with the paper level. */
  status: [PrinterStatus];
}

export interface PrinterDiagnostics extends DeviceDiagnostics {
  status: PrinterStatus;
}

export interface ReceiptPrinter extends Device<PrinterEvents> {
  readonly status: PrinterStatus;
  /**
   * Prints one receipt. Resolves once it is printed and cut and the printer reports no error
   * afterwards; rejects with a PrintFailedError (reason and how far it got) otherwise. Jobs run
   * one at a time in call order; a job that failed is never sent again by the printer: whether
   * to reprint is the caller's decision, since half of it may be in the customer's hand.
   */
  print(document: PrinterDocument): Promise<PrintOutcome>;
  diagnostics(): Promise<PrinterDiagnostics>;
}
