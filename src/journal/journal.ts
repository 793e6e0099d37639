import type Database from 'better-sqlite3';
import { ErrorCode, KioskError } from '../../core/errors.js';
import type { Logger } from '../log.js';
import { type ConservationChecker, createConservationChecker } from './conservation.js';
import { openJournalDatabase } from './database-open.js';
import type {
  AuditEntry,
  CashboxCounters,
  CommitCreditResult,
  CommitPaymentResult,
  ConservationViolation,
  CounterAccuracy,
  JournalSummary,
  NoteRecord,
  NoteState,
  OrphanCreditRecord,
  OutboxEntry,
  OutboxStats,
  PaymentKind,
  PaymentPayload,
  PaymentRecord,
  TransactionLimits,
  TransactionRecord,
} from './journal-types.js';
import { groupNotes, paymentPayload } from './payment-payload.js';
import { createUlidFactory, type UlidFactory } from './ulid.js';
import * as check from './validate.js';

/** What a ledger ack says was stored: every seq through `throughSeq`, named payments, or both. */
export type DeliveryAck =
  | { throughSeq: number; paymentIds?: readonly string[] }
  | { throughSeq?: number; paymentIds: readonly string[] };

/** A pending outbox row with its payload as the JSON text frozen at commit. */
export interface OutboxPayload {
  seq: number;
  paymentId: string;
  payload: string;
}

export interface JournalOpenOptions {
  path: string;
  kioskId: string;
  logger: Logger;
  clock?: () => Date;
  /** Currency of every payment this kiosk takes; CNY unless configured. */
  currency?: string;
}

const PAYMENT_KINDS: readonly PaymentKind[] = ['complete', 'partial'];
const ACCURACIES: readonly CounterAccuracy[] = ['accurate', 'inaccurate', 'unknown'];
const SYSTEM_ACTOR = 'kioskd';
/** Counter cell for credits whose denomination the device did not report. */
const UNKNOWN_DENOMINATION = 0;
const MAX_OUTBOX_BATCH = 1000;

interface TxRow {
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

interface NoteRow {
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

interface NoteForCreditRow {
  note_id: string;
  tx_id: string | null;
  device: string;
  denomination: number;
  state: NoteState;
  tx_state: TransactionRecord['state'] | null;
  box_cycle: number | null;
}

interface PaymentRow {
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

interface OrphanRow {
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

interface OutboxRow {
  seq: number;
  payment_id: string;
  payload: string;
  state: OutboxEntry['state'];
  attempts: number;
  last_sent_at: string | null;
  delivered_at: string | null;
}

interface CashboxRow {
  device: string;
  capacity: number | null;
  accuracy: CounterAccuracy;
  accuracy_reason: string | null;
  cycle: number;
  collected_at: string | null;
}

interface AuditRow {
  id: number;
  ts: string;
  actor: string;
  action: string;
  details: string;
}

function toTransaction(row: TxRow): TransactionRecord {
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

function toNote(row: NoteRow): NoteRecord {
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

function toOrphan(row: OrphanRow): OrphanCreditRecord {
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

function toOutbox(row: OutboxRow): OutboxEntry {
  return {
    seq: row.seq,
    paymentId: row.payment_id,
    payload: JSON.parse(row.payload) as PaymentPayload,
    state: row.state,
    attempts: row.attempts,
    lastSentAt: row.last_sent_at,
    deliveredAt: row.delivered_at,
  };
}

function notFound(what: string, id: string): KioskError {
  return new KioskError(ErrorCode.JournalNotFound, `${what} ${id} is not in the journal`, {
    details: { [what]: id },
  });
}

function conflict(message: string, details: Record<string, unknown>): KioskError {
  return new KioskError(ErrorCode.JournalConflict, message, { details });
}

function prepareStatements(db: Database.Database) {
  const s = (sql: string) => db.prepare(sql);
  return {
    identity: s('SELECT kiosk_id FROM journal_identity WHERE singleton = 1'),
    insertIdentity: s('INSERT INTO journal_identity (singleton, kiosk_id, created_at) VALUES (1, ?, ?)'),
    schemaVersion: s('SELECT MAX(version) AS v FROM schema_version'),

    insertTx:
      s(`INSERT INTO transactions (tx_id, account, currency, state, limit_max_amount, limit_max_notes, opened_at)
                 VALUES (?, ?, ?, 'open', ?, ?, ?)`),
    tx: s('SELECT * FROM transactions WHERE tx_id = ?'),
    openTxs: s("SELECT * FROM transactions WHERE state = 'open' ORDER BY tx_id"),
    closeTx: s(
      "UPDATE transactions SET state = ?, kind = ?, closed_at = ? WHERE tx_id = ? AND state = 'open'",
    ),

    insertIntent: s(`INSERT INTO notes (note_id, tx_id, device, escrow_code, denomination, state, intent_at)
                     VALUES (?, ?, ?, ?, ?, 'escrowIntent', ?)`),
    insertCreditedNote:
      s(`INSERT INTO notes (note_id, tx_id, device, escrow_code, denomination, state, intent_at,
                             settled_at, cashbox_cycle)
                           VALUES (?, NULL, ?, ?, ?, 'credited', ?, ?, ?)`),
    note: s('SELECT * FROM notes WHERE note_id = ?'),
    noteForCredit:
      s(`SELECT n.note_id, n.tx_id, n.device, n.denomination, n.state, t.state AS tx_state, b.cycle AS box_cycle
                      FROM notes n
                      LEFT JOIN transactions t ON t.tx_id = n.tx_id
                      LEFT JOIN cashboxes b ON b.device = n.device
                      WHERE n.note_id = ?`),
    pendingIntent: s("SELECT * FROM notes WHERE device = ? AND state = 'escrowIntent'"),
    allPendingIntents: s("SELECT * FROM notes WHERE state = 'escrowIntent' ORDER BY note_id"),
    latestNote: s('SELECT * FROM notes WHERE device = ? ORDER BY note_id DESC LIMIT 1'),
    notesOfTx: s('SELECT * FROM notes WHERE tx_id = ? ORDER BY note_id'),
    creditNote: s(
      "UPDATE notes SET state = 'credited', settled_at = ?, cashbox_cycle = ? WHERE note_id = ? AND state = 'escrowIntent'",
    ),
    settleNote: s(
      "UPDATE notes SET state = ?, settled_at = ?, void_reason = ? WHERE note_id = ? AND state = 'escrowIntent'",
    ),
    setNoteDenomination: s('UPDATE notes SET denomination = ? WHERE note_id = ? AND denomination IS NULL'),

    ensureCashbox: s(
      "INSERT INTO cashboxes (device, accuracy) VALUES (?, 'unknown') ON CONFLICT (device) DO NOTHING",
    ),
    cashbox: s('SELECT * FROM cashboxes WHERE device = ?'),
    cashboxDevices: s('SELECT device FROM cashboxes ORDER BY device'),
    setAccuracy: s(
      'UPDATE cashboxes SET accuracy = ?, accuracy_reason = ?, accuracy_changed_at = ? WHERE device = ?',
    ),
    setCapacity: s('UPDATE cashboxes SET capacity = ? WHERE device = ?'),
    startCycle: s('UPDATE cashboxes SET cycle = cycle + 1, collected_at = ? WHERE device = ?'),
    bumpCount: s(`INSERT INTO cashbox_counts (device, denomination, count) VALUES (?, ?, 1)
                  ON CONFLICT (device, denomination) DO UPDATE SET count = count + 1`),
    dropCount: s(
      'UPDATE cashbox_counts SET count = count - 1 WHERE device = ? AND denomination = ? AND count > 0',
    ),
    counts: s('SELECT denomination, count FROM cashbox_counts WHERE device = ? ORDER BY denomination DESC'),
    creditedInCycle: s(`SELECT COALESCE(n.denomination, 0) AS denomination, COUNT(*) AS notes
                        FROM notes n JOIN cashboxes b ON b.device = n.device AND n.cashbox_cycle = b.cycle
                        WHERE n.device = ? AND n.state = 'credited' GROUP BY 1`),
    clearCounts: s('DELETE FROM cashbox_counts WHERE device = ?'),
    setCount: s('INSERT INTO cashbox_counts (device, denomination, count, adjustment) VALUES (?, ?, ?, ?)'),

    insertOrphan: s(
      'INSERT INTO orphan_credits (orphan_id, note_id, reason, created_at) VALUES (?, ?, ?, ?)',
    ),
    orphan: s(`SELECT o.*, n.device, n.escrow_code, n.denomination, p.payment_id
               FROM orphan_credits o JOIN notes n ON n.note_id = o.note_id
               LEFT JOIN payments p ON p.orphan_id = o.orphan_id WHERE o.orphan_id = ?`),
    orphanOfNote: s('SELECT orphan_id FROM orphan_credits WHERE note_id = ?'),
    orphans: s(`SELECT o.*, n.device, n.escrow_code, n.denomination, p.payment_id
                FROM orphan_credits o JOIN notes n ON n.note_id = o.note_id
                LEFT JOIN payments p ON p.orphan_id = o.orphan_id
                WHERE (? = 0 OR p.payment_id IS NULL) ORDER BY o.orphan_id`),
    markOrphanAlerted: s(
      'UPDATE orphan_credits SET alert_raised_at = ? WHERE orphan_id = ? AND alert_raised_at IS NULL',
    ),

    nextSeq: s('SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM payments'),
    insertPayment:
      s(`INSERT INTO payments (payment_id, seq, tx_id, orphan_id, account, amount, currency, kind, receipt,
                        created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    insertPaymentNote: s('INSERT INTO payment_notes (payment_id, note_id) VALUES (?, ?)'),
    insertOutbox: s("INSERT INTO outbox (seq, payment_id, payload, state) VALUES (?, ?, ?, 'pending')"),
    payment: s('SELECT * FROM payments WHERE payment_id = ?'),
    paymentOfTx: s('SELECT * FROM payments WHERE tx_id = ?'),
    paymentOfOrphan: s('SELECT * FROM payments WHERE orphan_id = ?'),
    lastPayment: s('SELECT * FROM payments ORDER BY seq DESC LIMIT 1'),
    paymentNoteDenominations:
      s(`SELECT n.denomination FROM payment_notes pn JOIN notes n ON n.note_id = pn.note_id
                                 WHERE pn.payment_id = ?`),

    outboxPending: s("SELECT * FROM outbox WHERE state = 'pending' AND seq > ? ORDER BY seq LIMIT ?"),
    outboxPendingPayloads: s(
      "SELECT seq, payment_id AS paymentId, payload FROM outbox WHERE state = 'pending' AND seq > ? ORDER BY seq LIMIT ?",
    ),
    outboxBySeq: s('SELECT * FROM outbox WHERE seq = ?'),
    deliverThrough: s(
      "UPDATE outbox SET state = 'delivered', delivered_at = ? WHERE state = 'pending' AND seq <= ?",
    ),
    deliverPayment: s(
      "UPDATE outbox SET state = 'delivered', delivered_at = ? WHERE state = 'pending' AND payment_id = ?",
    ),
    outboxHasPayment: s('SELECT 1 FROM outbox WHERE payment_id = ?'),
    recordAttempt: s(
      "UPDATE outbox SET attempts = attempts + 1, last_sent_at = ? WHERE seq = ? AND state = 'pending'",
    ),
    outboxStats: s(`SELECT
                      COALESCE(SUM(state = 'pending'), 0) AS pending,
                      COALESCE(SUM(state = 'delivered'), 0) AS delivered,
                      COALESCE(MAX(seq), 0) AS lastSeq,
                      MIN(CASE WHEN state = 'pending' THEN seq END) AS oldestPendingSeq,
                      COALESCE(MAX(CASE WHEN state = 'pending' THEN attempts END), 0) AS maxPendingAttempts
                    FROM outbox`),

    insertAudit: s('INSERT INTO audit_log (ts, actor, action, details) VALUES (?, ?, ?, ?)'),
    auditTail: s('SELECT * FROM (SELECT * FROM audit_log ORDER BY id DESC LIMIT ?) ORDER BY id'),

    rememberCommand: s(
      'INSERT INTO processed_commands (cmd_id, action, seen_at) VALUES (?, ?, ?) ON CONFLICT (cmd_id) DO NOTHING',
    ),
    pruneCommands: s('DELETE FROM processed_commands WHERE seen_at < ?'),

    creditedForAccount: s(`SELECT COALESCE(SUM(n.denomination), 0) AS total
                           FROM transactions t JOIN notes n ON n.tx_id = t.tx_id
                           WHERE t.account = ? AND n.state = 'credited' AND n.settled_at >= ?`),

    saveSnapshot:
      s(`INSERT INTO machine_snapshots (machine, version, snapshot, updated_at) VALUES (?, ?, ?, ?)
                     ON CONFLICT (machine) DO UPDATE SET version = excluded.version,
                       snapshot = excluded.snapshot, updated_at = excluded.updated_at`),
    snapshot: s('SELECT * FROM machine_snapshots WHERE machine = ?'),
    deleteSnapshot: s('DELETE FROM machine_snapshots WHERE machine = ?'),

    summary: s(`SELECT
      (SELECT COUNT(*) FROM transactions WHERE state = 'open') AS openTransactions,
      (SELECT COUNT(*) FROM notes WHERE state = 'escrowIntent') AS pendingIntents,
      (SELECT COUNT(*) FROM notes WHERE state = 'credited') AS creditedNotes,
      (SELECT COUNT(*) FROM payments) AS payments,
      (SELECT COALESCE(MAX(seq), 0) FROM payments) AS lastSeq,
      (SELECT COUNT(*) FROM outbox WHERE state = 'pending') AS outboxPending,
      (SELECT COUNT(*) FROM orphan_credits o WHERE NOT EXISTS
         (SELECT 1 FROM payments p WHERE p.orphan_id = o.orphan_id)) AS unpaidOrphans,
      (SELECT COUNT(*) FROM orphan_credits WHERE alert_raised_at IS NULL) AS orphansWithoutAlert,
      (SELECT COUNT(*) FROM audit_log) AS auditEntries`),
  };
}

type Statements = ReturnType<typeof prepareStatements>;

/**
 * The kiosk's durable record of every note and payment (DESIGN.md invariant 1). Every method
 * that changes state is one SQLite transaction; with WAL and synchronous=FULL the change is on
 * disk when the call returns, which is what lets the caller acknowledge a note to the device.
 * Calls are synchronous on purpose: no other code can interleave between check and write.
 */
export class Journal {
  readonly path: string;
  readonly kioskId: string;
  readonly schemaVersion: number;
  private readonly db: Database.Database;
  private readonly st: Statements;
  private readonly log: Logger;
  private readonly clock: () => Date;
  private readonly currency: string;
  private readonly newId: UlidFactory;
  private readonly inTransaction: {
    immediate: (fn: () => unknown) => unknown;
    deferred: (fn: () => unknown) => unknown;
  };
  private readonly conservation: ConservationChecker;

  private constructor(
    db: Database.Database,
    options: Required<Omit<JournalOpenOptions, 'logger'>> & { logger: Logger },
    schemaVersion: number,
  ) {
    this.db = db;
    this.path = options.path;
    this.kioskId = options.kioskId;
    this.clock = options.clock;
    this.currency = options.currency;
    this.log = options.logger.child({ component: 'journal' });
    this.schemaVersion = schemaVersion;
    this.newId = createUlidFactory({ now: () => this.clock().getTime() });
    this.st = prepareStatements(db);
    this.inTransaction = db.transaction((fn: () => unknown) => fn());
    this.conservation = createConservationChecker(db);
  }

  static open(options: JournalOpenOptions): Journal {
    const path = check.text('path', options.path, 4096);
    const kioskId = check.text('kioskId', options.kioskId, 64);
    const currency = check.currency('currency', options.currency ?? 'CNY');
    const clock = options.clock ?? (() => new Date());
    const { db, schemaVersion, migrationsApplied } = openJournalDatabase(path, () => clock().toISOString());
    let journal: Journal;
    try {
      journal = new Journal(db, { path, kioskId, clock, currency, logger: options.logger }, schemaVersion);
      journal.claimIdentity();
    } catch (error) {
      db.close();
      throw error instanceof KioskError
        ? error
        : new KioskError(
            ErrorCode.JournalIo,
            `journal ${path}: preparing statements failed: ${String(error)}`,
            {
              cause: error,
              details: { path },
            },
          );
    }
    journal.log.info({ path, schemaVersion, migrationsApplied }, 'journal open');
    return journal;
  }

  get isOpen(): boolean {
    return this.db.open;
  }

  close(): void {
    if (!this.db.open) return;
    this.db.close();
    this.log.info({ path: this.path }, 'journal closed');
  }

  // ---------------------------------------------------------------- transactions and notes

  openTransaction(input: {
    account: string;
    limits: TransactionLimits;
    currency?: string;
  }): TransactionRecord {
    const account = check.text('account', input?.account, 64);
    const maxAmount = check.integer('limits.maxAmount', input.limits?.maxAmount, 0);
    const maxNotes =
      input.limits.maxNotes === undefined || input.limits.maxNotes === null
        ? null
        : check.integer('limits.maxNotes', input.limits.maxNotes, 0);
    const currency = check.currency('currency', input.currency ?? this.currency);
    return this.write('openTransaction', () => {
      const txId = this.newId();
      this.st.insertTx.run(txId, account, currency, maxAmount, maxNotes, this.now());
      return toTransaction(this.st.tx.get(txId) as TxRow);
    });
  }

  transaction(txId: string): TransactionRecord {
    const id = check.text('txId', txId, 64);
    return this.read('transaction', () => toTransaction(this.requireTx(id)));
  }

  /** Written before STACK is sent: a power cut after this line leaves a trace to reconcile. */
  recordEscrowIntent(input: {
    txId: string | null;
    device: string;
    escrowCode: string;
    denomination: number;
  }): string {
    const txId = input?.txId === null ? null : check.text('txId', input?.txId, 64);
    const device = check.text('device', input.device, 64);
    const escrowCode = check.text('escrowCode', input.escrowCode, 64);
    const denomination = check.denomination('denomination', input.denomination);
    return this.write('recordEscrowIntent', () => {
      if (txId !== null) {
        const tx = this.requireTx(txId);
        if (tx.state !== 'open') {
          throw conflict(`transaction ${txId} is ${tx.state}; it takes no more notes`, {
            txId,
            state: tx.state,
          });
        }
      }
      const pending = this.st.pendingIntent.get(device) as NoteRow | undefined;
      if (pending) {
        throw conflict(`device ${device} already has note ${pending.note_id} in escrow; settle it first`, {
          device,
          pendingNoteId: pending.note_id,
        });
      }
      const noteId = this.newId();
      this.st.insertIntent.run(noteId, txId, device, escrowCode, denomination, this.now());
      return noteId;
    });
  }

  pendingEscrowIntent(device: string): NoteRecord | null {
    const name = check.text('device', device, 64);
    return this.read('pendingEscrowIntent', () => {
      const row = this.st.pendingIntent.get(name) as NoteRow | undefined;
      return row ? toNote(row) : null;
    });
  }

  /** Every device's unsettled intent, for start-up reconciliation. */
  pendingEscrowIntents(): NoteRecord[] {
    return this.read('pendingEscrowIntents', () =>
      (this.st.allPendingIntents.all() as NoteRow[]).map(toNote),
    );
  }

  /**
   * The device's most recent note (ids are time-ordered ULIDs). A device only stacks the note
   * the host last told it to, so a credit repeated after a restart belongs to this note.
   */
  latestNote(device: string): NoteRecord | null {
    const name = check.text('device', device, 64);
    return this.read('latestNote', () => {
      const row = this.st.latestNote.get(name) as NoteRow | undefined;
      return row ? toNote(row) : null;
    });
  }

  note(noteId: string): NoteRecord {
    const id = check.text('noteId', noteId, 64);
    return this.read('note', () => toNote(this.requireNote(id)));
  }

  /**
   * Committed before the device's credit is acknowledged. Idempotent, because the device
   * repeats its credit report until acknowledged: a second call for the same note changes nothing.
   */
  commitCredit(input: { noteId: string }): CommitCreditResult {
    const noteId = check.text('noteId', input?.noteId, 64);
    return this.write('commitCredit', () => {
      // One lookup for note, transaction and cashbox: this is the hot path between two fsyncs.
      const note = this.st.noteForCredit.get(noteId) as NoteForCreditRow | undefined;
      if (!note) throw notFound('noteId', noteId);
      if (note.state === 'credited') {
        const orphan = this.st.orphanOfNote.get(noteId) as { orphan_id: string } | undefined;
        return { noteId, alreadyCredited: true, orphanId: orphan?.orphan_id ?? null };
      }
      if (note.state !== 'escrowIntent') {
        throw conflict(
          `note ${noteId} was ${note.state}; a credit for it must be recorded as an orphan credit`,
          {
            noteId,
            state: note.state,
          },
        );
      }
      const now = this.now();
      const cycle = note.box_cycle ?? this.cashboxCycle(note.device);
      this.st.creditNote.run(now, cycle, noteId);
      this.st.bumpCount.run(note.device, note.denomination);

      // Money the device took must land somewhere: without an open transaction it becomes an orphan.
      if (note.tx_state === 'open') return { noteId, alreadyCredited: false, orphanId: null };
      const reason =
        note.tx_id === null
          ? 'credited without a transaction'
          : `credited after transaction ${note.tx_id} was ${note.tx_state}`;
      const orphanId = this.newId();
      this.st.insertOrphan.run(orphanId, noteId, reason, now);
      this.auditInTx(SYSTEM_ACTOR, 'orphan.recorded', {
        orphanId,
        noteId,
        device: note.device,
        denomination: note.denomination,
        reason,
      });
      this.log.warn({ orphanId, noteId, device: note.device, reason }, 'orphan credit recorded');
      return { noteId, alreadyCredited: false, orphanId };
    });
  }

  /** The note went back to the customer. Repeating it is harmless; returning a credited note is not possible. */
  markReturned(input: { noteId: string }): { alreadyReturned: boolean } {
    const noteId = check.text('noteId', input?.noteId, 64);
    return this.write('markReturned', () => ({ alreadyReturned: this.settle(noteId, 'returned', null) }));
  }

  /** An intent that never reached the device (crash before STACK, or the device reports no note). */
  voidIntent(input: { noteId: string; reason: string }): { alreadyVoided: boolean } {
    const noteId = check.text('noteId', input?.noteId, 64);
    const reason = check.text('reason', input.reason);
    return this.write('voidIntent', () => {
      const alreadyVoided = this.settle(noteId, 'voided', reason);
      if (!alreadyVoided) this.auditInTx(SYSTEM_ACTOR, 'note.voided', { noteId, reason });
      return { alreadyVoided };
    });
  }

  transactionNotes(txId: string): NoteRecord[] {
    const id = check.text('txId', txId, 64);
    return this.read('transactionNotes', () => {
      this.requireTx(id);
      return (this.st.notesOfTx.all(id) as NoteRow[]).map(toNote);
    });
  }

  /** Open transactions with their notes: what crash recovery has to finish. */
  unfinishedTransactions(): Array<TransactionRecord & { notes: NoteRecord[] }> {
    return this.readSnapshot('unfinishedTransactions', () =>
      (this.st.openTxs.all() as TxRow[]).map((row) => ({
        ...toTransaction(row),
        notes: (this.st.notesOfTx.all(row.tx_id) as NoteRow[]).map(toNote),
      })),
    );
  }

  /**
   * What an account was credited since `since` (every credited note of its transactions, open
   * ones included): the daily per-account limit counts money already in the cashbox, paid out or not.
   */
  creditedTotalForAccount(account: string, since: Date): number {
    const name = check.text('account', account, 64);
    const from = check.date('since', since).toISOString();
    return this.read(
      'creditedTotalForAccount',
      () => (this.st.creditedForAccount.get(name, from) as { total: number }).total,
    );
  }

  // ---------------------------------------------------------------- machine snapshots

  /** Replaces the persisted snapshot of a running machine (e.g. "topUp"); durable on return. */
  saveMachineSnapshot(machine: string, input: { version: number; snapshot: Record<string, unknown> }): void {
    const name = check.text('machine', machine, 64);
    const version = check.integer('version', input?.version, 1);
    const snapshot = JSON.stringify(check.jsonObject('snapshot', input.snapshot));
    this.write('saveMachineSnapshot', () => {
      this.st.saveSnapshot.run(name, version, snapshot, this.now());
    });
  }

  machineSnapshot(
    machine: string,
  ): { version: number; snapshot: Record<string, unknown>; updatedAt: string } | null {
    const name = check.text('machine', machine, 64);
    return this.read('machineSnapshot', () => {
      const row = this.st.snapshot.get(name) as
        | { version: number; snapshot: string; updated_at: string }
        | undefined;
      if (!row) return null;
      return {
        version: row.version,
        snapshot: JSON.parse(row.snapshot) as Record<string, unknown>,
        updatedAt: row.updated_at,
      };
    });
  }

  /** The machine ended (or recovery settled it); true when there was a snapshot to delete. */
  deleteMachineSnapshot(machine: string): boolean {
    const name = check.text('machine', machine, 64);
    return this.write('deleteMachineSnapshot', () => this.st.deleteSnapshot.run(name).changes === 1);
  }

  // ---------------------------------------------------------------- payments

  /**
   * Closes the transaction and, if any note was credited, creates its payment, the next
   * gap-free seq and the outbox row, all in one database transaction: either the customer's
   * money is a payment waiting for delivery, or nothing changed.
   */
  commitPayment(input: { txId: string; kind: PaymentKind; receipt: boolean }): CommitPaymentResult {
    const txId = check.text('txId', input?.txId, 64);
    const kind = check.oneOf('kind', input.kind, PAYMENT_KINDS);
    const receipt = check.boolean('receipt', input.receipt);
    return this.write('commitPayment', () => {
      const tx = this.requireTx(txId);
      if (tx.state === 'cancelled') return { outcome: 'cancelled', txId, alreadyClosed: true };
      if (tx.state === 'committed') {
        return {
          outcome: 'committed',
          payment: this.paymentFromRow(this.st.paymentOfTx.get(txId) as PaymentRow),
          alreadyClosed: true,
        };
      }
      const notes = this.st.notesOfTx.all(txId) as NoteRow[];
      const inEscrow = notes.filter((n) => n.state === 'escrowIntent');
      if (inEscrow.length > 0) {
        throw conflict(
          `transaction ${txId} still has note ${inEscrow[0]?.note_id} in escrow; credit or return it first`,
          {
            txId,
            pendingNoteIds: inEscrow.map((n) => n.note_id),
          },
        );
      }
      const credited = notes.filter((n) => n.state === 'credited');
      const now = this.now();
      if (credited.length === 0) {
        this.st.closeTx.run('cancelled', null, now, txId);
        this.auditInTx(SYSTEM_ACTOR, 'transaction.cancelled', { txId, notesReturned: notes.length });
        return { outcome: 'cancelled', txId, alreadyClosed: false };
      }
      const payment = this.insertPayment({
        txId,
        orphanId: null,
        account: tx.account,
        currency: tx.currency,
        kind,
        receipt,
        notes: credited,
        createdAt: now,
      });
      this.st.closeTx.run('committed', kind, now, txId);
      this.auditInTx(SYSTEM_ACTOR, 'payment.committed', {
        paymentId: payment.paymentId,
        seq: payment.seq,
        txId,
        amount: payment.amount,
        kind,
      });
      return { outcome: 'committed', payment, alreadyClosed: false };
    });
  }

  payment(paymentId: string): PaymentRecord {
    const id = check.text('paymentId', paymentId, 64);
    return this.read('payment', () => {
      const row = this.st.payment.get(id) as PaymentRow | undefined;
      if (!row) throw notFound('paymentId', id);
      return this.paymentFromRow(row);
    });
  }

  /** The payment with the highest seq; null before the first. One index lookup (health reads it often). */
  lastPayment(): PaymentRecord | null {
    return this.read('lastPayment', () => {
      const row = this.st.lastPayment.get() as PaymentRow | undefined;
      return row ? this.paymentFromRow(row) : null;
    });
  }

  /** The payment a committed transaction made; null while it is open or when it was cancelled. */
  transactionPayment(txId: string): PaymentRecord | null {
    const id = check.text('txId', txId, 64);
    return this.read('transactionPayment', () => {
      this.requireTx(id);
      const row = this.st.paymentOfTx.get(id) as PaymentRow | undefined;
      return row ? this.paymentFromRow(row) : null;
    });
  }

  // ---------------------------------------------------------------- orphan credits

  /**
   * A credit the device reported with no intent to match (e.g. power-up with a bill in the
   * stacker). The money is in the box, so it is counted and kept for an orphan payment.
   */
  recordOrphanCredit(input: {
    device: string;
    escrowCode?: string | null;
    denomination?: number | null;
    reason: string;
  }): { orphanId: string; noteId: string } {
    const device = check.text('device', input?.device, 64);
    const escrowCode = check.optionalText('escrowCode', input.escrowCode, 64);
    const denomination =
      input.denomination === undefined || input.denomination === null
        ? null
        : check.denomination('denomination', input.denomination);
    const reason = check.text('reason', input.reason);
    return this.write('recordOrphanCredit', () => {
      const now = this.now();
      const noteId = this.newId();
      const orphanId = this.newId();
      this.st.insertCreditedNote.run(
        noteId,
        device,
        escrowCode,
        denomination,
        now,
        now,
        this.cashboxCycle(device),
      );
      this.st.bumpCount.run(device, denomination ?? UNKNOWN_DENOMINATION);
      this.st.insertOrphan.run(orphanId, noteId, reason, now);
      if (denomination === null) {
        this.changeAccuracy(device, 'inaccurate', `orphan credit ${orphanId} of unknown denomination`);
      }
      this.auditInTx(SYSTEM_ACTOR, 'orphan.recorded', {
        orphanId,
        noteId,
        device,
        escrowCode,
        denomination,
        reason,
      });
      this.log.warn({ orphanId, noteId, device, denomination, reason }, 'orphan credit recorded');
      return { orphanId, noteId };
    });
  }

  orphanCredit(orphanId: string): OrphanCreditRecord {
    const id = check.text('orphanId', orphanId, 64);
    return this.read('orphanCredit', () => toOrphan(this.requireOrphan(id)));
  }

  orphanCredits(options: { unpaidOnly?: boolean } = {}): OrphanCreditRecord[] {
    const unpaidOnly =
      options.unpaidOnly === undefined ? false : check.boolean('unpaidOnly', options.unpaidOnly);
    return this.read('orphanCredits', () =>
      (this.st.orphans.all(unpaidOnly ? 1 : 0) as OrphanRow[]).map(toOrphan),
    );
  }

  /** Records that the fleet was told; the first raise wins so the alert time stays truthful. */
  markOrphanAlerted(orphanId: string): { alreadyRaised: boolean } {
    const id = check.text('orphanId', orphanId, 64);
    return this.write('markOrphanAlerted', () => {
      this.requireOrphan(id);
      return { alreadyRaised: this.st.markOrphanAlerted.run(this.now(), id).changes === 0 };
    });
  }

  /** A technician found what an unreported orphan note was worth; moves it to its counter cell. */
  resolveOrphanDenomination(orphanId: string, denomination: number, technician: string): OrphanCreditRecord {
    const id = check.text('orphanId', orphanId, 64);
    const value = check.denomination('denomination', denomination);
    const who = check.text('technician', technician, 64);
    return this.write('resolveOrphanDenomination', () => {
      const orphan = this.requireOrphan(id);
      if (orphan.denomination !== null) {
        throw conflict(`orphan ${id} already has denomination ${orphan.denomination}`, {
          orphanId: id,
          denomination: orphan.denomination,
        });
      }
      this.st.setNoteDenomination.run(value, orphan.note_id);
      const note = this.requireNote(orphan.note_id);
      const box = this.st.cashbox.get(orphan.device) as CashboxRow | undefined;
      // Only a note still in the current cycle is in the counters; a collected one left with the box.
      if (box !== undefined && note.cashbox_cycle === box.cycle) {
        this.st.dropCount.run(orphan.device, UNKNOWN_DENOMINATION);
        this.st.bumpCount.run(orphan.device, value);
      }
      this.auditInTx(who, 'orphan.denominationResolved', {
        orphanId: id,
        noteId: orphan.note_id,
        denomination: value,
      });
      return toOrphan(this.requireOrphan(id));
    });
  }

  /** Turns an orphan credit into a `kind: orphan` payment so the fleet can credit someone by hand. */
  commitOrphanPayment(orphanId: string): { payment: PaymentRecord; alreadyPaid: boolean } {
    const id = check.text('orphanId', orphanId, 64);
    return this.write('commitOrphanPayment', () => {
      const orphan = this.requireOrphan(id);
      const existing = this.st.paymentOfOrphan.get(id) as PaymentRow | undefined;
      if (existing) return { payment: this.paymentFromRow(existing), alreadyPaid: true };
      if (orphan.denomination === null) {
        throw conflict(`orphan ${id} has no known denomination; resolve it before paying it out`, {
          orphanId: id,
        });
      }
      const note = this.requireNote(orphan.note_id);
      const payment = this.insertPayment({
        txId: null,
        orphanId: id,
        account: null,
        currency: this.currency,
        kind: 'orphan',
        receipt: false,
        notes: [note],
        createdAt: this.now(),
      });
      this.auditInTx(SYSTEM_ACTOR, 'payment.committed', {
        paymentId: payment.paymentId,
        seq: payment.seq,
        orphanId: id,
        amount: payment.amount,
        kind: 'orphan',
      });
      return { payment, alreadyPaid: false };
    });
  }

  // ---------------------------------------------------------------- outbox

  outboxPending(options: { afterSeq?: number; limit: number }): OutboxEntry[] {
    const afterSeq = check.integer('afterSeq', options?.afterSeq ?? 0, 0);
    const limit = check.integer('limit', options.limit, 1, MAX_OUTBOX_BATCH);
    return this.read('outboxPending', () =>
      (this.st.outboxPending.all(afterSeq, limit) as OutboxRow[]).map(toOutbox),
    );
  }

  /**
   * The same rows as outboxPending, with the payload as the text frozen at commit: what the
   * fleet link publishes byte for byte, without parsing and re-serialising it on every send.
   */
  outboxPendingPayloads(options: { afterSeq?: number; limit: number }): OutboxPayload[] {
    const afterSeq = check.integer('afterSeq', options?.afterSeq ?? 0, 0);
    const limit = check.integer('limit', options.limit, 1, MAX_OUTBOX_BATCH);
    return this.read(
      'outboxPendingPayloads',
      () => this.st.outboxPendingPayloads.all(afterSeq, limit) as OutboxPayload[],
    );
  }

  /** The fleet link sent these rows; attempts and last send time feed health and back-off. */
  recordSendAttempt(seqs: readonly number[]): number {
    const list = check.array('seqs', seqs).map((seq, i) => check.integer(`seqs[${i}]`, seq, 1));
    return this.writeUnsynced('recordSendAttempt', () => {
      const now = this.now();
      return list.reduce((changed, seq) => changed + this.st.recordAttempt.run(now, seq).changes, 0);
    });
  }

  /**
   * The ledger stored these payments durably: every seq up to `throughSeq`, and the named
   * `paymentIds` (either or both, applied in one transaction and one disk sync). Idempotent:
   * acks repeat after reconnects, and an already delivered row is not counted again. An ack
   * beyond the last seq (JournalBadInput) or naming payments this journal never made
   * (JournalNotFound) is refused whole, since it means the ledger and kiosk disagree about
   * what exists.
   */
  markDelivered(ack: DeliveryAck): number {
    const given = ack !== null && typeof ack === 'object' ? (ack as Partial<Record<string, unknown>>) : {};
    const hasThrough = given['throughSeq'] !== undefined;
    const hasIds = given['paymentIds'] !== undefined;
    if ((!hasThrough && !hasIds) || (hasIds && !Array.isArray(given['paymentIds']))) {
      throw new KioskError(
        ErrorCode.JournalBadInput,
        'markDelivered needs { throughSeq }, { paymentIds: [...] } or both',
        { details: { field: 'ack' } },
      );
    }
    const throughSeq = hasThrough ? check.integer('throughSeq', given['throughSeq'], 0) : undefined;
    const ids = hasIds
      ? [
          ...new Set(
            (given['paymentIds'] as unknown[]).map((id, i) => check.text(`paymentIds[${i}]`, id, 64)),
          ),
        ]
      : [];
    return this.writeUnsynced('markDelivered', () => {
      const now = this.now();
      let changed = 0;
      if (throughSeq !== undefined) {
        const last = (this.st.nextSeq.get() as { seq: number }).seq - 1;
        if (throughSeq > last) {
          throw new KioskError(
            ErrorCode.JournalBadInput,
            `throughSeq ${throughSeq} is beyond the last payment seq ${last}`,
            { details: { field: 'throughSeq', throughSeq, lastSeq: last } },
          );
        }
        changed += this.st.deliverThrough.run(now, throughSeq).changes;
      }
      if (ids.length > 0) {
        const unknown = ids.filter((id) => this.st.outboxHasPayment.get(id) === undefined);
        if (unknown.length > 0) {
          throw new KioskError(
            ErrorCode.JournalNotFound,
            `ack names payments this journal never made: ${unknown.join(', ')}`,
            { details: { paymentIds: unknown } },
          );
        }
        changed += ids.reduce((n, id) => n + this.st.deliverPayment.run(now, id).changes, 0);
      }
      if (changed > 0) {
        this.auditInTx('fleet', 'outbox.delivered', {
          ...(throughSeq === undefined ? {} : { throughSeq }),
          ...(ids.length === 0 ? {} : { paymentIds: ids }),
          changed,
        });
      }
      return changed;
    });
  }

  outboxStats(): OutboxStats {
    return this.readSnapshot('outboxStats', () => {
      const row = this.st.outboxStats.get() as Omit<OutboxStats, 'oldestPendingCreatedAt'>;
      const oldest =
        row.oldestPendingSeq === null
          ? undefined
          : (this.st.outboxBySeq.get(row.oldestPendingSeq) as OutboxRow);
      return {
        ...row,
        oldestPendingCreatedAt: oldest ? (JSON.parse(oldest.payload) as PaymentPayload).ts : null,
      };
    });
  }

  // ---------------------------------------------------------------- cashbox

  cashboxCounters(device: string): CashboxCounters {
    const name = check.text('device', device, 64);
    return this.readSnapshot('cashboxCounters', () => this.countersOf(name));
  }

  /** Devices the journal has counted notes for (or configured). */
  cashboxDevices(): string[] {
    return this.read('cashboxDevices', () =>
      (this.st.cashboxDevices.all() as { device: string }[]).map((r) => r.device),
    );
  }

  setCashboxCapacity(device: string, capacity: number | null): void {
    const name = check.text('device', device, 64);
    const value = capacity === null ? null : check.integer('capacity', capacity, 1);
    this.write('setCashboxCapacity', () => {
      this.st.ensureCashbox.run(name);
      const before = (this.st.cashbox.get(name) as CashboxRow).capacity;
      if (before === value) return;
      this.st.setCapacity.run(value, name);
      this.auditInTx(SYSTEM_ACTOR, 'cashbox.capacity', { device: name, before, after: value });
    });
  }

  /** E.g. `inaccurate` after a jam the device could not account for; audited with its reason. */
  setCounterAccuracy(device: string, accuracy: CounterAccuracy, reason: string): void {
    const name = check.text('device', device, 64);
    const value = check.oneOf('accuracy', accuracy, ACCURACIES);
    const why = check.text('reason', reason);
    this.write('setCounterAccuracy', () => this.changeAccuracy(name, value, why));
  }

  /**
   * A technician counted the box by hand. Their counts become the counters (denominations not
   * listed hold none), the difference to what the journal credited is kept as an adjustment
   * for the audit trail, and the counters are accurate again.
   */
  reconcileCashbox(
    device: string,
    counts: ReadonlyArray<{ denomination: number; count: number }>,
    technician: string,
  ): CashboxCounters {
    const name = check.text('device', device, 64);
    const who = check.text('technician', technician, 64);
    const seen = new Set<number>();
    const entries = check.array('counts', counts).map((entry, i) => {
      const denomination = check.integer(`counts[${i}].denomination`, entry?.denomination, 0);
      const count = check.integer(`counts[${i}].count`, entry.count, 0);
      if (seen.has(denomination)) {
        throw new KioskError(ErrorCode.JournalBadInput, `counts lists denomination ${denomination} twice`, {
          details: { field: `counts[${i}].denomination`, denomination },
        });
      }
      seen.add(denomination);
      return { denomination, count };
    });
    return this.write('reconcileCashbox', () => {
      this.st.ensureCashbox.run(name);
      const before = this.countersOf(name);
      const credited = new Map(
        (this.st.creditedInCycle.all(name) as { denomination: number; notes: number }[]).map((r) => [
          r.denomination,
          r.notes,
        ]),
      );
      const cells = new Map<number, number>(entries.map((e) => [e.denomination, e.count]));
      for (const denomination of credited.keys()) if (!cells.has(denomination)) cells.set(denomination, 0);
      this.st.clearCounts.run(name);
      for (const [denomination, count] of cells) {
        this.st.setCount.run(name, denomination, count, count - (credited.get(denomination) ?? 0));
      }
      this.st.setAccuracy.run('accurate', `reconciled by ${who}`, this.now(), name);
      const after = this.countersOf(name);
      this.auditInTx(who, 'cashbox.reconciled', {
        device: name,
        before: before.denominations,
        after: after.denominations,
        accuracyBefore: before.accuracy,
      });
      return after;
    });
  }

  /** The box was emptied: counters restart at zero in a new cycle. Returns what was taken away. */
  collectCashbox(device: string, technician: string): CashboxCounters {
    const name = check.text('device', device, 64);
    const who = check.text('technician', technician, 64);
    return this.write('collectCashbox', () => {
      this.st.ensureCashbox.run(name);
      const taken = this.countersOf(name);
      const now = this.now();
      this.st.clearCounts.run(name);
      this.st.startCycle.run(now, name);
      this.st.setAccuracy.run('accurate', `collected by ${who}`, now, name);
      this.auditInTx(who, 'cashbox.collected', {
        device: name,
        taken: taken.denominations,
        totalCount: taken.totalCount,
        totalValue: taken.totalValue,
        accuracyBefore: taken.accuracy,
      });
      return taken;
    });
  }

  // ---------------------------------------------------------------- fleet commands, audit, health

  /** Replay protection: true only the first time a command id is seen. */
  rememberCommand(input: { cmdId: string; action?: string }): { firstSeen: boolean } {
    const cmdId = check.text('cmdId', input?.cmdId, 128);
    const action = check.optionalText('action', input.action, 64);
    return this.write('rememberCommand', () => ({
      firstSeen: this.st.rememberCommand.run(cmdId, action, this.now()).changes === 1,
    }));
  }

  /** Command ids older than any command's expiry can go: freshness rejects those replays already. */
  pruneCommandIds(olderThan: Date): number {
    const before = check.date('olderThan', olderThan).toISOString();
    return this.write('pruneCommandIds', () => this.st.pruneCommands.run(before).changes);
  }

  audit(actor: string, action: string, details: Record<string, unknown> = {}): number {
    const who = check.text('actor', actor, 64);
    const what = check.text('action', action, 64);
    const data = check.jsonObject('details', details);
    return this.write('audit', () => this.auditInTx(who, what, data));
  }

  /** The last n audit entries, oldest first. */
  auditTail(n: number): AuditEntry[] {
    const limit = check.integer('n', n, 1);
    return this.read('auditTail', () =>
      (this.st.auditTail.all(limit) as AuditRow[]).map((r) => ({
        id: r.id,
        ts: r.ts,
        actor: r.actor,
        action: r.action,
        details: JSON.parse(r.details) as Record<string, unknown>,
      })),
    );
  }

  summary(): JournalSummary {
    return this.readSnapshot('summary', () => ({
      schemaVersion: this.schemaVersion,
      kioskId: this.kioskId,
      ...(this.st.summary.get() as Omit<JournalSummary, 'schemaVersion' | 'kioskId'>),
    }));
  }

  /** The connection's durability and memory settings, for diagnostics and to prove they took effect. */
  durability(): {
    journalMode: string;
    synchronous: 'off' | 'normal' | 'full' | 'extra';
    foreignKeys: boolean;
    /** SQLite's page cache bound: negative is KiB, positive is pages. */
    cacheSize: number;
  } {
    return this.read('durability', () => ({
      journalMode: String(this.db.pragma('journal_mode', { simple: true })),
      synchronous:
        (['off', 'normal', 'full', 'extra'] as const)[
          Number(this.db.pragma('synchronous', { simple: true }))
        ] ?? 'off',
      foreignKeys: this.db.pragma('foreign_keys', { simple: true }) === 1,
      cacheSize: Number(this.db.pragma('cache_size', { simple: true })),
    }));
  }

  /** Every breach of invariant 1 the journal can see; empty when all money is accounted for. */
  checkConservation(): ConservationViolation[] {
    return this.guard('checkConservation', () => this.conservation());
  }

  /** Start-up gate: throws JournalInvariant listing the violations, if any. */
  assertConservation(): void {
    const violations = this.checkConservation();
    if (violations.length === 0) return;
    throw new KioskError(
      ErrorCode.JournalInvariant,
      `journal ${this.path} breaks money conservation: ${violations
        .slice(0, 3)
        .map((v) => v.message)
        .join('; ')}${violations.length > 3 ? ` (+${violations.length - 3} more)` : ''}`,
      { details: { violations } },
    );
  }

  // ---------------------------------------------------------------- internals

  private now(): string {
    return this.clock().toISOString();
  }

  private claimIdentity(): void {
    this.write('claimIdentity', () => {
      const row = this.st.identity.get() as { kiosk_id: string } | undefined;
      if (!row) {
        this.st.insertIdentity.run(this.kioskId, this.now());
        this.auditInTx(SYSTEM_ACTOR, 'journal.created', {
          kioskId: this.kioskId,
          schemaVersion: this.schemaVersion,
        });
        return;
      }
      // seq and paymentIds are per kiosk: publishing one kiosk's journal under another id breaks the ledger.
      if (row.kiosk_id !== this.kioskId) {
        throw conflict(`journal ${this.path} belongs to kiosk ${row.kiosk_id}, not ${this.kioskId}`, {
          path: this.path,
          journalKioskId: row.kiosk_id,
          configuredKioskId: this.kioskId,
        });
      }
    });
  }

  private requireTx(txId: string): TxRow {
    const row = this.st.tx.get(txId) as TxRow | undefined;
    if (!row) throw notFound('txId', txId);
    return row;
  }

  private requireNote(noteId: string): NoteRow {
    const row = this.st.note.get(noteId) as NoteRow | undefined;
    if (!row) throw notFound('noteId', noteId);
    return row;
  }

  private requireOrphan(orphanId: string): OrphanRow {
    const row = this.st.orphan.get(orphanId) as OrphanRow | undefined;
    if (!row) throw notFound('orphanId', orphanId);
    return row;
  }

  /** Moves an intent to returned/voided; true when the note was already in that state. */
  private settle(noteId: string, state: 'returned' | 'voided', reason: string | null): boolean {
    const note = this.requireNote(noteId);
    if (note.state === state) return true;
    if (note.state !== 'escrowIntent') {
      throw conflict(`note ${noteId} is ${note.state}; it cannot become ${state}`, {
        noteId,
        state: note.state,
      });
    }
    this.st.settleNote.run(state, this.now(), reason, noteId);
    return false;
  }

  private cashboxCycle(device: string): number {
    this.st.ensureCashbox.run(device);
    return (this.st.cashbox.get(device) as CashboxRow).cycle;
  }

  private changeAccuracy(device: string, accuracy: CounterAccuracy, reason: string): void {
    this.st.ensureCashbox.run(device);
    const before = (this.st.cashbox.get(device) as CashboxRow).accuracy;
    this.st.setAccuracy.run(accuracy, reason, this.now(), device);
    this.auditInTx(SYSTEM_ACTOR, 'cashbox.accuracy', { device, before, after: accuracy, reason });
  }

  private countersOf(device: string): CashboxCounters {
    const box = this.st.cashbox.get(device) as CashboxRow | undefined;
    const denominations = (this.st.counts.all(device) as { denomination: number; count: number }[])
      .filter((r) => r.count > 0)
      .map((r) => ({ denomination: r.denomination, count: r.count, value: r.denomination * r.count }));
    const totalCount = denominations.reduce((n, d) => n + d.count, 0);
    const capacity = box?.capacity ?? null;
    return {
      device,
      capacity,
      accuracy: box?.accuracy ?? 'unknown',
      accuracyReason: box?.accuracy_reason ?? null,
      collectedAt: box?.collected_at ?? null,
      totalCount,
      totalValue: denominations.reduce((n, d) => n + d.value, 0),
      fill: capacity === null ? null : totalCount / capacity,
      denominations,
    };
  }

  private insertPayment(input: {
    txId: string | null;
    orphanId: string | null;
    account: string | null;
    currency: string;
    kind: PaymentRecord['kind'];
    receipt: boolean;
    notes: NoteRow[];
    createdAt: string;
  }): PaymentRecord {
    const denominations = input.notes.map((n) => {
      if (n.denomination === null) {
        throw conflict(`note ${n.note_id} has no known denomination`, { noteId: n.note_id });
      }
      return n.denomination;
    });
    const amount = denominations.reduce((sum, d) => sum + d, 0);
    if (!Number.isSafeInteger(amount)) {
      throw new KioskError(ErrorCode.JournalInvariant, `payment amount ${amount} is not a safe integer`, {
        details: { amount },
      });
    }
    // MAX+1 inside the write transaction: the immediate lock makes it gap-free and unique.
    const seq = (this.st.nextSeq.get() as { seq: number }).seq;
    const payment: PaymentRecord = {
      paymentId: this.newId(),
      seq,
      txId: input.txId,
      orphanId: input.orphanId,
      account: input.account,
      amount,
      currency: input.currency,
      kind: input.kind,
      receipt: input.receipt,
      createdAt: input.createdAt,
      notes: groupNotes(denominations),
    };
    this.st.insertPayment.run(
      payment.paymentId,
      seq,
      payment.txId,
      payment.orphanId,
      payment.account,
      amount,
      payment.currency,
      payment.kind,
      payment.receipt ? 1 : 0,
      payment.createdAt,
    );
    for (const note of input.notes) this.st.insertPaymentNote.run(payment.paymentId, note.note_id);
    this.st.insertOutbox.run(seq, payment.paymentId, JSON.stringify(paymentPayload(this.kioskId, payment)));
    return payment;
  }

  private paymentFromRow(row: PaymentRow): PaymentRecord {
    const denominations = (
      this.st.paymentNoteDenominations.all(row.payment_id) as { denomination: number }[]
    ).map((r) => r.denomination);
    return {
      paymentId: row.payment_id,
      seq: row.seq,
      txId: row.tx_id,
      orphanId: row.orphan_id,
      account: row.account,
      amount: row.amount,
      currency: row.currency,
      kind: row.kind,
      receipt: row.receipt === 1,
      createdAt: row.created_at,
      notes: groupNotes(denominations),
    };
  }

  private auditInTx(actor: string, action: string, details: Record<string, unknown>): number {
    return Number(
      this.st.insertAudit.run(this.now(), actor, action, JSON.stringify(details)).lastInsertRowid,
    );
  }

  private write<T>(operation: string, fn: () => T): T {
    return this.guard(operation, () => this.inTransaction.immediate(fn) as T);
  }

  /**
   * A write that may be lost to a power cut without harm: committed to the WAL without the
   * disk sync of every other write (synchronous=NORMAL for this one commit), and made durable
   * by the next synced write or checkpoint, which sync the whole log in order. Only for
   * records whose loss is repaired by the protocol: a delivery mark undone by a power cut
   * makes the kiosk resend payments the ledger holds, and the ledger acknowledges them again.
   * A crash of the process alone loses nothing (the WAL is in the OS's hands).
   */
  private writeUnsynced<T>(operation: string, fn: () => T): T {
    return this.guard(operation, () => {
      this.db.pragma('synchronous = NORMAL');
      try {
        return this.inTransaction.immediate(fn) as T;
      } finally {
        this.db.pragma('synchronous = FULL');
      }
    });
  }

  private readSnapshot<T>(operation: string, fn: () => T): T {
    return this.guard(operation, () => this.inTransaction.deferred(fn) as T);
  }

  private read<T>(operation: string, fn: () => T): T {
    return this.guard(operation, fn);
  }

  private guard<T>(operation: string, fn: () => T): T {
    if (!this.db.open) {
      throw new KioskError(ErrorCode.JournalIo, `journal ${this.path} is closed; ${operation} refused`, {
        details: { path: this.path, operation },
      });
    }
    try {
      return fn();
    } catch (error) {
      if (error instanceof KioskError) throw error;
      const code = (error as { code?: unknown } | null)?.code;
      const corrupt =
        typeof code === 'string' && (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB');
      const message = error instanceof Error ? error.message : String(error);
      this.log.error({ operation, err: error }, 'journal operation failed');
      throw new KioskError(
        corrupt ? ErrorCode.JournalCorrupt : ErrorCode.JournalIo,
        `journal ${this.path}: ${operation} failed: ${message}`,
        {
          cause: error,
          details: { path: this.path, operation, ...(typeof code === 'string' ? { sqliteCode: code } : {}) },
        },
      );
    }
  }
}
