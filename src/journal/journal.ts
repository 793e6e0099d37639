import type Database from 'better-sqlite3';
import { ErrorCode, KioskError } from '../../core/errors.js';
import type { Logger } from '../log.js';
import { JournalAudit } from './audit.js';
import { JournalCashbox } from './cashbox.js';
import { JournalCollections } from './collections.js';
import { JournalCommands } from './commands.js';
import { type ConservationChecker, createConservationChecker } from './conservation.js';
import { openJournalDatabase } from './database-open.js';
import { JournalConnection } from './journal-connection.js';
import type { ConservationViolation, JournalSummary } from './journal-types.js';
import { JournalNotes } from './notes.js';
import { JournalOrphans } from './orphans.js';
import { JournalOutbox } from './outbox.js';
import { JournalPayments } from './payments.js';
import { JournalReceipts } from './receipts.js';
import { conflict, SYSTEM_ACTOR } from './rows.js';
import { JournalSnapshots } from './snapshots.js';
import { JournalTransactions } from './transactions.js';
import * as check from './validate.js';

export type { CollectionPayload, CollectionRecord, CollectionState } from './collection-types.js';
export type { DeliveryAck, OutboxPayload } from './outbox.js';

export interface JournalOpenOptions {
  path: string;
  kioskId: string;
  logger: Logger;
  clock?: () => Date;
  /** Currency of every payment this kiosk takes; CNY unless configured. */
  currency?: string;
}

/**
 * The kiosk's durable record of every note and payment (DESIGN.md invariant 1), one object per
 * concern on one SQLite connection. Every method that changes state is one SQLite transaction;
 * with WAL and synchronous=FULL the change is on disk when the call returns, which is what lets
 * the caller acknowledge a note to the device. A write spanning concerns (a credit's note,
 * counter and audit rows; a payment and its outbox row) is one method of the concern owning the
 * money write, which calls the others' `…InTransaction` helpers inside its own commit.
 * Calls are synchronous on purpose: no other code can interleave between check and write.
 */
export class Journal {
  readonly path: string;
  readonly kioskId: string;
  readonly schemaVersion: number;
  readonly audit: JournalAudit;
  readonly cashbox: JournalCashbox;
  readonly commands: JournalCommands;
  readonly transactions: JournalTransactions;
  readonly notes: JournalNotes;
  readonly payments: JournalPayments;
  readonly orphans: JournalOrphans;
  readonly outbox: JournalOutbox;
  readonly receipts: JournalReceipts;
  readonly snapshots: JournalSnapshots;
  readonly collections: JournalCollections;
  private readonly c: JournalConnection;
  private readonly db: Database.Database;
  private readonly log: Logger;
  private readonly conservation: ConservationChecker;

  private constructor(connection: JournalConnection, schemaVersion: number) {
    this.c = connection;
    this.db = connection.db;
    this.path = connection.path;
    this.kioskId = connection.kioskId;
    this.log = connection.log;
    this.schemaVersion = schemaVersion;
    this.audit = new JournalAudit(connection);
    this.cashbox = new JournalCashbox(connection, this.audit);
    this.commands = new JournalCommands(connection);
    this.transactions = new JournalTransactions(connection);
    this.notes = new JournalNotes(connection, this.cashbox, this.audit);
    this.payments = new JournalPayments(connection, this.audit);
    this.orphans = new JournalOrphans(connection, this.cashbox, this.payments, this.audit);
    this.outbox = new JournalOutbox(connection, this.audit);
    this.receipts = new JournalReceipts(connection, this.audit);
    this.snapshots = new JournalSnapshots(connection);
    this.collections = new JournalCollections(connection, this.cashbox, this.audit);
    this.conservation = createConservationChecker(connection.db);
  }

  static open(options: JournalOpenOptions): Journal {
    const path = check.text('path', options.path, 4096);
    const kioskId = check.text('kioskId', options.kioskId, 64);
    const currency = check.currency('currency', options.currency ?? 'CNY');
    const clock = options.clock ?? (() => new Date());
    const { db, schemaVersion, migrationsApplied } = openJournalDatabase(path, () => clock().toISOString());
    let journal: Journal;
    try {
      const log = options.logger.child({ component: 'journal' });
      journal = new Journal(new JournalConnection(db, path, kioskId, currency, log, clock), schemaVersion);
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

  summary(): JournalSummary {
    return this.c.readSnapshot('summary', () => ({
      schemaVersion: this.schemaVersion,
      kioskId: this.kioskId,
      ...(this.c.st.summary.get() as Omit<JournalSummary, 'schemaVersion' | 'kioskId'>),
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
    return this.c.read('durability', () => ({
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
    return this.c.guard('checkConservation', () => this.conservation());
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

  private claimIdentity(): void {
    this.c.write('claimIdentity', () => {
      const row = this.c.st.identity.get() as { kiosk_id: string } | undefined;
      if (!row) {
        this.c.st.insertIdentity.run(this.kioskId, this.c.now());
        this.audit.appendInTransaction(SYSTEM_ACTOR, 'journal.created', {
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
}
