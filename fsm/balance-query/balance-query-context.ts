import { ErrorCode, KioskError } from '../../core/errors.js';
import type { EntryOptions, MaskedKey, PinBlockFormat } from '../../devices/pin-pad/pin-pad.js';
import type { BalanceQueryOutcome } from './balance-query-contract.js';

/** The machine's settings, from config `balanceQuery` (and the screen's account-entry timeout). */
export interface BalanceQueryInput {
  format: PinBlockFormat;
  pinEntry: EntryOptions;
  accountEntryTimeoutMs: number;
  /** How long the account service's answer (PIN block included) may take. */
  queryTimeoutMs: number;
  showBalanceMs: number;
}

/** A CN mobile number is 11 digits: the pad's data entry takes exactly that many. */
export const ACCOUNT_DIGITS = 11;

/**
 * What the machine remembers. Only counts of PIN digits: the pad knows the digits, the host
 * knows how many keys were pressed. No field can hold a PIN block or a KSN.
 */
export interface BalanceQueryContext {
  format: PinBlockFormat;
  pinEntry: EntryOptions;
  timeouts: { accountEntryMs: number; queryMs: number; showBalanceMs: number };
  account: string | null;
  /** Digits the pad holds now, from the masked key events (backspace and clear included). */
  digitsEntered: number;
  balanceFen: number | null;
  triesLeft: number | null;
  lockedUntil: string | null;
  /** The last account that was refused (not a CN mobile number), for the screen's message. */
  accountRejected: boolean;
  /** The account as typed on the pad so far, for the screen to echo (an account is not secret). */
  accountTyped: string;
  outcome: BalanceQueryOutcome | null;
  /** Why a step failed, for the log (never customer-facing, never a secret). */
  detail: string | null;
}

function badInput(field: string, expected: string, got: unknown): KioskError {
  return new KioskError(ErrorCode.ConfigInvalid, `balance query input ${field}: expected ${expected}`, {
    details: { field, got },
  });
}

function positiveInt(value: unknown): boolean {
  return Number.isSafeInteger(value) && (value as number) > 0;
}

export function initialBalanceQueryContext(input: BalanceQueryInput): BalanceQueryContext {
  if (input?.format !== 'iso0' && input?.format !== 'iso4')
    throw badInput('format', 'iso0 or iso4', input?.format);
  const entry = input.pinEntry;
  if (!positiveInt(entry?.minLength))
    throw badInput('pinEntry.minLength', 'a positive integer', entry?.minLength);
  if (!positiveInt(entry.maxLength) || entry.maxLength < entry.minLength)
    throw badInput(
      'pinEntry.maxLength',
      `an integer of at least minLength (${entry.minLength})`,
      entry.maxLength,
    );
  for (const field of ['accountEntryTimeoutMs', 'queryTimeoutMs', 'showBalanceMs'] as const) {
    if (!positiveInt(input[field])) throw badInput(field, 'a positive integer of ms', input[field]);
  }
  if (!positiveInt(entry.timeoutMs))
    throw badInput('pinEntry.timeoutMs', 'a positive integer of ms', entry.timeoutMs);
  return {
    format: input.format,
    pinEntry: { ...entry },
    timeouts: {
      accountEntryMs: input.accountEntryTimeoutMs,
      queryMs: input.queryTimeoutMs,
      showBalanceMs: input.showBalanceMs,
    },
    account: null,
    digitsEntered: 0,
    balanceFen: null,
    triesLeft: null,
    lockedUntil: null,
    accountRejected: false,
    accountTyped: '',
    outcome: null,
    detail: null,
  };
}

/** The account typed on the pad after one press, at most ACCOUNT_DIGITS digits. */
export function typedAfter(typed: string, key: MaskedKey, digit: string | undefined): string {
  switch (key) {
    case 'digit':
      return digit !== undefined && /^\d$/.test(digit) && typed.length < ACCOUNT_DIGITS
        ? typed + digit
        : typed;
    case 'backspace':
      return typed.slice(0, -1);
    case 'clear':
      return '';
    default:
      return typed;
  }
}

/** The count after one masked press, kept within what the pad can hold. */
export function digitsAfter(count: number, key: MaskedKey, maxLength: number): number {
  switch (key) {
    case 'digit':
      return Math.min(count + 1, maxLength);
    case 'backspace':
      return Math.max(count - 1, 0);
    case 'clear':
      return 0;
    default:
      return count;
  }
}
