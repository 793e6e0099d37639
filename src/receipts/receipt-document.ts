import { ErrorCode, KioskError } from '../../core/errors.js';
import {
  PAPER_COLUMNS,
  type PaperColumns,
  type PrinterBlock,
  type PrinterDocument,
} from '../../devices/printer/printer-document.js';
import { DEFAULT_LANGUAGE, LANGUAGES, type Language } from '../i18n/messages.js';
import type { PaymentKind, PaymentRecord } from '../journal/journal-types.js';
import { maskAccount } from '../log.js';
import { localTimeText } from './local-time-text.js';
import { faceValueText, type MoneyUnits, moneyText } from './money-text.js';
import { qrModuleSize } from './qr-module-size.js';
import { fillQrUrlTemplate, type ReceiptsConfig } from './receipt-config.js';
import { heading, labelled, lines } from './receipt-layout.js';
import { RECEIPT_WORDS, REPRINT_MARK } from './receipt-words.js';

/** The payment as the journal holds it; a whole PaymentRecord will do. */
export type ReceiptPayment = Pick<
  PaymentRecord,
  'paymentId' | 'account' | 'amount' | 'currency' | 'notes' | 'kind' | 'createdAt'
>;

export interface CustomerReceiptInput {
  payment: ReceiptPayment;
  kioskId: string;
  config: ReceiptsConfig;
  /** The language of the transaction; zh-CN when not given. */
  language?: Language;
  columns: PaperColumns;
  /** The config's `currency.minorUnitsPerMajor`; 100 (fen per yuan) when not given. */
  minorUnitsPerMajor?: number;
  /** Set on a reprint: when it is printed (ISO 8601), printed beside 重印 REPRINT. */
  reprintedAt?: string;
}

/** More note lines than this is no cash top-up (config allows 200 notes, of six values). */
export const MAX_NOTE_LINES = 32;
export const MAX_NOTES_PER_LINE = 1000;
/** Payment ids are ULIDs; the journal stores up to 64 characters. */
const PAYMENT_ID = /^[\x21-\x7e]{1,64}$/;
const KIOSK_ID = /^[\x21-\x7e]{1,64}$/;
const MAX_ACCOUNT_LENGTH = 64;
const FEED_BEFORE_CUT = 2;

const RULE: PrinterBlock = { kind: 'rule' };

function bad(field: string, message: string, value: unknown): KioskError {
  const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 64)) : String(value);
  return new KioskError(ErrorCode.DeviceBadArgument, `receipt: ${field} ${message}, got ${shown}`, {
    details: { field },
  });
}

function isPositiveInteger(value: unknown, max: number): value is number {
  return Number.isSafeInteger(value) && (value as number) > 0 && (value as number) <= max;
}

/** The payment checked so nothing on the receipt is made up or fails to add up. */
function checkedPayment(payment: ReceiptPayment): ReceiptPayment & { account: string; kind: PaymentKind } {
  if (typeof payment !== 'object' || payment === null) throw bad('payment', 'must be an object', payment);
  const { paymentId, account, amount, currency, notes, kind } = payment;
  if (typeof paymentId !== 'string' || !PAYMENT_ID.test(paymentId)) {
    throw bad('payment.paymentId', 'must be 1 to 64 printable ASCII characters', paymentId);
  }
  if (typeof account !== 'string' || account.length === 0 || account.length > MAX_ACCOUNT_LENGTH) {
    throw bad('payment.account', `must be an account of 1 to ${MAX_ACCOUNT_LENGTH} characters`, account);
  }
  if (kind !== 'complete' && kind !== 'partial') {
    throw bad('payment.kind', 'must be complete or partial (an orphan credit has no customer receipt)', kind);
  }
  if (typeof currency !== 'string' || !/^[A-Z]{3}$/.test(currency)) {
    throw bad('payment.currency', 'must be a 3-letter currency code', currency);
  }
  if (!Array.isArray(notes) || notes.length === 0 || notes.length > MAX_NOTE_LINES) {
    throw bad('payment.notes', `must list 1 to ${MAX_NOTE_LINES} denominations`, notes?.length);
  }
  let sum = 0;
  notes.forEach((note, i) => {
    if (!isPositiveInteger(note?.denomination, Number.MAX_SAFE_INTEGER)) {
      throw bad(
        `payment.notes[${i}].denomination`,
        'must be a positive integer of minor units',
        note?.denomination,
      );
    }
    if (!isPositiveInteger(note.count, MAX_NOTES_PER_LINE)) {
      throw bad(
        `payment.notes[${i}].count`,
        `must be an integer from 1 to ${MAX_NOTES_PER_LINE}`,
        note.count,
      );
    }
    sum += note.denomination * note.count;
    if (!Number.isSafeInteger(sum)) throw bad('payment.notes', 'add up to more than a safe integer', sum);
  });
  if (amount !== sum) {
    throw bad('payment.amount', `must equal the notes' total (${sum})`, amount);
  }
  return { ...payment, account, kind };
}

function checkedOptions(input: CustomerReceiptInput): { language: Language; columns: PaperColumns } {
  const language = input.language ?? DEFAULT_LANGUAGE;
  if (!(LANGUAGES as readonly unknown[]).includes(language)) {
    throw bad('language', `must be one of ${LANGUAGES.join(', ')}`, language);
  }
  if (!(PAPER_COLUMNS as readonly unknown[]).includes(input.columns)) {
    throw bad('columns', `must be one of ${PAPER_COLUMNS.join(', ')}`, input.columns);
  }
  if (typeof input.kioskId !== 'string' || !KIOSK_ID.test(input.kioskId)) {
    throw bad('kioskId', 'must be 1 to 64 printable ASCII characters', input.kioskId);
  }
  return { language, columns: input.columns };
}

/** What the QR code holds: the payment id, or the config's URL with the id in it. */
export function receiptQrPayload(paymentId: string, config: Pick<ReceiptsConfig, 'qrUrlTemplate'>): string {
  return config.qrUrlTemplate === undefined ? paymentId : fillQrUrlTemplate(config.qrUrlTemplate, paymentId);
}

/**
 * The customer's receipt for a committed payment, laid out for `columns`: operator, hall,
 * kiosk, local time, masked account, notes, total, kind, payment id and its QR code, then
 * feed and cut. Pure: the time printed is the payment's (and the reprint's) as given, in the
 * config's time zone. Throws DeviceBadArgument, naming the field, for a payment it cannot
 * print truthfully.
 */
export function customerReceipt(input: CustomerReceiptInput): PrinterDocument {
  const payment = checkedPayment(input?.payment);
  const { language, columns } = checkedOptions(input);
  const { config } = input;
  const words = RECEIPT_WORDS[language];
  const units: MoneyUnits = {
    currency: payment.currency,
    minorUnitsPerMajor: input.minorUnitsPerMajor ?? 100,
  };
  const time = (instant: string, what: string) => localTimeText(instant, config.timeZone, what);
  const qrPayload = receiptQrPayload(payment.paymentId, config);

  const blocks: PrinterBlock[] = [
    ...heading(config.operatorName[language], columns),
    ...lines(config.hallName[language], columns, { align: 'center' }),
    ...(input.reprintedAt === undefined
      ? []
      : labelled(REPRINT_MARK, time(input.reprintedAt, 'reprintedAt'), columns, { bold: true })),
    RULE,
    ...labelled(words.kiosk, input.kioskId, columns),
    ...labelled(words.time, time(payment.createdAt, 'payment.createdAt'), columns),
    ...labelled(words.account, String(maskAccount(payment.account)), columns),
    RULE,
    ...[...payment.notes]
      .sort((a, b) => a.denomination - b.denomination)
      .flatMap((note) =>
        labelled(
          `${faceValueText(note.denomination, units)} × ${note.count}`,
          moneyText(note.denomination * note.count, units),
          columns,
        ),
      ),
    RULE,
    ...labelled(words.total, moneyText(payment.amount, units), columns, { bold: true }),
    ...labelled(words.status, words.kind[payment.kind], columns),
    ...labelled(words.paymentId, payment.paymentId, columns),
    {
      kind: 'qr',
      payload: qrPayload,
      moduleSize: qrModuleSize(qrPayload, columns),
      errorLevel: 'M',
      align: 'center',
    },
    ...lines(words.footer, columns, { align: 'center' }),
    { kind: 'feed', lines: FEED_BEFORE_CUT },
    { kind: 'cut' },
  ];
  return { blocks };
}
