import type { Statement } from 'better-sqlite3';
import type { JournalAudit } from './audit.js';
import type { JournalConnection } from './journal-connection.js';
import { conflict, notFound, SYSTEM_ACTOR } from './rows.js';
import * as check from './validate.js';

export const RECEIPT_STATES = ['printing', 'printed', 'failed'] as const;
export type ReceiptState = (typeof RECEIPT_STATES)[number];

/** What the journal knows of a payment's receipt: enough to report it and to print it again. */
export interface ReceiptRecord {
  paymentId: string;
  state: ReceiptState;
  /** Why the last print failed (`paperOut`, `interrupted`…), null unless failed. */
  reason: string | null;
  /** Lines the printer confirmed before the failure, when it said. */
  linesPrinted: number | null;
  /** Whether the paper was cut: a cut receipt, even a short one, is in someone's hand. */
  cut: boolean | null;
  language: string;
  /** Prints started, the first included. */
  prints: number;
  firstAt: string;
  updatedAt: string;
}

export type PrintOutcome =
  | { printed: true }
  | { printed: false; reason: string; linesPrinted: number | null; cut: boolean | null };

interface ReceiptRow {
  payment_id: string;
  state: ReceiptState;
  reason: string | null;
  lines_printed: number | null;
  cut: number | null;
  language: string;
  prints: number;
  first_at: string;
  updated_at: string;
}

/** Longest reason or language the journal keeps: both are codes, never free text. */
const MAX_CODE = 64;

/**
 * Receipts by payment. `begin` is written, synced, before the first byte goes to the printer
 * and `finish` after the printer's verdict, so a restart between them finds a job in
 * `printing`: it is settled as failed (`interrupted`), never printed again unasked, since half
 * a receipt may already be in the customer's hand (issue 12: no blind reprint).
 */
export class JournalReceipts {
  readonly #get: Statement;
  readonly #insert: Statement;
  readonly #reprint: Statement;
  readonly #finish: Statement;
  readonly #printing: Statement;

  constructor(
    private readonly c: JournalConnection,
    private readonly audit: JournalAudit,
  ) {
    const db = c.db;
    this.#get = db.prepare('SELECT * FROM receipts WHERE payment_id = ?');
    this.#insert = db.prepare(
      `INSERT INTO receipts (payment_id, state, language, prints, first_at, updated_at)
       VALUES (?, 'printing', ?, 1, ?, ?)`,
    );
    this.#reprint = db.prepare(
      `UPDATE receipts SET state = 'printing', reason = NULL, lines_printed = NULL, cut = NULL,
         language = ?, prints = prints + 1, updated_at = ? WHERE payment_id = ?`,
    );
    this.#finish = db.prepare(
      `UPDATE receipts SET state = ?, reason = ?, lines_printed = ?, cut = ?, updated_at = ?
       WHERE payment_id = ? AND state = 'printing'`,
    );
    this.#printing = db.prepare("SELECT * FROM receipts WHERE state = 'printing' ORDER BY first_at");
  }

  get(paymentId: string): ReceiptRecord | null {
    const id = check.text('paymentId', paymentId, 64);
    return this.c.read('receipt', () => {
      const row = this.#get.get(id) as ReceiptRow | undefined;
      return row ? fromRow(row) : null;
    });
  }

  /**
   * A print is about to start. The first print of a payment needs no reprint flag; any later
   * one does, and is audited with who asked. A print still `printing` is refused: either it is
   * running, or a restart has not settled it yet.
   */
  begin(input: { paymentId: string; language: string; reprint: boolean; actor: string }): ReceiptRecord {
    const paymentId = check.text('paymentId', input?.paymentId, 64);
    const language = check.text('language', input.language, MAX_CODE);
    const reprint = check.boolean('reprint', input.reprint);
    const actor = check.text('actor', input.actor, 128);
    return this.c.write('beginReceipt', () => {
      if (this.c.st.payment.get(paymentId) === undefined) throw notFound('paymentId', paymentId);
      const now = this.c.now();
      const existing = this.#get.get(paymentId) as ReceiptRow | undefined;
      if (existing === undefined) {
        if (reprint) throw conflict(`payment ${paymentId} has no receipt to reprint yet`, { paymentId });
        this.#insert.run(paymentId, language, now, now);
      } else {
        if (existing.state === 'printing') {
          throw conflict(`the receipt of payment ${paymentId} is being printed`, { paymentId });
        }
        if (!reprint) {
          throw conflict(`payment ${paymentId} already has a receipt; a further one is a reprint`, {
            paymentId,
            state: existing.state,
          });
        }
        this.#reprint.run(language, now, paymentId);
        this.audit.appendInTransaction(actor, 'receipt.reprint', {
          paymentId,
          previous: existing.state,
          prints: existing.prints + 1,
        });
      }
      return fromRow(this.#get.get(paymentId) as ReceiptRow);
    });
  }

  /** The printer's verdict on the print `begin` started. */
  finish(paymentId: string, outcome: PrintOutcome): ReceiptRecord {
    const id = check.text('paymentId', paymentId, 64);
    const printed = check.boolean('printed', outcome?.printed);
    const reason = printed ? null : check.text('reason', (outcome as { reason?: unknown }).reason, MAX_CODE);
    const failed = outcome as { linesPrinted?: unknown; cut?: unknown };
    const linesPrinted =
      printed || failed.linesPrinted === null || failed.linesPrinted === undefined
        ? null
        : check.integer('linesPrinted', failed.linesPrinted, 0);
    const cut =
      printed || failed.cut === null || failed.cut === undefined ? null : check.boolean('cut', failed.cut);
    return this.c.write('finishReceipt', () => {
      const changed = this.#finish.run(
        printed ? 'printed' : 'failed',
        reason,
        linesPrinted,
        cut === null ? null : cut ? 1 : 0,
        this.c.now(),
        id,
      ).changes;
      if (changed === 0)
        throw conflict(`no print of payment ${id}'s receipt is under way`, { paymentId: id });
      if (!printed)
        this.audit.appendInTransaction(SYSTEM_ACTOR, 'receipt.failed', {
          paymentId: id,
          reason,
          linesPrinted,
        });
      return fromRow(this.#get.get(id) as ReceiptRow);
    });
  }

  /**
   * At start-up: prints a stop or power cut interrupted become failed (`interrupted`), each
   * audited. Returns them so the host can tell the fleet.
   */
  settleInterrupted(): ReceiptRecord[] {
    return this.c.write('settleInterruptedReceipts', () => {
      const rows = this.#printing.all() as ReceiptRow[];
      const now = this.c.now();
      for (const row of rows) {
        this.#finish.run('failed', 'interrupted', null, null, now, row.payment_id);
        this.audit.appendInTransaction(SYSTEM_ACTOR, 'receipt.interrupted', { paymentId: row.payment_id });
      }
      return rows.map((row) => fromRow(this.#get.get(row.payment_id) as ReceiptRow));
    });
  }
}

function fromRow(row: ReceiptRow): ReceiptRecord {
  return {
    paymentId: row.payment_id,
    state: row.state,
    reason: row.reason,
    linesPrinted: row.lines_printed,
    cut: row.cut === null ? null : row.cut === 1,
    language: row.language,
    prints: row.prints,
    firstAt: row.first_at,
    updatedAt: row.updated_at,
  };
}
