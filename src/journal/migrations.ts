import type Database from 'better-sqlite3';

/**
 * The journal schema as numbered migrations. A migration is never edited once released: a
 * kiosk in the field may hold any earlier version and must reach the newest by applying the
 * missing ones in order. Each runs in its own transaction together with its `schema_version` row,
 * so a power cut mid-upgrade leaves the previous version intact.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'initial journal: transactions, notes, payments, outbox, cashbox, orphans, commands, audit',
    sql: `
      CREATE TABLE journal_identity (
        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
        kiosk_id TEXT NOT NULL,
        created_at TEXT NOT NULL
      ) STRICT;

      CREATE TABLE transactions (
        tx_id TEXT PRIMARY KEY,
        account TEXT NOT NULL,
        currency TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('open', 'committed', 'cancelled')),
        kind TEXT CHECK (kind IN ('complete', 'partial')),
        limit_max_amount INTEGER NOT NULL CHECK (limit_max_amount >= 0),
        limit_max_notes INTEGER CHECK (limit_max_notes IS NULL OR limit_max_notes >= 0),
        opened_at TEXT NOT NULL,
        closed_at TEXT,
        CHECK ((state = 'open') = (closed_at IS NULL)),
        CHECK ((state = 'committed') = (kind IS NOT NULL))
      ) STRICT;
      CREATE INDEX transactions_open ON transactions(state) WHERE state = 'open';

      -- cycle: the cashbox collection cycle the note was counted in (see cashboxes.cycle).
      CREATE TABLE notes (
        note_id TEXT PRIMARY KEY,
        tx_id TEXT REFERENCES transactions(tx_id),
        device TEXT NOT NULL,
        escrow_code TEXT,
        denomination INTEGER CHECK (denomination IS NULL OR denomination > 0),
        state TEXT NOT NULL CHECK (state IN ('escrowIntent', 'credited', 'returned', 'voided')),
        intent_at TEXT NOT NULL,
        settled_at TEXT,
        void_reason TEXT,
        cashbox_cycle INTEGER,
        CHECK ((state = 'escrowIntent') = (settled_at IS NULL)),
        CHECK ((state = 'credited') = (cashbox_cycle IS NOT NULL)),
        CHECK (state = 'credited' OR denomination IS NOT NULL)
      ) STRICT, WITHOUT ROWID;
      -- Few indexes on purpose: every page a credit dirties is written and fsynced with it.
      CREATE INDEX notes_by_tx ON notes(tx_id);
      -- An acceptor holds at most one note in escrow.
      CREATE UNIQUE INDEX notes_one_intent_per_device ON notes(device) WHERE state = 'escrowIntent';

      CREATE TABLE orphan_credits (
        orphan_id TEXT PRIMARY KEY,
        note_id TEXT NOT NULL UNIQUE REFERENCES notes(note_id),
        reason TEXT NOT NULL,
        alert_raised_at TEXT,
        created_at TEXT NOT NULL
      ) STRICT;

      CREATE TABLE payments (
        payment_id TEXT PRIMARY KEY,
        seq INTEGER NOT NULL UNIQUE CHECK (seq >= 1),
        tx_id TEXT UNIQUE REFERENCES transactions(tx_id),
        orphan_id TEXT UNIQUE REFERENCES orphan_credits(orphan_id),
        account TEXT,
        amount INTEGER NOT NULL CHECK (amount > 0),
        currency TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('complete', 'partial', 'orphan')),
        receipt INTEGER NOT NULL CHECK (receipt IN (0, 1)),
        created_at TEXT NOT NULL,
        CHECK ((kind = 'orphan') = (orphan_id IS NOT NULL)),
        CHECK ((kind = 'orphan') = (tx_id IS NULL))
      ) STRICT;

      -- note_id is UNIQUE: the schema itself refuses a note in two payments.
      CREATE TABLE payment_notes (
        payment_id TEXT NOT NULL REFERENCES payments(payment_id),
        note_id TEXT NOT NULL UNIQUE REFERENCES notes(note_id),
        PRIMARY KEY (payment_id, note_id)
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE outbox (
        seq INTEGER PRIMARY KEY,
        payment_id TEXT NOT NULL UNIQUE REFERENCES payments(payment_id),
        payload TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'delivered')),
        attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        last_sent_at TEXT,
        delivered_at TEXT,
        CHECK ((state = 'delivered') = (delivered_at IS NOT NULL))
      ) STRICT;
      CREATE INDEX outbox_pending ON outbox(seq) WHERE state = 'pending';

      -- cycle counts collections; notes credited in the current cycle are what the box holds.
      CREATE TABLE cashboxes (
        device TEXT PRIMARY KEY,
        capacity INTEGER CHECK (capacity IS NULL OR capacity > 0),
        accuracy TEXT NOT NULL CHECK (accuracy IN ('accurate', 'inaccurate', 'unknown')),
        accuracy_reason TEXT,
        accuracy_changed_at TEXT,
        cycle INTEGER NOT NULL DEFAULT 1,
        collected_at TEXT
      ) STRICT;

      -- adjustment: what a technician's reconciliation added to (or took from) the credited notes.
      CREATE TABLE cashbox_counts (
        device TEXT NOT NULL REFERENCES cashboxes(device),
        denomination INTEGER NOT NULL CHECK (denomination >= 0),
        count INTEGER NOT NULL CHECK (count >= 0),
        adjustment INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (device, denomination)
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE processed_commands (
        cmd_id TEXT PRIMARY KEY,
        action TEXT,
        seen_at TEXT NOT NULL
      ) STRICT;
      CREATE INDEX processed_commands_seen ON processed_commands(seen_at);

      CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ts TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        details TEXT NOT NULL
      ) STRICT;
      CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused'); END;
      CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused'); END;
    `,
  },
  {
    version: 2,
    name: 'machine snapshots (persisted transaction machines) and credited totals per account',
    sql: `
      -- One row per running machine (e.g. "topUp"): the versioned xstate snapshot, so start-up
      -- recovery can put an interrupted transaction back on an explicit recovering path.
      CREATE TABLE machine_snapshots (
        machine TEXT PRIMARY KEY,
        version INTEGER NOT NULL CHECK (version >= 1),
        snapshot TEXT NOT NULL,
        updated_at TEXT NOT NULL
      ) STRICT;

      -- The daily per-account limit sums an account's credits; without this it scans every transaction.
      CREATE INDEX transactions_by_account ON transactions(account);
    `,
  },
  {
    version: 3,
    name: 'receipts: the printed receipt of each payment and its reprints',
    sql: `
      -- One row per payment a receipt was printed for (or tried). 'printing' is written before
      -- the first byte goes to the printer, so a restart finds a job it cannot vouch for and
      -- reports it instead of printing it twice.
      CREATE TABLE receipts (
        payment_id TEXT PRIMARY KEY REFERENCES payments(payment_id),
        state TEXT NOT NULL CHECK (state IN ('printing', 'printed', 'failed')),
        reason TEXT,
        lines_printed INTEGER CHECK (lines_printed IS NULL OR lines_printed >= 0),
        cut INTEGER CHECK (cut IS NULL OR cut IN (0, 1)),
        language TEXT NOT NULL,
        prints INTEGER NOT NULL CHECK (prints >= 1),
        first_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        CHECK ((state = 'failed') = (reason IS NOT NULL))
      ) STRICT;
    `,
  },
  {
    version: 4,
    name: 'cash collections (XFS4IoT Storage exchange) and the outbox carrying them in the payments seq space',
    sql: `
      -- One row per cash collection. cycle is the cashbox cycle the collection closes: UNIQUE,
      -- so no note (each credited in exactly one cycle) can be counted in two collections.
      -- seq is the collection's place in the outbox, shared with payments (fleet contiguity).
      CREATE TABLE collections (
        collection_id TEXT PRIMARY KEY,
        device TEXT NOT NULL REFERENCES cashboxes(device),
        cycle INTEGER NOT NULL CHECK (cycle >= 1),
        currency TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('started', 'counted', 'ended')),
        started_by TEXT NOT NULL,
        started_at TEXT NOT NULL,
        counted_by TEXT,
        counted_at TEXT,
        ended_by TEXT,
        ended_at TEXT,
        seq INTEGER UNIQUE CHECK (seq IS NULL OR seq >= 1),
        UNIQUE (device, cycle),
        CHECK ((state = 'started') = (counted_at IS NULL)),
        CHECK ((counted_at IS NULL) = (counted_by IS NULL)),
        CHECK ((state = 'ended') = (ended_at IS NOT NULL)),
        CHECK ((ended_at IS NULL) = (ended_by IS NULL)),
        CHECK ((state = 'ended') = (seq IS NOT NULL))
      ) STRICT;
      CREATE UNIQUE INDEX collections_one_open_per_device ON collections(device) WHERE state <> 'ended';

      -- Per denomination: expected = notes credited in the closed cycle; counted by hand.
      CREATE TABLE collection_counts (
        collection_id TEXT NOT NULL REFERENCES collections(collection_id),
        denomination INTEGER NOT NULL CHECK (denomination >= 0),
        expected INTEGER NOT NULL CHECK (expected >= 0),
        counted INTEGER CHECK (counted IS NULL OR counted >= 0),
        PRIMARY KEY (collection_id, denomination)
      ) STRICT, WITHOUT ROWID;

      -- The outbox now carries a payment or a collection (exactly one), in one seq space.
      CREATE TABLE outbox_v4 (
        seq INTEGER PRIMARY KEY,
        payment_id TEXT UNIQUE REFERENCES payments(payment_id),
        collection_id TEXT UNIQUE REFERENCES collections(collection_id),
        payload TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'delivered')),
        attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        last_sent_at TEXT,
        delivered_at TEXT,
        CHECK ((payment_id IS NULL) <> (collection_id IS NULL)),
        CHECK ((state = 'delivered') = (delivered_at IS NOT NULL))
      ) STRICT;
      INSERT INTO outbox_v4 (seq, payment_id, payload, state, attempts, last_sent_at, delivered_at)
        SELECT seq, payment_id, payload, state, attempts, last_sent_at, delivered_at FROM outbox;
      DROP TABLE outbox;
      ALTER TABLE outbox_v4 RENAME TO outbox;
      CREATE INDEX outbox_pending ON outbox(seq) WHERE state = 'pending';
    `,
  },
];

export const LATEST_SCHEMA_VERSION: number = migrations.reduce((max, m) => Math.max(max, m.version), 0);

/** 0 for an empty database (no `schema_version` table yet). */
export function currentSchemaVersion(db: Database.Database): number {
  const table = db
    .prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'schema_version'")
    .get();
  if (!table) return 0;
  const row = db.prepare('SELECT MAX(version) AS version FROM schema_version').get() as {
    version: number | null;
  };
  return row.version ?? 0;
}

/** Applies every migration newer than the database's version; returns the versions applied. */
export function migrate(db: Database.Database, appliedAt: string): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL
  ) STRICT`);
  const from = currentSchemaVersion(db);
  const applied: number[] = [];
  const record = db.prepare('INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)');
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    if (migration.version <= from) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      record.run(migration.version, migration.name, appliedAt);
    }).immediate();
    applied.push(migration.version);
  }
  return applied;
}
