import { ErrorCode, KioskError } from '../../core/errors.js';
import type { BalanceQuery } from './account-service.js';
import { CN_MOBILE_PATTERN } from './account-store.js';

/**
 * The account service's request bodies, checked field by field: each refusal names the field
 * and what was expected, and never echoes a PIN block or KSN back (they are secrets in transit).
 */

/** TDES DUKPT (format 0): 8-byte block, 10-byte KSN; AES DUKPT (format 4): 16 and 12. */
const SIZES = { iso0: { pinBlock: 8, ksn: 10 }, iso4: { pinBlock: 16, ksn: 12 } } as const;
/** paymentIds are the kiosks' ULIDs. */
const PAYMENT_ID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;
/** A credit is one top-up: well under a million yuan. */
const MAX_CREDIT_FEN = 100_000_000;

export function badField(field: string, message: string): KioskError {
  return new KioskError(ErrorCode.ApiBadRequest, `${field}: ${message}`, { details: { field } });
}

function objectBody(body: unknown, fields: readonly string[]): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badField('(body)', `expected a JSON object with ${fields.join(', ')}`);
  }
  for (const key of Object.keys(body)) {
    if (!fields.includes(key))
      throw badField(key.slice(0, 40), `unknown field (expected ${fields.join(', ')})`);
  }
  return body as Record<string, unknown>;
}

export function readAccount(value: unknown, field = 'account'): string {
  if (typeof value !== 'string' || !CN_MOBILE_PATTERN.test(value)) {
    throw badField(field, 'expected an 11-digit mainland China mobile number (1[3-9]xxxxxxxxx)');
  }
  return value;
}

function readHex(value: unknown, field: string, bytes: number): Uint8Array {
  if (typeof value !== 'string' || value.length !== bytes * 2 || !/^[0-9A-Fa-f]*$/.test(value)) {
    const got = typeof value === 'string' ? `${value.length} characters` : typeof value;
    throw badField(field, `expected ${bytes * 2} hex digits for this format, got ${got}`);
  }
  return Uint8Array.from(Buffer.from(value, 'hex'));
}

export function readBalanceQuery(body: unknown): BalanceQuery {
  const fields = objectBody(body, ['account', 'format', 'pinBlock', 'ksn']);
  const account = readAccount(fields['account']);
  const format = fields['format'];
  if (format !== 'iso0' && format !== 'iso4') throw badField('format', 'expected "iso0" or "iso4"');
  const size = SIZES[format];
  const pinBlock = readHex(fields['pinBlock'], 'pinBlock', size.pinBlock);
  const ksn = readHex(fields['ksn'], 'ksn', size.ksn);
  return { account, format, pinBlock, ksn };
}

export interface CreditRequest {
  paymentId: string;
  account: string;
  amountFen: number;
}

export function readCredit(body: unknown): CreditRequest {
  const fields = objectBody(body, ['paymentId', 'account', 'amountFen']);
  const paymentId = fields['paymentId'];
  if (typeof paymentId !== 'string' || !PAYMENT_ID_PATTERN.test(paymentId)) {
    throw badField('paymentId', 'expected the payment id, a 26-character ULID');
  }
  const account = readAccount(fields['account']);
  const amountFen = fields['amountFen'];
  if (
    !Number.isSafeInteger(amountFen) ||
    (amountFen as number) < 1 ||
    (amountFen as number) > MAX_CREDIT_FEN
  ) {
    throw badField('amountFen', `expected an integer amount in fen from 1 to ${MAX_CREDIT_FEN}`);
  }
  return { paymentId, account, amountFen: amountFen as number };
}
