/** Records the journal hands out. Amounts and denominations are integers in minor units (fen). */

export type TransactionState = 'open' | 'committed' | 'cancelled';
export type PaymentKind = 'complete' | 'partial';
export type AnyPaymentKind = PaymentKind | 'orphan';
export type NoteState = 'escrowIntent' | 'credited' | 'returned' | 'voided';
export type CounterAccuracy = 'accurate' | 'inaccurate' | 'unknown';
export type OutboxState = 'pending' | 'delivered';

/** The limits the transaction was opened with, kept so recovery decides with the same numbers. */
export interface TransactionLimits {
  /** Most the customer may top up in this transaction, minor units. */
  maxAmount: number;
  /** Most notes accepted; null when only the amount limits. */
  maxNotes?: number | null;
}

export interface TransactionRecord {
  txId: string;
  account: string;
  currency: string;
  state: TransactionState;
  kind: PaymentKind | null;
  limits: { maxAmount: number; maxNotes: number | null };
  openedAt: string;
  closedAt: string | null;
}

export interface NoteRecord {
  noteId: string;
  txId: string | null;
  device: string;
  escrowCode: string | null;
  /** null only for an orphan credit whose value the device did not report. */
  denomination: number | null;
  state: NoteState;
  intentAt: string;
  settledAt: string | null;
  voidReason: string | null;
}

export interface PaymentNotes {
  denomination: number;
  count: number;
}

/** The outbox payload, exactly what the fleet link publishes on `kiosk/v1/{id}/payment`. */
export interface PaymentPayload {
  v: 1;
  kioskId: string;
  ts: string;
  paymentId: string;
  seq: number;
  account: string | null;
  amount: number;
  currency: string;
  notes: PaymentNotes[];
  kind: AnyPaymentKind;
  txId: string | null;
  receipt: boolean;
}

export interface PaymentRecord {
  paymentId: string;
  seq: number;
  txId: string | null;
  orphanId: string | null;
  account: string | null;
  amount: number;
  currency: string;
  kind: AnyPaymentKind;
  receipt: boolean;
  createdAt: string;
  notes: PaymentNotes[];
}

export type CommitPaymentResult =
  | { outcome: 'committed'; payment: PaymentRecord; alreadyClosed: boolean }
  | { outcome: 'cancelled'; txId: string; alreadyClosed: boolean };

export interface CommitCreditResult {
  noteId: string;
  alreadyCredited: boolean;
  /** Set when the note belonged to no transaction: the credit became an orphan record. */
  orphanId: string | null;
}

export interface OrphanCreditRecord {
  orphanId: string;
  noteId: string;
  device: string;
  escrowCode: string | null;
  denomination: number | null;
  reason: string;
  alertRaisedAt: string | null;
  createdAt: string;
  paymentId: string | null;
}

export interface OutboxEntry {
  seq: number;
  paymentId: string;
  payload: PaymentPayload;
  state: OutboxState;
  attempts: number;
  lastSentAt: string | null;
  deliveredAt: string | null;
}

export interface OutboxStats {
  pending: number;
  delivered: number;
  lastSeq: number;
  oldestPendingSeq: number | null;
  oldestPendingCreatedAt: string | null;
  maxPendingAttempts: number;
}

export interface CashboxDenominationCount {
  /** 0 collects credits whose denomination the device did not report. */
  denomination: number;
  count: number;
  value: number;
}

export interface CashboxCounters {
  device: string;
  capacity: number | null;
  accuracy: CounterAccuracy;
  accuracyReason: string | null;
  collectedAt: string | null;
  totalCount: number;
  totalValue: number;
  /** Fill as a fraction of capacity, null without a configured capacity. */
  fill: number | null;
  denominations: CashboxDenominationCount[];
}

export interface AuditEntry {
  id: number;
  ts: string;
  actor: string;
  action: string;
  details: Record<string, unknown>;
}

export interface ConservationViolation {
  rule:
    | 'noteUnsettled'
    | 'noteInPaymentAndOrphan'
    | 'noteInWrongPayment'
    | 'uncreditedNoteInPayment'
    | 'paymentAmount'
    | 'paymentWithoutOutbox'
    | 'outboxSeqGap'
    | 'collectionWithoutOutbox'
    | 'collectionCycle'
    | 'collectionExpected'
    | 'counterMismatch';
  message: string;
  details: Record<string, unknown>;
}

export interface JournalSummary {
  schemaVersion: number;
  kioskId: string;
  openTransactions: number;
  pendingIntents: number;
  creditedNotes: number;
  payments: number;
  lastSeq: number;
  outboxPending: number;
  unpaidOrphans: number;
  orphansWithoutAlert: number;
  auditEntries: number;
}
