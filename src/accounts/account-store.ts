import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { ErrorCode, KioskError } from '../../core/errors.js';

/**
 * The account service's durable state, one SQLite file in WAL mode: accounts (CN mobile
 * number, balance in fen, the service password as a scrypt hash string, wrong tries, locked
 * until) and credits (one row per fleet payment, keyed on its paymentId, so a payment offered
 * twice is credited once). Never a clear password.
 */

export const ACCOUNT_SCHEMA_VERSION = 1;

const SCHEMA_V1 = `
CREATE TABLE accounts (
  account       TEXT    PRIMARY KEY,
  balance_fen   INTEGER NOT NULL CHECK (balance_fen >= 0),
  password_hash TEXT    NOT NULL,
  wrong_tries   INTEGER NOT NULL DEFAULT 0 CHECK (wrong_tries >= 0),
  locked_until  TEXT,
  created_at    TEXT    NOT NULL
) WITHOUT ROWID;
CREATE TABLE credits (
  payment_id  TEXT    PRIMARY KEY,
  account     TEXT    NOT NULL REFERENCES accounts (account),
  amount_fen  INTEGER NOT NULL CHECK (amount_fen > 0),
  credited_at TEXT    NOT NULL
);
CREATE INDEX credits_by_account ON credits (account, credited_at);
`;

/** Mainland China mobile numbers: 11 digits starting 13 to 19. */
export const CN_MOBILE_PATTERN = /^1[3-9][0-9]{9}$/;

export interface AccountRecord {
  account: string;
  balanceFen: number;
  passwordHash: string;
  wrongTries: number;
  /** ISO time; set while kiosk queries are refused after too many wrong passwords. */
  lockedUntil: string | null;
}

export type CreditResult = { credited: boolean } | { unknownAccount: true };

interface AccountRow {
  account: string;
  balance_fen: number;
  password_hash: string;
  wrong_tries: number;
  locked_until: string | null;
}

function storeError(path: string, stage: string, cause: unknown): KioskError {
  if (cause instanceof KioskError) return cause;
  const message = cause instanceof Error ? cause.message : String(cause);
  return new KioskError(ErrorCode.ApiInternal, `account store ${path}: ${stage} failed: ${message}`, {
    cause,
    details: { path, stage },
  });
}

const toRecord = (row: AccountRow): AccountRecord => ({
  account: row.account,
  balanceFen: row.balance_fen,
  passwordHash: row.password_hash,
  wrongTries: row.wrong_tries,
  lockedUntil: row.locked_until,
});

export class AccountStore {
  readonly path: string;
  private readonly db: Database.Database;
  private readonly selectAccount: Database.Statement;
  private readonly insertCredit: Database.Statement;
  private readonly addToBalance: Database.Statement;
  private readonly creditTransaction: Database.Transaction<
    (paymentId: string, account: string, amountFen: number, at: string) => CreditResult
  >;

  private constructor(path: string, db: Database.Database) {
    this.path = path;
    this.db = db;
    this.selectAccount = db.prepare(
      'SELECT account, balance_fen, password_hash, wrong_tries, locked_until FROM accounts WHERE account = ?',
    );
    this.insertCredit = db.prepare(
      'INSERT OR IGNORE INTO credits (payment_id, account, amount_fen, credited_at) VALUES (?, ?, ?, ?)',
    );
    this.addToBalance = db.prepare('UPDATE accounts SET balance_fen = balance_fen + ? WHERE account = ?');
    this.creditTransaction = db.transaction((paymentId, account, amountFen, at) => {
      if (this.selectAccount.get(account) === undefined) return { unknownAccount: true };
      const { changes } = this.insertCredit.run(paymentId, account, amountFen, at);
      if (changes === 0) return { credited: false };
      this.addToBalance.run(amountFen, account);
      return { credited: true };
    });
  }

  /** Opens (creating when absent) the account database; refuses one from a newer build. */
  static open(path: string): AccountStore {
    let db: Database.Database;
    try {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      db = new Database(path);
    } catch (cause) {
      throw storeError(path, 'opening', cause);
    }
    try {
      db.pragma('busy_timeout = 5000');
      db.pragma('journal_mode = WAL');
      // A credit and a lockout must survive a power cut once answered.
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
      const found = db.pragma('user_version', { simple: true }) as number;
      if (found > ACCOUNT_SCHEMA_VERSION) {
        throw new KioskError(
          ErrorCode.ConfigInvalid,
          `account store ${path} has schema version ${found}, newer than ${ACCOUNT_SCHEMA_VERSION} which this build knows; refusing to touch it`,
        );
      }
      if (found < 1) {
        db.transaction(() => {
          db.exec(SCHEMA_V1);
          db.pragma(`user_version = ${ACCOUNT_SCHEMA_VERSION}`);
        }).immediate();
      }
      return new AccountStore(path, db);
    } catch (cause) {
      db.close();
      throw storeError(path, 'preparing', cause);
    }
  }

  get(account: string): AccountRecord | undefined {
    const row = this.selectAccount.get(account) as AccountRow | undefined;
    return row === undefined ? undefined : toRecord(row);
  }

  /** Adds an account; false when the number exists already (nothing changed). */
  add(account: string, balanceFen: number, passwordHash: string, at: string): boolean {
    const { changes } = this.db
      .prepare(
        'INSERT OR IGNORE INTO accounts (account, balance_fen, password_hash, created_at) VALUES (?, ?, ?, ?)',
      )
      .run(account, balanceFen, passwordHash, at);
    return changes === 1;
  }

  /** Replaces the password hash and clears wrong tries and any lock; false for an unknown number. */
  setPasswordHash(account: string, passwordHash: string): boolean {
    const { changes } = this.db
      .prepare(
        'UPDATE accounts SET password_hash = ?, wrong_tries = 0, locked_until = NULL WHERE account = ?',
      )
      .run(passwordHash, account);
    return changes === 1;
  }

  /** Clears wrong tries and any lock (a right password, or an operator unlocking). */
  resetTries(account: string): void {
    this.db
      .prepare('UPDATE accounts SET wrong_tries = 0, locked_until = NULL WHERE account = ?')
      .run(account);
  }

  /**
   * Counts one wrong password in one transaction; at `maxTries` the account is locked until
   * `lockUntil` and the count starts again. Answers the count after this try and the lock.
   */
  recordWrongTry(
    account: string,
    maxTries: number,
    lockUntil: string,
  ): { wrongTries: number; lockedUntil: string | null } {
    return this.db
      .transaction(() => {
        const row = this.selectAccount.get(account) as AccountRow | undefined;
        if (row === undefined) return { wrongTries: 0, lockedUntil: null };
        const tries = row.wrong_tries + 1;
        if (tries >= maxTries) {
          this.db
            .prepare('UPDATE accounts SET wrong_tries = 0, locked_until = ? WHERE account = ?')
            .run(lockUntil, account);
          return { wrongTries: tries, lockedUntil: lockUntil };
        }
        this.db.prepare('UPDATE accounts SET wrong_tries = ? WHERE account = ?').run(tries, account);
        return { wrongTries: tries, lockedUntil: null };
      })
      .immediate();
  }

  /** Credits a payment to its account once: a paymentId seen before changes nothing. */
  credit(paymentId: string, account: string, amountFen: number, at: string): CreditResult {
    try {
      return this.creditTransaction.immediate(paymentId, account, amountFen, at);
    } catch (cause) {
      throw storeError(this.path, `crediting payment ${paymentId}`, cause);
    }
  }

  /** Fen credited to an account at or after `since` (ISO time). */
  creditedSince(account: string, since: string): number {
    return this.db
      .prepare('SELECT coalesce(sum(amount_fen), 0) FROM credits WHERE account = ? AND credited_at >= ?')
      .pluck()
      .get(account, since) as number;
  }

  creditOf(paymentId: string): { account: string; amountFen: number; creditedAt: string } | undefined {
    return this.db
      .prepare(
        'SELECT account, amount_fen AS amountFen, credited_at AS creditedAt FROM credits WHERE payment_id = ?',
      )
      .get(paymentId) as { account: string; amountFen: number; creditedAt: string } | undefined;
  }

  counts(): { accounts: number; credits: number } {
    return {
      accounts: this.db.prepare('SELECT count(*) FROM accounts').pluck().get() as number,
      credits: this.db.prepare('SELECT count(*) FROM credits').pluck().get() as number,
    };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
