import { ErrorCode, KioskError } from '../../core/errors.js';

/** Amounts are integers in minor units (fen); never floats. */
export interface TopUpLimits {
  maxPerTransaction: number;
  maxPerAccountPerDay: number;
  maxNotesPerTransaction: number;
}

export interface TopUpAccountCheck {
  enabled: boolean;
  /** What a lookup that fails or does not answer in time means: go on, or refuse the top-up. */
  offlinePolicy: 'accept' | 'refuse';
}

/** Milliseconds behind the machine's named delays; tests override the delays themselves. */
export interface TopUpTimeouts {
  accountEntryMs: number;
  accountCheckMs: number;
  /** Once a note is stacked, the top-up completes after this much inactivity. */
  idleCompleteMs: number;
  /** With nothing stacked, a customer who walks away must not leave the acceptor enabled forever. */
  noCashMs: number;
  commitRetryMs: number;
}

export interface TopUpInput {
  /** Accepted note values, increasing, each once (config `currency.denominations`). */
  denominations: readonly number[];
  limits: TopUpLimits;
  accountCheck: TopUpAccountCheck;
  timeouts: TopUpTimeouts;
}

export interface TopUpNote {
  noteId: string;
  denomination: number;
}

export interface EscrowingNote {
  escrowId: string;
  denomination: number;
}

export type PaymentKind = 'complete' | 'partial';

export type CancelReason =
  | 'customerCancelled'
  | 'accountEntryTimeout'
  | 'noCashTimeout'
  | 'accountCheckUnavailable'
  | 'journalUnavailable'
  | 'recovered'
  /** A technician entered service mode while the customer had no cash in (XFS4IoT VendorMode). */
  | 'maintenance';

/** Machine-readable, for the screen to word; `detail` is for logs only. */
export interface TopUpError {
  code:
    | 'invalidAccount'
    | 'accountUnknown'
    | 'accountCheckUnavailable'
    | 'journalUnavailable'
    | 'commitFailed';
  detail?: string;
}

/** Everything here is plain JSON: the context is what a persisted snapshot carries across a restart. */
export interface TopUpContext {
  denominations: number[];
  limits: TopUpLimits;
  accountCheck: TopUpAccountCheck;
  timeouts: TopUpTimeouts;
  account: string | null;
  error: TopUpError | null;
  txId: string | null;
  /** What the account was credited today before this transaction, for the daily limit. */
  dailyTotalSoFar: number;
  notes: TopUpNote[];
  total: number;
  /** True only while the machine is in insertingCash: outside it every note goes back. */
  cashInOpen: boolean;
  /** What the acceptor was last told to take; empty means disabled. */
  acceptedDenominations: number[];
  noteInProgress: boolean;
  escrow: EscrowingNote | null;
  /** A cancel that arrived while a note was in the acceptor's path waits for that note to settle. */
  cancelRequested: boolean;
  kind: PaymentKind | null;
  paymentId: string | null;
  amount: number | null;
  seq: number | null;
  receipt: boolean | null;
  cancelReason: CancelReason | null;
  commitAttempts: number;
  /** The state a restored snapshot was in when the daemon stopped. */
  recoveredFrom: string | null;
}

export const DEFAULT_COMMIT_RETRY_MS = 5000;

function problem(field: string, expected: string, got: unknown): KioskError {
  return new KioskError(ErrorCode.ConfigInvalid, `top-up input ${field}: expected ${expected}`, {
    details: { field, got },
  });
}

function positiveInteger(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0)
    throw problem(field, 'a positive integer', value);
  return value;
}

/** Validates the input before any state exists, so a bad config never yields a half-made transaction. */
export function initialTopUpContext(input: TopUpInput): TopUpContext {
  if (typeof input !== 'object' || input === null) throw problem('(root)', 'an object', input);
  if (!Array.isArray(input.denominations) || input.denominations.length === 0)
    throw problem('denominations', 'a non-empty list of note values in minor units', input.denominations);
  const denominations = input.denominations.map((d, i) => positiveInteger(`denominations[${i}]`, d));
  denominations.forEach((d, i) => {
    const previous = denominations[i - 1];
    if (previous !== undefined && d <= previous)
      throw problem(`denominations[${i}]`, `more than ${previous} (increasing, each once)`, d);
  });
  const limits: TopUpLimits = {
    maxPerTransaction: positiveInteger('limits.maxPerTransaction', input.limits?.maxPerTransaction),
    maxPerAccountPerDay: positiveInteger('limits.maxPerAccountPerDay', input.limits?.maxPerAccountPerDay),
    maxNotesPerTransaction: positiveInteger(
      'limits.maxNotesPerTransaction',
      input.limits?.maxNotesPerTransaction,
    ),
  };
  const policy = input.accountCheck?.offlinePolicy;
  if (policy !== 'accept' && policy !== 'refuse')
    throw problem('accountCheck.offlinePolicy', '"accept" or "refuse"', policy);
  if (typeof input.accountCheck.enabled !== 'boolean')
    throw problem('accountCheck.enabled', 'true or false', input.accountCheck.enabled);
  const t = input.timeouts;
  const timeouts: TopUpTimeouts = {
    accountEntryMs: positiveInteger('timeouts.accountEntryMs', t?.accountEntryMs),
    accountCheckMs: positiveInteger('timeouts.accountCheckMs', t?.accountCheckMs),
    idleCompleteMs: positiveInteger('timeouts.idleCompleteMs', t?.idleCompleteMs),
    noCashMs: positiveInteger('timeouts.noCashMs', t?.noCashMs),
    commitRetryMs: positiveInteger('timeouts.commitRetryMs', t?.commitRetryMs),
  };
  return {
    denominations,
    limits,
    accountCheck: { enabled: input.accountCheck.enabled, offlinePolicy: policy },
    timeouts,
    account: null,
    error: null,
    txId: null,
    dailyTotalSoFar: 0,
    notes: [],
    total: 0,
    cashInOpen: false,
    acceptedDenominations: [],
    noteInProgress: false,
    escrow: null,
    cancelRequested: false,
    kind: null,
    paymentId: null,
    amount: null,
    seq: null,
    receipt: null,
    cancelReason: null,
    commitAttempts: 0,
    recoveredFrom: null,
  };
}

/** The parts of the kiosk config a top-up reads (structural, so fsm/ does not depend on src/config). */
export interface TopUpConfigSource {
  currency: { denominations: readonly number[] };
  limits: TopUpLimits;
  transaction: {
    accountEntryTimeoutMs: number;
    idleCompleteAfterMs: number;
    accountCheck: { enabled: boolean; timeoutMs: number; offlinePolicy: 'accept' | 'refuse' };
  };
}

/**
 * The config has no separate setting for an abandoned transaction with nothing stacked, so it
 * gets the same patience as account entry; commit retries use a fixed short pause.
 */
export function topUpInputFromConfig(
  config: TopUpConfigSource,
  commitRetryMs: number = DEFAULT_COMMIT_RETRY_MS,
): TopUpInput {
  return {
    denominations: config.currency.denominations,
    limits: { ...config.limits },
    accountCheck: {
      enabled: config.transaction.accountCheck.enabled,
      offlinePolicy: config.transaction.accountCheck.offlinePolicy,
    },
    timeouts: {
      accountEntryMs: config.transaction.accountEntryTimeoutMs,
      accountCheckMs: config.transaction.accountCheck.timeoutMs,
      idleCompleteMs: config.transaction.idleCompleteAfterMs,
      noCashMs: config.transaction.accountEntryTimeoutMs,
      commitRetryMs,
    },
  };
}
