import type { DeviceStatus } from '../../devices/device-status.js';
import type { Language, MessageCode } from '../i18n/messages.js';

/** The customer transaction's states as the screen sees them. */
export type TopUpState =
  | 'enteringAccount'
  | 'checkingAccount'
  | 'insertingCash'
  | 'committing'
  | 'printing'
  | 'done'
  | 'cancelled';

export type KioskMode = 'starting' | 'inService' | 'outOfService' | 'maintenance';

/**
 * One top-up as the service knows it. The account is whole here; the API masks it. The message
 * is a code: the API words it in the language each client asked for.
 */
export interface TopUpView {
  /** null until the account is accepted and the journal opened the transaction. */
  txId: string | null;
  state: TopUpState;
  account: string | null;
  notes: Array<{ noteId: string; denomination: number }>;
  total: number;
  remaining: number;
  acceptedDenominations: number[];
  noteInProgress: boolean;
  paymentId: string | null;
  kind: 'complete' | 'partial' | null;
  receipt: boolean | null;
  /**
   * Whether the kiosk can print a receipt now: the screen says "no receipt" before the
   * customer pays when it cannot, and offers a reprint after a failed one when it can.
   */
  receiptAvailable: boolean;
  message: MessageCode | null;
}

export interface KioskStateView {
  kiosk: {
    kioskId: string;
    mode: KioskMode;
    devices: { cashAcceptor: DeviceStatus };
  };
  topUp: TopUpView | null;
}

/** What the service announces; the API turns each into one SSE event. */
export type KioskEvent =
  | { type: 'kiosk.mode'; data: { mode: KioskMode } }
  | { type: 'device.status'; data: { device: 'cashAcceptor'; status: DeviceStatus } }
  | { type: 'topup.state'; data: TopUpView }
  | {
      type: 'topup.note';
      data: { txId: string; noteId: string; denomination: number; total: number; remaining: number };
    }
  | { type: 'topup.noteReturned'; data: { txId: string | null; message: MessageCode } }
  | { type: 'topup.noteRejected'; data: { txId: string | null; reason: string; message: MessageCode } }
  | {
      type: 'topup.done';
      data: {
        txId: string;
        paymentId: string;
        amount: number;
        kind: 'complete' | 'partial';
        receipt: boolean;
      };
    }
  | { type: 'topup.error'; data: { code: MessageCode; reason: string } };

export type KioskEventListener = (event: KioskEvent) => void;

/** What the kiosk API needs from the service; the service is the only implementation. */
export interface KioskService {
  state(): KioskStateView;
  current(): TopUpView | null;
  /** A finished top-up from the journal; ApiNotFound when there is none with that id. */
  finished(txId: string): TopUpView;
  start(language?: Language): TopUpView;
  /** The customer's reprint of a finished top-up's receipt, within the reprint window. */
  reprintReceipt(txId: string, language: Language): Promise<TopUpView>;
  enterAccount(account: string): Promise<TopUpView>;
  confirm(): Promise<TopUpView>;
  cancel(): Promise<TopUpView>;
  subscribe(listener: KioskEventListener): () => void;
}
