import { ErrorCode, KioskError } from '../../core/errors.js';
import type { DeviceStatus } from '../../devices/device-status.js';
import { isPrintFailedError } from '../../devices/printer/print-failed-error.js';
import type { PrinterDocument } from '../../devices/printer/printer-document.js';
import type { PaperLevel, PrintFailureReason } from '../../devices/printer/printer-status.js';
import type { Language } from '../i18n/messages.js';
import type { Journal } from '../journal/journal.js';
import type { PaymentRecord } from '../journal/journal-types.js';
import type { PrintOutcome, ReceiptRecord } from '../journal/receipts.js';
import type { Logger } from '../log.js';
import type { ReceiptsConfig } from './receipt-config.js';
import { customerMayReprint } from './reprint-window.js';

/** What printing receipts needs of a printer, whatever its protocol. */
export interface ReceiptOutput {
  readonly status: DeviceStatus & { paper?: PaperLevel };
  /** Resolves once printed and cut; rejects with the reason and how far it got. */
  print(document: PrinterDocument): Promise<unknown>;
}

export type ReceiptDocumentBuilder = (input: {
  payment: PaymentRecord;
  language: Language;
  /** When this print is a reprint, its time: the paper says so. */
  reprintedAt: Date | null;
}) => PrinterDocument;

export interface ReceiptPrintingOptions {
  journal: Journal;
  /** The running printer, or undefined when none is configured (or it failed to start). */
  printer: () => ReceiptOutput | undefined;
  document: ReceiptDocumentBuilder;
  /** How long after the payment the customer may ask for a reprint from the screen. */
  reprintWindow: Pick<ReceiptsConfig, 'reprintWindowSeconds'>;
  /** Prints a customer may have of one payment, the first included. */
  maxCustomerPrints: number;
  logger: Logger;
  clock?: () => Date;
}

export interface PrintRequest {
  paymentId: string;
  language: Language;
  reprint: boolean;
  /** Who asked: `kioskd` for the print after a top-up, `customer`, or a technician's id. */
  actor: string;
}

/** States in which a printer takes a job; paper near end prints, with its warning. */
const PRINTABLE: ReadonlySet<DeviceStatus['state']> = new Set(['online']);

/**
 * Prints payments' receipts, one job at a time, with the journal as the record: the print is
 * journaled before the first byte and settled with the printer's verdict, so a receipt is
 * never printed twice unasked, and a failed one can be printed again from the journal.
 * A printer fault never reaches the payment: it is already committed when a receipt prints.
 */
export class ReceiptPrinting {
  readonly #options: ReceiptPrintingOptions;
  readonly #clock: () => Date;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: ReceiptPrintingOptions) {
    this.#options = options;
    this.#clock = options.clock ?? (() => new Date());
  }

  /** Whether a receipt would print now: the customer is told before paying when it would not. */
  available(): boolean {
    const printer = this.#options.printer();
    return printer !== undefined && PRINTABLE.has(printer.status.state) && printer.status.paper !== 'out';
  }

  /** Prints (or reprints) a payment's receipt; never throws for a printer fault, only reports it. */
  print(request: PrintRequest): Promise<ReceiptRecord> {
    const job = this.#queue.then(() => this.#print(request));
    this.#queue = job.catch(() => undefined);
    return job;
  }

  /**
   * A customer's reprint from the screen: only within the window after the payment, and only a
   * few times, so the screen cannot be used to empty the roll.
   */
  reprintForCustomer(paymentId: string, language: Language): Promise<ReceiptRecord> {
    const { journal, reprintWindow, maxCustomerPrints } = this.#options;
    const payment = journal.payments.get(paymentId);
    if (!customerMayReprint(payment.createdAt, this.#clock().getTime(), reprintWindow)) {
      throw new KioskError(
        ErrorCode.ApiConflict,
        `the reprint window of payment ${paymentId} has closed (${reprintWindow.reprintWindowSeconds} s)`,
        { details: { messageCode: 'reprintWindowClosed', paymentId } },
      );
    }
    const receipt = journal.receipts.get(paymentId);
    if (receipt !== null && receipt.prints >= maxCustomerPrints) {
      throw new KioskError(
        ErrorCode.ApiConflict,
        `payment ${paymentId}'s receipt was printed ${receipt.prints} times already`,
        { details: { messageCode: 'reprintLimit', paymentId, prints: receipt.prints } },
      );
    }
    return this.print({ paymentId, language, reprint: receipt !== null, actor: 'customer' });
  }

  async #print(request: PrintRequest): Promise<ReceiptRecord> {
    const { journal, logger } = this.#options;
    const payment = journal.payments.get(request.paymentId);
    const printer = this.#options.printer();
    const begun = journal.receipts.begin({
      paymentId: payment.paymentId,
      language: request.language,
      reprint: request.reprint,
      actor: request.actor,
    });
    let outcome: PrintOutcome;
    if (printer === undefined) {
      outcome = { printed: false, reason: 'noPrinter', linesPrinted: 0, cut: false };
    } else {
      try {
        const document = this.#options.document({
          payment,
          language: request.language,
          reprintedAt: request.reprint ? new Date(begun.updatedAt) : null,
        });
        await printer.print(document);
        outcome = { printed: true };
      } catch (error) {
        outcome = { printed: false, ...printFailureOf(error) };
        logger.warn({ err: error, paymentId: payment.paymentId, outcome }, 'receipt not printed');
      }
    }
    return journal.receipts.finish(payment.paymentId, outcome);
  }
}

/** The reason and progress a printer's refusal carries; any other error is reported as `error`. */
export function printFailureOf(error: unknown): {
  reason: PrintFailureReason | 'error';
  linesPrinted: number | null;
  cut: boolean | null;
} {
  if (!isPrintFailedError(error)) return { reason: 'error', linesPrinted: null, cut: null };
  const { reason, linesPrinted, cut } = error.failure;
  return { reason, linesPrinted, cut };
}
