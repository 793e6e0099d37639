import type { Device, DeviceControl, DeviceDiagnostics, DeviceEvents } from '../device.js';
import type { DeviceIdentity } from '../device-status.js';

/**
 * The protocol-neutral banknote acceptor, in the XFS cash-in vocabulary. ID-003 implements it
 * first; ITL SSP and CashCode CCNET must fit behind it unchanged, so nothing here names an
 * ID-003 code: escrow codes and channels are carried as opaque `deviceCode` numbers.
 *
 * Money flows through two hooks rather than events, because their order is the invariant:
 * the host's durable write must complete before the driver lets the device move the note on.
 */

/** A note held in escrow, waiting for the host's decision. */
export interface EscrowedNote {
  /** Driver-assigned id for this escrow, unique per driver instance (not a journal id). */
  escrowId: string;
  /** The protocol's own code for the note (ID-003 escrow code, SSP channel...). */
  deviceCode: number;
  /** Denomination in minor units (fen), from the currency table or the config override. */
  denomination: number;
  /** ISO 4217 code of the note's currency as the device reports it, when it does. */
  currency?: string;
}

/**
 * What the host decided for a note in escrow. `stack` carries the host's durable note id: the
 * host journals the escrow intent BEFORE answering (DESIGN.md invariant 1), and the driver
 * hands the id back with the credit.
 */
export type EscrowDecision = { action: 'stack'; noteId: string } | { action: 'return'; reason: string };

/** Where a note was found when the device powered up. */
export type NoteLocation = 'acceptor' | 'stacker';

/**
 * A credit the device reported: the note is in the cashbox. `noteId` is the host's id when this
 * driver instance stacked the note; it is absent when the driver cannot know it (the daemon
 * restarted while the device finished the note, or the device powered up with a note in the
 * stacker) and the host must resolve it from its persisted escrow intent, or record an orphan.
 */
export interface NoteCredit {
  source: 'credit' | 'powerUpInStacker' | 'recoveredCredit';
  noteId?: string;
  deviceCode?: number;
  /** Known when the device or the driver knows it. */
  denomination?: number;
}

export interface CashAcceptorHooks {
  /**
   * Decide a note in escrow. Must decide locally and at once (invariant 2: never wait on the
   * network); the device returns the note by itself after a few seconds.
   */
  decideEscrow(note: EscrowedNote): Promise<EscrowDecision>;
  /**
   * Durably commit a credit. The driver acknowledges the credit to the device only after this
   * resolves; if it rejects, the driver does not acknowledge, and the device repeats the credit.
   * Must be idempotent for a noteId: a repeated credit is never counted twice.
   */
  commitCredit(credit: NoteCredit): Promise<void>;
}

/** Events a cash acceptor emits, for status screens, the fleet and the audit log. */
export interface CashAcceptorEvents extends DeviceEvents {
  escrow: [EscrowedNote];
  /** The note is in the cashbox and the credit is durably committed (after commitCredit resolved). */
  credited: [NoteCredit];
  rejected: [{ reason: string; deviceCode: number }];
  /** A note the host refused, or the device timed out on, went back to the customer. */
  returned: [{ escrowId?: string; noteId?: string }];
  jam: [{ where: NoteLocation }];
  cashboxFull: [];
  cashboxRemoved: [];
  cashboxReplaced: [];
  cheat: [];
  powerUpWithNote: [{ where: NoteLocation }];
  /**
   * The unit is initialised and idle after a power-up, a reset or a new line session. By now a
   * note found in its path at start-up has been credited or handed back, so a note the host still
   * holds an escrow intent for is not in the device: start-up recovery settles it on this event.
   */
  ready: [];
  /** A status code the driver does not know; logged and reported, never thrown. */
  unknownStatus: [{ deviceCode: number; data: string }];
  identity: [DeviceIdentity];
}

/** Every event name above, for whoever relays a driver's events (the record makes the list complete). */
const EVENT_NAMES: Readonly<Record<keyof CashAcceptorEvents, true>> = {
  status: true,
  escrow: true,
  credited: true,
  rejected: true,
  returned: true,
  jam: true,
  cashboxFull: true,
  cashboxRemoved: true,
  cashboxReplaced: true,
  cheat: true,
  powerUpWithNote: true,
  ready: true,
  unknownStatus: true,
  identity: true,
};
export const CASH_ACCEPTOR_EVENT_NAMES = Object.keys(EVENT_NAMES) as (keyof CashAcceptorEvents)[];

/** The config file's `currency` section, as every acceptor protocol reads it. */
export interface CashAcceptorCurrency {
  code: string;
  minorUnitsPerMajor: number;
  /** Every note value the kiosk takes, minor units. */
  denominations: readonly number[];
}

export interface CurrencyTableEntry {
  deviceCode: number;
  denomination: number;
  /** False when the device's table names a denomination the config does not accept. */
  accepted: boolean;
}

/** The acceptor's diagnostics add the note table it works with. */
export interface CashAcceptorDiagnostics extends DeviceDiagnostics {
  currencyTable: CurrencyTableEntry[];
}

/** The acceptor's own commands; a protocol driver implements them on a line its `create` opens. */
export interface CashAcceptorDriver extends DeviceControl<CashAcceptorEvents> {
  /** Accept only these denominations (minor units); an empty list disables acceptance. */
  enable(denominations: readonly number[]): Promise<void>;
  disable(): Promise<void>;
  /** Explicit escrow commands, for diagnostics; transactions use the decideEscrow hook. */
  stack(): Promise<void>;
  return(): Promise<void>;
  hold(): Promise<void>;
  readCurrencyTable(): Promise<CurrencyTableEntry[]>;
}

/** The banknote acceptor as the daemon runs it: a Device, with the acceptor's commands. */
export interface CashAcceptor extends CashAcceptorDriver, Device<CashAcceptorEvents> {
  diagnostics(): Promise<CashAcceptorDiagnostics>;
}
