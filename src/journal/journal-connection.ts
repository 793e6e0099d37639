import type Database from 'better-sqlite3';
import { ErrorCode, KioskError } from '../../core/errors.js';
import type { Logger } from '../log.js';
import { prepareStatements, type Statements } from './statements.js';
import { createUlidFactory, type UlidFactory } from './ulid.js';

/**
 * The one SQLite connection every journal concern shares, with its prepared statements and
 * the transaction helpers. A concern never opens its own transaction inside another's: a
 * compound write (a credit touching notes, counters and audit) calls the other concerns'
 * `…InTransaction` helpers from inside one `write`, so it stays one commit and one fsync.
 */
export class JournalConnection {
  readonly st: Statements;
  readonly newId: UlidFactory;
  private readonly inTransaction: {
    immediate: (fn: () => unknown) => unknown;
    deferred: (fn: () => unknown) => unknown;
  };

  constructor(
    readonly db: Database.Database,
    readonly path: string,
    readonly kioskId: string,
    /** Currency of every payment this kiosk takes. */
    readonly currency: string,
    readonly log: Logger,
    private readonly clock: () => Date,
  ) {
    this.newId = createUlidFactory({ now: () => this.clock().getTime() });
    this.st = prepareStatements(db);
    this.inTransaction = db.transaction((fn: () => unknown) => fn());
  }

  now(): string {
    return this.clock().toISOString();
  }

  write<T>(operation: string, fn: () => T): T {
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
  writeUnsynced<T>(operation: string, fn: () => T): T {
    return this.guard(operation, () => {
      this.db.pragma('synchronous = NORMAL');
      try {
        return this.inTransaction.immediate(fn) as T;
      } finally {
        this.db.pragma('synchronous = FULL');
      }
    });
  }

  readSnapshot<T>(operation: string, fn: () => T): T {
    return this.guard(operation, () => this.inTransaction.deferred(fn) as T);
  }

  read<T>(operation: string, fn: () => T): T {
    return this.guard(operation, fn);
  }

  guard<T>(operation: string, fn: () => T): T {
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
