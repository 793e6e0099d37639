import type {
  DataEntryResult,
  EntryOptions,
  MaskedKey,
  PinBlockFormat,
  PinEntryResult,
} from '../../devices/pin-pad/pin-pad.js';

/*
 * What the balance-query machine exchanges with the world: the events it takes, the I/O it
 * invokes and what it ends with. No type here can hold a PIN block or a KSN: the block exists
 * only inside the service's queryBalance call, from the pad to the account service.
 */

export type BalanceQueryEvent =
  | { type: 'START' }
  /** The account typed on the screen (the pad's own data entry arrives as its actor's output). */
  | { type: 'ACCOUNT_ENTERED'; account: string }
  /** A masked press during PIN entry: which kind of key, never which digit. */
  | { type: 'PIN_KEY'; key: MaskedKey }
  /** A press during the pad's account entry: not secret, so the digit comes along. */
  | { type: 'ACCOUNT_KEY'; key: MaskedKey; digit?: string }
  | { type: 'CANCEL' }
  /** The kiosk is entering maintenance: the query ends (a balance on show counts as shown). */
  | { type: 'END_FOR_MAINTENANCE' };

/** What the account service said, as the contract's `result` names it. */
export type BalanceAnswer =
  | { result: 'balance'; balanceFen: number }
  | { result: 'wrongPin'; triesLeft: number }
  | { result: 'locked'; until: string }
  | { result: 'unknownAccount' };

/** Why a step that does I/O failed, as the machine tells the customer. */
export type QueryFailure = 'padFault' | 'serviceUnavailable' | 'timeout';

/** How the service's actors reject: the machine branches on `failure`, never on message text. */
export class BalanceQueryFailure extends Error {
  override readonly name = 'BalanceQueryFailure';
  constructor(
    readonly failure: QueryFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface QueryBalanceInput {
  account: string;
  format: PinBlockFormat;
}

/**
 * The I/O the query needs, as plain async functions the machine runs as invoked actors (the
 * signal aborts when the machine leaves the state: the service then ends the pad's entry or the
 * HTTP request). queryBalance asks the pad for the PIN block and hands it to the account service
 * in one call, so the block never passes through the machine.
 */
export interface BalanceQueryServices {
  accountOnPad(options: EntryOptions, signal: AbortSignal): Promise<DataEntryResult>;
  pinEntry(options: EntryOptions, signal: AbortSignal): Promise<PinEntryResult>;
  queryBalance(input: QueryBalanceInput, signal: AbortSignal): Promise<BalanceAnswer>;
}

/** How a query ended; `shown` is the only one with a balance. */
export type BalanceQueryOutcome =
  | 'shown'
  | 'wrongPin'
  | 'locked'
  | 'unknownAccount'
  | 'serviceUnavailable'
  | 'timeout'
  | 'padFault'
  | 'cancelled'
  | 'accountEntryTimeout'
  | 'pinEntryTimeout'
  /** A technician entered service mode: the query ends (no cash is ever in one). */
  | 'maintenance';

export interface BalanceQueryOutput {
  outcome: BalanceQueryOutcome;
  /** Present for wrongPin. */
  triesLeft?: number;
  /** Present for locked. */
  lockedUntil?: string;
}
