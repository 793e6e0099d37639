import type { Device, DeviceDiagnostics, DeviceEvents } from '../device.js';
import type { DeviceStatus } from '../device-status.js';

/**
 * The protocol-neutral encrypting PIN pad, after XFS4IoT's Keyboard and PinPad interfaces. The
 * EPP protocol implements it first. Invariant 3 of DESIGN.md is in its shape: no call and no
 * event carries a digit of a PIN. A PIN entry reports each press as a masked key (`digit`, never
 * which one) and ends with a count; the PIN itself leaves the pad only inside a PIN block
 * encrypted under the pad's DUKPT key, which only the account service (the HSM's role) opens.
 */

/** A press as the host may know it during PIN entry: which kind of key, never which digit. */
export type MaskedKey = 'digit' | 'backspace' | 'clear' | 'enter' | 'cancel';

/** How an entry ended: Enter pressed, maxLength reached with autoEnd, Cancel pressed, or no key in time. */
export type EntryCompletion = 'enter' | 'auto' | 'cancel' | 'timeout';

export interface EntryOptions {
  /** Enter is refused (a beep) below this many digits. */
  minLength: number;
  /** Further digits are refused (a beep) once this many are in. */
  maxLength: number;
  /** From the start, and again after each key: no key for this long ends the entry `timeout`. */
  timeoutMs: number;
  /** End the entry by itself when maxLength digits are in (completion `auto`). */
  autoEnd: boolean;
}

export interface PinEntryResult {
  /** How many digits the pad holds; the digits themselves never leave it. */
  digits: number;
  completion: EntryCompletion;
}

/** Data entry is for input that is not secret (a phone number typed on the pad): digits travel in clear. */
export interface DataEntryResult {
  value: string;
  completion: EntryCompletion;
}

/** ISO 9564 PIN block formats the pad builds: 0 (TDES, with the account) and 4 (AES, with the account). */
export type PinBlockFormat = 'iso0' | 'iso4';

export interface PinBlockRequest {
  format: PinBlockFormat;
  /** The customer's account (a CN mobile number): its digits enter the block as ISO 9564 says. */
  account: string;
}

/** The PIN encrypted under the pad's current DUKPT key, and the KSN that names that key. */
export interface PinBlock {
  format: PinBlockFormat;
  /** 8 bytes (format 0, TDES) or 16 bytes (format 4, AES). */
  pinBlock: Uint8Array;
  /** 10 bytes (TDES DUKPT) or 12 bytes (AES DUKPT). */
  ksn: Uint8Array;
}

export interface PinPadStatus extends DeviceStatus {
  /** What the pad is doing: idle, taking a PIN, taking clear data. */
  entry: 'idle' | 'pin' | 'data';
  /** A finished PIN entry is held in the pad and a PIN block may be asked for. */
  pinReady: boolean;
}

export interface PinPadEvents extends DeviceEvents {
  status: [PinPadStatus];
  /** One per press during PIN entry. */
  pinKey: [MaskedKey];
  /** One per press during data entry; `digit` carries the digit (the input is not secret). */
  dataKey: [{ key: MaskedKey; digit?: string }];
}

export interface PinPadDiagnostics extends DeviceDiagnostics {
  status: PinPadStatus;
}

export interface PinPad extends Device<PinPadEvents> {
  readonly status: PinPadStatus;
  /**
   * Starts a PIN entry and resolves when it ends. One entry at a time: a second call while one
   * runs rejects (DeviceBusy). Unplugging or a pad fault mid-entry rejects, and nothing is held.
   */
  pinEntry(options: EntryOptions): Promise<PinEntryResult>;
  /** The PIN block of the PIN entry that just ended with enter or auto; the pad forgets the PIN after. */
  getPinBlock(request: PinBlockRequest): Promise<PinBlock>;
  /** Clear-text entry on the pad's keys, for input that is not secret. */
  dataEntry(options: EntryOptions): Promise<DataEntryResult>;
  /** Ends a running entry as `cancel` (the screen's cancel button), resolving its promise. */
  cancelEntry(): Promise<void>;
  beep(durationMs?: number): Promise<void>;
  diagnostics(): Promise<PinPadDiagnostics>;
}
