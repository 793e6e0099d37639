import type { CancelReason, PaymentKind, TopUpNote } from './top-up-context.js';

/*
 * What the top-up machine exchanges with the world: the events it takes, the events it emits
 * for the acceptor, the I/O it invokes, and what it ends with. The machine itself is in
 * top-up-machine.ts, which re-exports all of this.
 */

/** What start-up recovery decided from the journal and the acceptor for an interrupted transaction. */
export type RecoveryOutcome = 'resumeCashIn' | 'commitPartial' | 'cancel';

export type TopUpEvent =
  | { type: 'START' }
  | { type: 'ACCOUNT_ENTERED'; account: string }
  | { type: 'NOTE_ESCROWED'; escrowId: string; denomination: number }
  | { type: 'NOTE_CREDITED'; noteId: string; denomination: number }
  | { type: 'NOTE_RETURNED'; escrowId?: string }
  | { type: 'NOTE_REJECTED'; reason?: string }
  | { type: 'CONFIRM' }
  | { type: 'CANCEL' }
  /**
   * The kiosk is entering maintenance: the top-up ends when the customer has no cash in (no
   * note credited, none in escrow) and carries on otherwise; a customer with cash in is never
   * cut off (XFS4IoT VendorMode). Unlike CANCEL it never turns notes into a partial payment.
   */
  | { type: 'END_FOR_MAINTENANCE' }
  | { type: 'RETRY_COMMIT' }
  /**
   * `notes` is the journal's list of this transaction's credited notes: a credit can be
   * durable without having reached the persisted snapshot, and the journal is the truth.
   */
  | { type: 'RECOVERED'; outcome: RecoveryOutcome; notes?: TopUpNote[] };

/** What the machine asks of the acceptor; the service turns these into enable()/disable(). */
export type TopUpEmitted =
  | { type: 'acceptor.enable'; denominations: number[] }
  | { type: 'acceptor.disable' };

export interface CheckAccountInput {
  account: string;
}
export interface CheckAccountOutput {
  ok: boolean;
  dailyTotalSoFar?: number;
}
export interface OpenTransactionInput {
  account: string;
}
export interface OpenTransactionOutput {
  txId: string;
  /** What the journal credited this account today, before this transaction. */
  dailyTotalSoFar: number;
}
export interface CommitPaymentInput {
  txId: string;
  kind: PaymentKind;
}
export interface CommitPaymentOutput {
  paymentId: string;
  amount: number;
  seq: number;
}
export interface PrintReceiptInput {
  txId: string;
  paymentId: string;
  seq: number;
  account: string;
  amount: number;
  kind: PaymentKind;
  notes: TopUpNote[];
}
export interface PrintReceiptOutput {
  printed: boolean;
}

/**
 * The I/O the transaction needs, as plain async functions the machine runs as invoked actors
 * (the signal aborts when the machine leaves the state). commitPayment must be idempotent per
 * txId (the journal returns the payment it already made): recovery and retries run it again.
 */
export interface TopUpServices {
  checkAccount(input: CheckAccountInput, signal: AbortSignal): Promise<CheckAccountOutput>;
  openTransaction(input: OpenTransactionInput, signal: AbortSignal): Promise<OpenTransactionOutput>;
  commitPayment(input: CommitPaymentInput, signal: AbortSignal): Promise<CommitPaymentOutput>;
  /** Absent until a printer exists: every completion then records receipt false. */
  printReceipt?(input: PrintReceiptInput, signal: AbortSignal): Promise<PrintReceiptOutput>;
}

/** A kiosk without a printer still completes top-ups; the customer sees the payment id instead. */
export async function noPrinter(): Promise<PrintReceiptOutput> {
  return { printed: false };
}

export type TopUpOutput =
  | {
      outcome: 'done';
      txId: string;
      paymentId: string;
      amount: number;
      seq: number;
      kind: PaymentKind;
      receipt: boolean;
    }
  /** With a txId the service closes that journal transaction as cancelled (it holds no credited note). */
  | { outcome: 'cancelled'; txId: string | null; reason: CancelReason };
