import { closeSync, fstatSync, fsync, mkdirSync, openSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { ErrorCode, KioskError } from '../../core/errors.js';
import type {
  CollectionPayloadWire,
  PaymentPayloadWire,
  ServiceEventPayload,
} from '../fleet-protocol/index.js';

/**
 * The fleet ledger's durable store: one SQLite file in WAL mode. A batch is committed
 * (synchronous=NORMAL: into the WAL, not yet synced) and then made durable by
 * syncCommitted(), an fsync of the WAL on libuv's thread pool: what synchronous=FULL does
 * inside the commit, without blocking the event loop for a disk sync per batch. Nothing may
 * be acknowledged before that sync resolves. Payments are keyed on
 * (kioskId, paymentId): a resent payment is recognised and not stored twice. Several ledger
 * processes may share the file; every batch is one IMMEDIATE transaction, so each sees the
 * others' rows when it works out how far a kiosk's seqs run without a hole.
 */

export const LEDGER_SCHEMA_VERSION = 4;

/** The service events kept per kiosk: the newest; the kiosk's audit log is their record. */
export const MAX_EVENTS_PER_KIOSK = 10_000;

export interface StoredPayment {
  kioskId: string;
  paymentId: string;
  seq: number;
  account: string | null;
  amount: number;
  currency: string;
  kind: PaymentPayloadWire['kind'];
  txId: string | null;
  receipt: boolean;
  notes: PaymentPayloadWire['notes'];
  /** When the kiosk committed it (the payload's `ts`). */
  ts: string;
  receivedAt: string;
}

/** Seqs missing between a kiosk's first and highest stored seq, inclusive bounds. */
export interface SeqGap {
  kioskId: string;
  fromSeq: number;
  toSeq: number;
}

export interface IncomingPayment {
  payment: PaymentPayloadWire;
  /** The JSON exactly as received, kept for audit. */
  raw: string;
}

/** A cash collection as stored beside the payments (`kiosk/v1/{id}/collection`). */
export interface StoredCollection {
  kioskId: string;
  collectionId: string;
  seq: number;
  technician: string;
  device: string;
  startedAt: string;
  endedAt: string;
  currency: string;
  expectedValue: number;
  countedValue: number;
  difference: number;
  discrepancy: boolean;
  denominations: CollectionPayloadWire['denominations'];
  receivedAt: string;
}

/** A technician's service-mode action as stored (`kiosk/v1/{id}/event`). */
export interface StoredServiceEvent {
  kioskId: string;
  eventId: string;
  /** When the kiosk said it happened (the payload's `ts`). */
  ts: string;
  technician: string;
  action: string;
  args: string[];
  outcome: ServiceEventPayload['outcome'];
  error: string | null;
  receivedAt: string;
}

export interface IncomingCollection {
  collection: CollectionPayloadWire;
  /** The JSON exactly as received, kept for audit. */
  raw: string;
}

/** What a kiosk's outbox sends: payments and collections share its seq space. */
export type IncomingRecord = IncomingPayment | IncomingCollection;

/** The record's kiosk, id (paymentId or collectionId) and seq. */
export function recordKey(item: IncomingRecord): { kioskId: string; id: string; seq: number } {
  if ('collection' in item) {
    const c = item.collection;
    return { kioskId: c.kioskId, id: c.collectionId, seq: c.seq };
  }
  const p = item.payment;
  return { kioskId: p.kioskId, id: p.paymentId, seq: p.seq };
}

export interface KioskBatchOutcome {
  /** Payment ids newly stored by this batch, and those the store already held; both are acknowledged. */
  stored: string[];
  duplicates: string[];
  /** Every seq 1..contiguousThrough is stored (0: seq 1 is not). */
  contiguousThrough: number;
  /** Seqs of this batch that another payment id of the same kiosk already holds: a kiosk bug, reported. */
  seqConflicts: number[];
}

export interface BatchOutcome {
  byKiosk: Map<string, KioskBatchOutcome>;
  stored: number;
  duplicates: number;
}

interface PaymentRow {
  kiosk_id: string;
  payment_id: string;
  seq: number;
  account: string | null;
  amount: number;
  currency: string;
  kind: PaymentPayloadWire['kind'];
  tx_id: string | null;
  receipt: number;
  notes: string;
  ts: string;
  received_at: string;
}

/** Exported for the migration tests: the file a version 1 ledger made. */
export const LEDGER_SCHEMA_V1 = `
CREATE TABLE IF NOT EXISTS ledger_payments (
  kiosk_id    TEXT    NOT NULL,
  payment_id  TEXT    NOT NULL,
  seq         INTEGER NOT NULL CHECK (seq > 0),
  account     TEXT,
  amount      INTEGER NOT NULL CHECK (amount >= 0),
  currency    TEXT    NOT NULL,
  kind        TEXT    NOT NULL CHECK (kind IN ('complete', 'partial', 'orphan')),
  tx_id       TEXT,
  receipt     INTEGER NOT NULL CHECK (receipt IN (0, 1)),
  notes       TEXT    NOT NULL,
  ts          TEXT    NOT NULL,
  payload     TEXT    NOT NULL,
  received_at TEXT    NOT NULL,
  PRIMARY KEY (kiosk_id, payment_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ledger_payments_by_seq ON ledger_payments (kiosk_id, seq);
CREATE TABLE IF NOT EXISTS ledger_kiosks (
  kiosk_id           TEXT    PRIMARY KEY,
  contiguous_through INTEGER NOT NULL,
  max_seq            INTEGER NOT NULL
) WITHOUT ROWID;
`;

const PAYMENT_COLUMNS =
  'kiosk_id, payment_id, seq, account, amount, currency, kind, tx_id, receipt, notes, ts, payload, received_at';

/**
 * Version 2: payments in a rowid table, found by a unique index on (kioskId, paymentId). A row
 * is a few hundred bytes (the payload is kept as received), far more than a WITHOUT ROWID
 * table suits: keyed on the id, every insert landed mid-tree among big rows. Appended by
 * rowid, a payment costs ~7 µs of CPU to store against ~14 µs (measured standalone, 40,000
 * payments of 4 kiosks in batches of 125). Existing rows are copied over in seq order.
 */
const SCHEMA_V2 = `
CREATE TABLE ledger_payments_v2 (
  kiosk_id    TEXT    NOT NULL,
  payment_id  TEXT    NOT NULL,
  seq         INTEGER NOT NULL CHECK (seq > 0),
  account     TEXT,
  amount      INTEGER NOT NULL CHECK (amount >= 0),
  currency    TEXT    NOT NULL,
  kind        TEXT    NOT NULL CHECK (kind IN ('complete', 'partial', 'orphan')),
  tx_id       TEXT,
  receipt     INTEGER NOT NULL CHECK (receipt IN (0, 1)),
  notes       TEXT    NOT NULL,
  ts          TEXT    NOT NULL,
  payload     TEXT    NOT NULL,
  received_at TEXT    NOT NULL
);
INSERT INTO ledger_payments_v2 (${PAYMENT_COLUMNS})
  SELECT ${PAYMENT_COLUMNS} FROM ledger_payments ORDER BY kiosk_id, seq, payment_id;
DROP TABLE ledger_payments;
ALTER TABLE ledger_payments_v2 RENAME TO ledger_payments;
CREATE UNIQUE INDEX ledger_payments_by_id ON ledger_payments (kiosk_id, payment_id);
CREATE INDEX ledger_payments_by_seq ON ledger_payments (kiosk_id, seq);
`;

/**
 * Version 3: cash collections beside the payments. They share a kiosk's seq space, so the
 * contiguity and gap queries read both tables.
 */
const SCHEMA_V3 = `
CREATE TABLE ledger_collections (
  kiosk_id       TEXT    NOT NULL,
  collection_id  TEXT    NOT NULL,
  seq            INTEGER NOT NULL CHECK (seq > 0),
  technician     TEXT    NOT NULL,
  device         TEXT    NOT NULL,
  started_at     TEXT    NOT NULL,
  ended_at       TEXT    NOT NULL,
  currency       TEXT    NOT NULL,
  expected_value INTEGER NOT NULL CHECK (expected_value >= 0),
  counted_value  INTEGER NOT NULL CHECK (counted_value >= 0),
  difference     INTEGER NOT NULL,
  discrepancy    INTEGER NOT NULL CHECK (discrepancy IN (0, 1)),
  denominations  TEXT    NOT NULL,
  ts             TEXT    NOT NULL,
  payload        TEXT    NOT NULL,
  received_at    TEXT    NOT NULL
);
CREATE UNIQUE INDEX ledger_collections_by_id ON ledger_collections (kiosk_id, collection_id);
CREATE INDEX ledger_collections_by_seq ON ledger_collections (kiosk_id, seq);
`;

/**
 * Version 4: technicians' service events. Not money: no seq, no ack, stored as they come
 * (unique per kiosk and eventId, as QoS 1 may deliver one twice), the newest
 * MAX_EVENTS_PER_KIOSK per kiosk kept. An index on kiosk_id holds its rows in rowid (arrival)
 * order, which both the listing and the trim walk.
 */
const SCHEMA_V4 = `
CREATE TABLE ledger_events (
  kiosk_id    TEXT NOT NULL,
  event_id    TEXT NOT NULL,
  ts          TEXT NOT NULL,
  technician  TEXT NOT NULL,
  action      TEXT NOT NULL,
  args        TEXT NOT NULL,
  outcome     TEXT NOT NULL CHECK (outcome IN ('ok', 'refused', 'failed')),
  error       TEXT,
  payload     TEXT NOT NULL,
  received_at TEXT NOT NULL
);
CREATE UNIQUE INDEX ledger_events_by_id ON ledger_events (kiosk_id, event_id);
CREATE INDEX ledger_events_by_kiosk ON ledger_events (kiosk_id);
`;

const EVENT_COLUMNS = 'kiosk_id, event_id, ts, technician, action, args, outcome, error, received_at';

const COLLECTION_COLUMNS =
  'kiosk_id, collection_id, seq, technician, device, started_at, ended_at, currency, expected_value, counted_value, difference, discrepancy, denominations, ts, payload, received_at';

/** A kiosk's seqs of both kinds beyond a seq; bound (kioskId, afterSeq) twice. */
const SEQS_AFTER = `SELECT seq FROM ledger_payments WHERE kiosk_id = ? AND seq > ?
  UNION SELECT seq FROM ledger_collections WHERE kiosk_id = ? AND seq > ? ORDER BY seq`;

/** Each step takes the file from the version before it to its own, in one transaction with the rest. */
const MIGRATIONS: ReadonlyArray<{ version: number; sql: string }> = [
  { version: 1, sql: LEDGER_SCHEMA_V1 },
  { version: 2, sql: SCHEMA_V2 },
  { version: 3, sql: SCHEMA_V3 },
  { version: 4, sql: SCHEMA_V4 },
];

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Nothing to do: the descriptor is gone either way.
  }
}

function storeError(path: string, stage: string, cause: unknown): KioskError {
  if (cause instanceof KioskError) return cause;
  const message = cause instanceof Error ? cause.message : String(cause);
  const sqliteCode = (cause as { code?: unknown } | null)?.code;
  return new KioskError(ErrorCode.FleetLedgerStore, `fleet ledger ${path}: ${stage} failed: ${message}`, {
    cause,
    details: { path, stage, ...(typeof sqliteCode === 'string' ? { sqliteCode } : {}) },
  });
}

export class LedgerStore {
  readonly path: string;
  private readonly db: Database.Database;
  /**
   * The WAL, kept open between syncs: SQLite keeps one WAL file for as long as it has the
   * database open. `dirSynced`: its directory entry is known to be on disk.
   */
  private wal: { fd: number; ino: number; syncing: number; retired: boolean; dirSynced: boolean } | undefined;
  private readonly insert: Database.Statement;
  private readonly insertCollection: Database.Statement;
  private readonly insertEvent: Database.Statement;
  private readonly trimEvents: Database.Statement;
  private readonly maxEventsPerKiosk: number;
  /** Seqs of a kiosk, in a range, held by more than one payment id. */
  private readonly sharedSeqs: Database.Statement;
  private readonly idsAtSeq: Database.Statement;
  private readonly progressOf: Database.Statement;
  private readonly seqsAfter: Database.Statement;
  private readonly saveProgress: Database.Statement;
  private readonly batch: Database.Transaction<
    (items: readonly IncomingRecord[], at: string) => BatchOutcome
  >;

  private constructor(path: string, db: Database.Database, maxEventsPerKiosk: number) {
    this.path = path;
    this.db = db;
    this.maxEventsPerKiosk = maxEventsPerKiosk;
    this.insert = db.prepare(
      `INSERT OR IGNORE INTO ledger_payments (${PAYMENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.insertCollection = db.prepare(
      `INSERT OR IGNORE INTO ledger_collections (${COLLECTION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.insertEvent = db.prepare(
      `INSERT OR IGNORE INTO ledger_events (${EVENT_COLUMNS}, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    // Everything of the kiosk's older than its MAX_EVENTS_PER_KIOSK newest (in arrival order).
    this.trimEvents = db.prepare(
      `DELETE FROM ledger_events WHERE kiosk_id = ? AND rowid <= (
         SELECT rowid FROM ledger_events WHERE kiosk_id = ? ORDER BY rowid DESC LIMIT 1 OFFSET ?)`,
    );
    // Payments and collections share a kiosk's seq space: both tables are read (arguments twice).
    this.sharedSeqs = db
      .prepare(
        `SELECT seq FROM (SELECT seq FROM ledger_payments WHERE kiosk_id = ? AND seq BETWEEN ? AND ?
           UNION ALL SELECT seq FROM ledger_collections WHERE kiosk_id = ? AND seq BETWEEN ? AND ?)
         GROUP BY seq HAVING count(*) > 1 ORDER BY seq`,
      )
      .pluck();
    this.idsAtSeq = db
      .prepare(
        `SELECT (SELECT count(*) FROM ledger_payments WHERE kiosk_id = ? AND seq = ?)
              + (SELECT count(*) FROM ledger_collections WHERE kiosk_id = ? AND seq = ?)`,
      )
      .pluck();
    this.progressOf = db.prepare(
      'SELECT contiguous_through AS contiguousThrough, max_seq AS maxSeq FROM ledger_kiosks WHERE kiosk_id = ?',
    );
    this.seqsAfter = db.prepare(SEQS_AFTER).pluck();
    this.saveProgress = db.prepare(
      `INSERT INTO ledger_kiosks (kiosk_id, contiguous_through, max_seq) VALUES (?, ?, ?)
       ON CONFLICT (kiosk_id) DO UPDATE SET contiguous_through = excluded.contiguous_through,
         max_seq = max(max_seq, excluded.max_seq)`,
    );
    this.batch = db.transaction((items, at) => this.storeInTransaction(items, at));
  }

  /** Opens (creating when absent) the ledger database; refuses a file from a newer ledger. */
  static open(path: string, options: { maxEventsPerKiosk?: number } = {}): LedgerStore {
    const maxEvents = options.maxEventsPerKiosk ?? MAX_EVENTS_PER_KIOSK;
    if (!Number.isSafeInteger(maxEvents) || maxEvents < 1) {
      throw new KioskError(
        ErrorCode.FleetLedgerStore,
        `fleet ledger ${path}: maxEventsPerKiosk must be a positive integer, got ${String(maxEvents)}`,
        { details: { path, field: 'maxEventsPerKiosk' } },
      );
    }
    let db: Database.Database;
    try {
      mkdirSync(dirname(path), { recursive: true });
      db = new Database(path);
    } catch (cause) {
      throw storeError(path, 'opening', cause);
    }
    try {
      db.pragma('busy_timeout = 10000');
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') throw new Error(`could not switch to WAL (got ${String(mode)})`);
      // NORMAL: a commit writes the WAL without syncing it; syncCommitted() syncs it off the
      // event loop before anything is acknowledged. Checkpoints sync the WAL before copying
      // it into the database and the database after, as with FULL.
      db.pragma('synchronous = NORMAL');
      const migrate = db.transaction(() => {
        const found = db.pragma('user_version', { simple: true }) as number;
        if (found > LEDGER_SCHEMA_VERSION) {
          throw new KioskError(
            ErrorCode.FleetLedgerStore,
            `fleet ledger ${path} has schema version ${found}, newer than ${LEDGER_SCHEMA_VERSION} which this build knows; refusing to touch it`,
            { details: { path, found, known: LEDGER_SCHEMA_VERSION } },
          );
        }
        for (const step of MIGRATIONS) if (step.version > found) db.exec(step.sql);
        if (found < LEDGER_SCHEMA_VERSION) db.pragma(`user_version = ${LEDGER_SCHEMA_VERSION}`);
      });
      migrate.immediate();
      return new LedgerStore(path, db, maxEvents);
    } catch (cause) {
      db.close();
      throw storeError(path, 'preparing', cause);
    }
  }

  /**
   * Makes every batch committed so far durable: fsyncs the WAL file (the inode SQLite writes,
   * whichever descriptor syncs it) and, the first time this store sees a WAL file, the
   * directory that holds its name. Resolves when the disk has them; rejects with
   * FleetLedgerStore when it cannot say so (then nothing committed since the last good sync
   * may be acknowledged).
   */
  async syncCommitted(): Promise<void> {
    try {
      const wal = this.openWal();
      wal.syncing++;
      try {
        await new Promise<void>((resolve, reject) =>
          fsync(wal.fd, (error) => (error ? reject(error) : resolve())),
        );
      } finally {
        wal.syncing--;
        // Closed only once no sync uses it: a number closed early could be reused by another file.
        if (wal.retired && wal.syncing === 0) closeQuietly(wal.fd);
      }
      if (!wal.dirSynced) {
        const dir = await open(dirname(this.path), 'r');
        try {
          await dir.sync();
        } finally {
          await dir.close();
        }
        wal.dirSynced = true;
      }
    } catch (cause) {
      this.closeWal();
      throw storeError(this.path, 'syncing the WAL', cause);
    }
  }

  /**
   * The WAL file's descriptor, reopened if the file at the WAL's path is no longer the one held
   * (SQLite does not replace it while a connection is open, but a sync must never vouch for a
   * file that is not the log): one stat, on the event loop, per sync.
   */
  private openWal(): NonNullable<LedgerStore['wal']> {
    const path = `${this.path}-wal`;
    const { ino } = statSync(path);
    if (this.wal?.ino === ino) return this.wal;
    this.closeWal();
    const fd = openSync(path, 'r+');
    this.wal = { fd, ino: fstatSync(fd).ino, syncing: 0, retired: false, dirSynced: false };
    return this.wal;
  }

  private closeWal(): void {
    const wal = this.wal;
    if (wal === undefined) return;
    this.wal = undefined;
    wal.retired = true;
    if (wal.syncing === 0) closeQuietly(wal.fd);
  }

  /**
   * Stores a batch in one transaction and returns, per kiosk, what to acknowledge once
   * syncCommitted() has resolved. Throws FleetLedgerStore when the commit fails; then nothing
   * of the batch is stored and nothing may be acknowledged.
   */
  storeBatch(items: readonly IncomingRecord[], receivedAt: string): BatchOutcome {
    try {
      return this.batch.immediate(items, receivedAt);
    } catch (cause) {
      throw storeError(this.path, `storing ${items.length} payment(s)`, cause);
    }
  }

  private storeCollection(c: CollectionPayloadWire, raw: string, at: string): number {
    return this.insertCollection.run(
      c.kioskId,
      c.collectionId,
      c.seq,
      c.technician,
      c.device,
      c.startedAt,
      c.endedAt,
      c.currency,
      c.expectedValue,
      c.countedValue,
      c.difference,
      c.discrepancy ? 1 : 0,
      JSON.stringify(c.denominations),
      c.ts,
      raw,
      at,
    ).changes;
  }

  private storeInTransaction(items: readonly IncomingRecord[], at: string): BatchOutcome {
    const byKiosk = new Map<string, KioskBatchOutcome>();
    /** Seqs this batch newly stored, per kiosk. */
    const storedSeqs = new Map<string, number[]>();
    let stored = 0;
    let duplicates = 0;
    for (const item of items) {
      const key = recordKey(item);
      let outcome = byKiosk.get(key.kioskId);
      if (outcome === undefined) {
        outcome = { stored: [], duplicates: [], contiguousThrough: 0, seqConflicts: [] };
        byKiosk.set(key.kioskId, outcome);
      }
      if ('collection' in item) {
        if (this.storeCollection(item.collection, item.raw, at) === 0) {
          duplicates++;
          outcome.duplicates.push(key.id);
          continue;
        }
        stored++;
        outcome.stored.push(key.id);
        const seqs = storedSeqs.get(key.kioskId);
        if (seqs === undefined) storedSeqs.set(key.kioskId, [key.seq]);
        else seqs.push(key.seq);
        continue;
      }
      const { payment: p, raw } = item;
      const { changes } = this.insert.run(
        p.kioskId,
        p.paymentId,
        p.seq,
        p.account,
        p.amount,
        p.currency,
        p.kind,
        p.txId,
        p.receipt ? 1 : 0,
        JSON.stringify(p.notes),
        p.ts,
        raw,
        at,
      );
      if (changes === 0) {
        duplicates++;
        outcome.duplicates.push(p.paymentId);
        continue;
      }
      stored++;
      outcome.stored.push(p.paymentId);
      const seqs = storedSeqs.get(p.kioskId);
      if (seqs === undefined) storedSeqs.set(p.kioskId, [p.seq]);
      else seqs.push(p.seq);
    }
    for (const [kioskId, outcome] of byKiosk) {
      const mine = [...new Set(storedSeqs.get(kioskId))].sort((a, b) => a - b);
      const lowest = mine[0] ?? 0;
      const highest = mine.at(-1) ?? 0;
      // A seq this batch stored that another payment id of the kiosk also holds (stored by this
      // batch, an earlier one, or another instance). A batch's seqs are usually a dense run: one
      // range query per kiosk and batch; scattered ones (a late payment beside new ones) are
      // looked up one by one rather than scanning every seq between them.
      if (mine.length > 0 && highest - lowest < 4 * mine.length) {
        const wanted = new Set(mine);
        const range = [kioskId, lowest, highest];
        for (const seq of this.sharedSeqs.iterate(...range, ...range) as IterableIterator<number>) {
          if (wanted.has(seq)) outcome.seqConflicts.push(seq);
        }
      } else {
        for (const seq of mine)
          if ((this.idsAtSeq.get(kioskId, seq, kioskId, seq) as number) > 1) outcome.seqConflicts.push(seq);
      }
      const before = this.progressOf.get(kioskId) as
        | { contiguousThrough: number; maxSeq: number }
        | undefined;
      let through = before?.contiguousThrough ?? 0;
      // Usually only this batch's rows (and any held back by an earlier hole) lie beyond `through`.
      for (const seq of this.seqsAfter.iterate(
        kioskId,
        through,
        kioskId,
        through,
      ) as IterableIterator<number>) {
        if (seq !== through + 1) break;
        through = seq;
      }
      outcome.contiguousThrough = through;
      const maxSeq = Math.max(before?.maxSeq ?? 0, highest, through);
      this.saveProgress.run(kioskId, through, maxSeq);
    }
    return { byKiosk, stored, duplicates };
  }

  /** A kiosk's stored payments in seq order. */
  payments(kioskId: string): StoredPayment[] {
    const rows = this.db
      .prepare(
        `SELECT kiosk_id, payment_id, seq, account, amount, currency, kind, tx_id, receipt, notes, ts, received_at
         FROM ledger_payments WHERE kiosk_id = ? ORDER BY seq, payment_id`,
      )
      .all(kioskId) as PaymentRow[];
    return rows.map((r) => ({
      kioskId: r.kiosk_id,
      paymentId: r.payment_id,
      seq: r.seq,
      account: r.account,
      amount: r.amount,
      currency: r.currency,
      kind: r.kind,
      txId: r.tx_id,
      receipt: r.receipt === 1,
      notes: JSON.parse(r.notes) as StoredPayment['notes'],
      ts: r.ts,
      receivedAt: r.received_at,
    }));
  }

  /**
   * Stores a service event once (a repeat of its (kioskId, eventId) is ignored) and keeps the
   * kiosk's newest maxEventsPerKiosk (default MAX_EVENTS_PER_KIOSK); says whether it was new. Not synced before returning:
   * nothing is acknowledged on its word, and the kiosk's audit log is the record.
   */
  storeEvent(event: ServiceEventPayload, raw: string, receivedAt: string): boolean {
    try {
      return this.db.transaction(() => {
        const inserted = this.insertEvent.run(
          event.kioskId,
          event.eventId,
          event.ts,
          event.technician,
          event.action,
          JSON.stringify(event.args),
          event.outcome,
          event.error ?? null,
          receivedAt,
          raw,
        ).changes;
        if (inserted > 0) this.trimEvents.run(event.kioskId, event.kioskId, this.maxEventsPerKiosk);
        return inserted > 0;
      })();
    } catch (cause) {
      throw storeError(this.path, 'storing a service event', cause);
    }
  }

  /** Service events newest first (in arrival order), at most `limit`: one kiosk's or every kiosk's. */
  events(options: { kioskId?: string; limit?: number } = {}): StoredServiceEvent[] {
    const limit = options.limit ?? 1000;
    const rows = (
      options.kioskId === undefined
        ? this.db.prepare(`SELECT ${EVENT_COLUMNS} FROM ledger_events ORDER BY rowid DESC LIMIT ?`).all(limit)
        : this.db
            .prepare(
              `SELECT ${EVENT_COLUMNS} FROM ledger_events WHERE kiosk_id = ? ORDER BY rowid DESC LIMIT ?`,
            )
            .all(options.kioskId, limit)
    ) as Array<Record<string, unknown>>;
    return rows.map((r) => ({
      kioskId: r['kiosk_id'] as string,
      eventId: r['event_id'] as string,
      ts: r['ts'] as string,
      technician: r['technician'] as string,
      action: r['action'] as string,
      args: JSON.parse(r['args'] as string) as string[],
      outcome: r['outcome'] as StoredServiceEvent['outcome'],
      error: (r['error'] as string | null) ?? null,
      receivedAt: r['received_at'] as string,
    }));
  }

  /** Cash collections in seq order: one kiosk's, or (newest first, at most `limit`) every kiosk's. */
  collections(options: { kioskId?: string; limit?: number } = {}): StoredCollection[] {
    const limit = options.limit ?? 1000;
    const rows = (
      options.kioskId === undefined
        ? this.db
            .prepare(
              `SELECT ${COLLECTION_COLUMNS} FROM ledger_collections ORDER BY ended_at DESC, kiosk_id LIMIT ?`,
            )
            .all(limit)
        : this.db
            .prepare(
              `SELECT ${COLLECTION_COLUMNS} FROM ledger_collections WHERE kiosk_id = ? ORDER BY seq LIMIT ?`,
            )
            .all(options.kioskId, limit)
    ) as Array<Record<string, unknown>>;
    return rows.map((r) => ({
      kioskId: r['kiosk_id'] as string,
      collectionId: r['collection_id'] as string,
      seq: r['seq'] as number,
      technician: r['technician'] as string,
      device: r['device'] as string,
      startedAt: r['started_at'] as string,
      endedAt: r['ended_at'] as string,
      currency: r['currency'] as string,
      expectedValue: r['expected_value'] as number,
      countedValue: r['counted_value'] as number,
      difference: r['difference'] as number,
      discrepancy: r['discrepancy'] === 1,
      denominations: JSON.parse(r['denominations'] as string) as StoredCollection['denominations'],
      receivedAt: r['received_at'] as string,
    }));
  }

  /** How far a kiosk's seqs run without a hole, and the highest one stored. */
  progress(kioskId: string): { contiguousThrough: number; maxSeq: number } | undefined {
    return this.progressOf.get(kioskId) as { contiguousThrough: number; maxSeq: number } | undefined;
  }

  /** Every hole below a kiosk's highest stored seq, read from the database (so across ledger instances). */
  gaps(kioskId?: string): SeqGap[] {
    const gapped = this.db
      .prepare(
        `SELECT kiosk_id AS kioskId, contiguous_through AS through FROM ledger_kiosks
         WHERE max_seq > contiguous_through ${kioskId === undefined ? '' : 'AND kiosk_id = ?'}
         ORDER BY kiosk_id`,
      )
      .all(...(kioskId === undefined ? [] : [kioskId])) as { kioskId: string; through: number }[];
    const gaps: SeqGap[] = [];
    for (const { kioskId: id, through } of gapped) {
      let last = through;
      for (const seq of this.seqsAfter.iterate(id, through, id, through) as IterableIterator<number>) {
        if (seq > last + 1) gaps.push({ kioskId: id, fromSeq: last + 1, toSeq: seq - 1 });
        last = seq;
      }
    }
    return gaps;
  }

  /** Row counts, for the ledger's stats and for operators checking a run. */
  totals(): { payments: number; kiosks: number } {
    const payments = this.db.prepare('SELECT count(*) FROM ledger_payments').pluck().get() as number;
    const kiosks = this.db.prepare('SELECT count(*) FROM ledger_kiosks').pluck().get() as number;
    return { payments, kiosks };
  }

  close(): void {
    this.closeWal();
    if (this.db.open) this.db.close();
  }
}
