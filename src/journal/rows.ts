import { ErrorCode, KioskError } from '../../core/errors.js';
import type {
  CounterAccuracy,
  NoteRecord,
  NoteState,
  OrphanCreditRecord,
  OutboxEntry,
  PaymentKind,
  PaymentPayload,
  PaymentRecord,
  TransactionRecord,
} from './journal-types.js';
import type { Statements } from './statements.js';

/** Actor of the audit entries the journal writes on its own account. */
export const SYSTEM_ACTOR = 'kioskd';
/** Counter cell for credits whose denomination the device did not report. */
export const UNKNOWN_DENOMINATION = 0;

export interface TxRow {
  tx_id: string;
  account: string;
  currency: string;
  state: TransactionRecord['state'];
  kind: PaymentKind | null;
  limit_max_amount: number;
  limit_max_notes: number | null;
  opened_at: string;
  closed_at: string | null;
}

export interface NoteRow {
  note_id: string;
  tx_id: string | null;
  device: string;
  escrow_code: string | null;
  denomination: number | null;
  state: NoteState;
  intent_at: string;
  settled_at: string | null;
  void_reason: string | null;
  cashbox_cycle: number | null;
}

export interface NoteForCreditRow {
  note_id: string;
  tx_id: string | null;
  device: string;
  denomination: number;
  state: NoteState;
  tx_state: TransactionRecord['state'] | null;
  box_cycle: number | null;
}

export interface PaymentRow {
  payment_id: string;
  seq: number;
  tx_id: string | null;
  orphan_id: string | null;
  account: string | null;
  amount: number;
  currency: string;
  kind: PaymentRecord['kind'];
  receipt: number;
  created_at: string;
}

export interface OrphanRow {
  orphan_id: string;
  note_id: string;
  reason: string;
  alert_raised_at: string | null;
  created_at: string;
  device: string;
  escrow_code: string | null;
  denomination: number | null;
  payment_id: string | null;
}

export interface OutboxRow {
  seq: number;
  /** One of payment_id and collection_id is set (migration 4). */
  payment_id: string | null;
  collection_id: string | null;
  payload: string;
  state: OutboxEntry['state'];
  attempts: number;
  last_sent_at: string | null;
  delivered_at: string | null;
}

export interface CashboxRow {
  device: string;
  capacity: number | null;
  accuracy: CounterAccuracy;
  accuracy_reason: string | null;
  cycle: number;
  collected_at: string | null;
}

export interface AuditRow {
  id: number;
  ts: string;
  actor: string;
  action: string;
  details: string;
}

export function toTransaction(row: TxRow): TransactionRecord {
  return {
    txId: row.tx_id,
    account: row.account,
    currency: row.currency,
    state: row.state,
    kind: row.kind,
    limits: { maxAmount: row.limit_max_amount, maxNotes: row.limit_max_notes },
    openedAt: row.opened_at,
    closedAt: row.closed_at,
  };
}

export function toNote(row: NoteRow): NoteRecord {
  return {
    noteId: row.note_id,
    txId: row.tx_id,
    device: row.device,
    escrowCode: row.escrow_code,
    denomination: row.denomination,
    state: row.state,
    intentAt: row.intent_at,
    settledAt: row.settled_at,
    voidReason: row.void_reason,
  };
}

export function toOrphan(row: OrphanRow): OrphanCreditRecord {
  return {
    orphanId: row.orphan_id,
    noteId: row.note_id,
    device: row.device,
    escrowCode: row.escrow_code,
    denomination: row.denomination,
    reason: row.reason,
    alertRaisedAt: row.alert_raised_at,
    createdAt: row.created_at,
    paymentId: row.payment_id,
  };
}

export function toOutbox(row: OutboxRow): OutboxEntry {
  return {
    seq: row.seq,
    paymentId: (row.payment_id ?? row.collection_id) as string,
    payload: JSON.parse(row.payload) as PaymentPayload,
    state: row.state,
    attempts: row.attempts,
    lastSentAt: row.last_sent_at,
    deliveredAt: row.delivered_at,
  };
}

export function notFound(what: string, id: string): KioskError {
  return new KioskError(ErrorCode.JournalNotFound, `${what} ${id} is not in the journal`, {
    details: { [what]: id },
  });
}

export function conflict(message: string, details: Record<string, unknown>): KioskError {
  return new KioskError(ErrorCode.JournalConflict, message, { details });
}

export function requireTx(st: Statements, txId: string): TxRow {
  const row = st.tx.get(txId) as TxRow | undefined;
  if (!row) throw notFound('txId', txId);
  return row;
}

export function requireNote(st: Statements, noteId: string): NoteRow {
  const row = st.note.get(noteId) as NoteRow | undefined;
  if (!row) throw notFound('noteId', noteId);
  return row;
}

export function requireOrphan(st: Statements, orphanId: string): OrphanRow {
  const row = st.orphan.get(orphanId) as OrphanRow | undefined;
  if (!row) throw notFound('orphanId', orphanId);
  return row;
}
