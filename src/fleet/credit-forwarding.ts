import Database from 'better-sqlite3';
import type { Logger } from '../log.js';

/**
 * Hands each payment the ledger stores to the account service, once, so the customer's
 * balance includes it. A durable cursor (the last ledger row handed over, in the ledger's own
 * database) is advanced only after the service has answered, and the service credits by
 * paymentId: a crash on either side between the two means the payment is offered again and
 * credited once, never lost and never doubled. The ledger wakes the forwarder after each
 * synced batch; a failed hand-over is retried with backoff, in ledger order.
 */

export interface AccountCredit {
  paymentId: string;
  account: string;
  amountFen: number;
}

/**
 * `credited` or `alreadyCredited`: done. `refused`: the service will never take it (unknown
 * account, a request it calls bad); logged and passed over. A throw: try again later.
 */
export type CreditOutcome =
  | { kind: 'credited' }
  | { kind: 'alreadyCredited' }
  | { kind: 'refused'; reason: string };

export interface CreditSink {
  /** Names the sink in logs and keys its cursor: one cursor per account service. */
  readonly name: string;
  credit(credit: AccountCredit): Promise<CreditOutcome>;
}

export interface CreditForwarderOptions {
  dbPath: string;
  sink: CreditSink;
  /** Only payments in this currency are account credits in fen. */
  currency?: string;
  retryInitialMs?: number;
  retryMaxMs?: number;
  logger: Logger;
}

export interface CreditForwarderStats {
  credited: number;
  alreadyCredited: number;
  refused: number;
  skipped: number;
  failures: number;
}

const CURSOR_SCHEMA = `CREATE TABLE IF NOT EXISTS ledger_credit_cursor (
  sink          TEXT    PRIMARY KEY,
  through_rowid INTEGER NOT NULL
) WITHOUT ROWID`;
const PAGE = 100;

interface PaymentRow {
  rowid: number;
  payment_id: string;
  account: string | null;
  amount: number;
  currency: string;
}

export class CreditForwarder {
  private readonly db: Database.Database;
  private readonly sink: CreditSink;
  private readonly currency: string;
  private readonly logger: Logger;
  private readonly retryInitialMs: number;
  private readonly retryMaxMs: number;
  private readonly readCursor: Database.Statement;
  private readonly writeCursor: Database.Statement;
  private readonly paymentsAfter: Database.Statement;
  private running: Promise<void> | undefined;
  private again = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelayMs: number;
  private stopped = false;
  private readonly counters: CreditForwarderStats = {
    credited: 0,
    alreadyCredited: 0,
    refused: 0,
    skipped: 0,
    failures: 0,
  };

  /** Opens its own connection to the ledger database (which must exist) and catches up at once. */
  constructor(options: CreditForwarderOptions) {
    this.db = new Database(options.dbPath);
    this.db.pragma('busy_timeout = 10000');
    this.db.exec(CURSOR_SCHEMA);
    this.sink = options.sink;
    this.currency = options.currency ?? 'CNY';
    this.logger = options.logger.child({ component: 'credit-forwarder', sink: options.sink.name });
    this.retryInitialMs = options.retryInitialMs ?? 500;
    this.retryMaxMs = options.retryMaxMs ?? 30_000;
    this.retryDelayMs = this.retryInitialMs;
    this.readCursor = this.db
      .prepare('SELECT through_rowid FROM ledger_credit_cursor WHERE sink = ?')
      .pluck();
    this.writeCursor = this.db.prepare(
      `INSERT INTO ledger_credit_cursor (sink, through_rowid) VALUES (?, ?)
       ON CONFLICT (sink) DO UPDATE SET through_rowid = max(through_rowid, excluded.through_rowid)`,
    );
    this.paymentsAfter = this.db.prepare(
      `SELECT rowid, payment_id, account, amount, currency FROM ledger_payments WHERE rowid > ? ORDER BY rowid LIMIT ${PAGE}`,
    );
    this.wake();
  }

  /** New payments may be in the ledger: hand them over (unless a retry is already waiting). */
  wake(): void {
    if (this.stopped || this.retryTimer !== undefined) return;
    if (this.running !== undefined) {
      this.again = true;
      return;
    }
    this.running = this.drain().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.wake();
      }
    });
  }

  private async drain(): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      const through = (this.readCursor.get(this.sink.name) as number | undefined) ?? 0;
      const rows = this.paymentsAfter.all(through) as PaymentRow[];
      if (rows.length === 0) return;
      for (const row of rows) {
        if (this.stopped) return;
        if (!(await this.forward(row))) return;
        this.writeCursor.run(this.sink.name, row.rowid);
      }
    }
  }

  /** Hands one payment over; false when it must be tried again later. */
  private async forward(row: PaymentRow): Promise<boolean> {
    if (row.account === null || row.amount <= 0 || row.currency !== this.currency) {
      this.counters.skipped++;
      return true;
    }
    try {
      const outcome = await this.sink.credit({
        paymentId: row.payment_id,
        account: row.account,
        amountFen: row.amount,
      });
      this.counters[outcome.kind]++;
      if (outcome.kind === 'refused') {
        this.logger.error(
          { paymentId: row.payment_id, reason: outcome.reason },
          'the account service refused a payment for good: not credited, passed over',
        );
      }
      this.retryDelayMs = this.retryInitialMs;
      return true;
    } catch (error) {
      this.counters.failures++;
      const delayMs = this.retryDelayMs;
      this.retryDelayMs = Math.min(this.retryMaxMs, this.retryDelayMs * 2);
      this.logger.warn(
        {
          paymentId: row.payment_id,
          err: error instanceof Error ? error.message : String(error),
          retryInMs: delayMs,
        },
        'payment not handed to the account service; will retry',
      );
      if (!this.stopped) {
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.wake();
        }, delayMs);
        this.retryTimer.unref();
      }
      return false;
    }
  }

  /** The last ledger row handed over (0: none yet). */
  cursor(): number {
    return (this.readCursor.get(this.sink.name) as number | undefined) ?? 0;
  }

  stats(): CreditForwarderStats {
    return { ...this.counters };
  }

  /** Waits for the hand-over in flight (what is left goes after the next start), then closes. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    await this.running;
    this.db.close();
  }
}
