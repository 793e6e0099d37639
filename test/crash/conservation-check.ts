import Database from 'better-sqlite3';
import type { LedgerEntry } from '../../simulators/id003/cashbox-ledger.js';
import { createConservationChecker } from '../../src/journal/conservation.js';

/**
 * DESIGN.md invariant 1 checked from outside the daemon, against the acceptor's ground truth:
 * notes in the simulator's cashbox ledger = credited notes in the journal = notes in payments
 * + orphan credits, no note in two places, every payment's amount = the sum of its notes.
 * The journal is opened read-only, so the check can run beside a live daemon.
 */

export interface Violation {
  rule:
    | 'ledgerCount'
    | 'ledgerDenominations'
    | 'noteNowhere'
    | 'noteInTwoPlaces'
    | 'paymentAmount'
    | 'openTransaction'
    | 'pendingIntent'
    | `journal.${string}`
    | `collection.${string}`;
  message: string;
}

export interface ConservationFigures {
  ledgerNotes: number;
  creditedNotes: number;
  payments: number;
  orphanCredits: number;
  openTransactions: number;
}

export interface ConservationResult {
  violations: Violation[];
  figures: ConservationFigures;
}

export interface CheckOptions {
  /**
   * The daemon has settled start-up recovery and no top-up runs: nothing may be left open.
   * Without it, credited notes of an open transaction are on their way to a payment.
   */
  quiescent: boolean;
}

interface NoteRow {
  note_id: string;
  denomination: number | null;
  tx_id: string | null;
  tx_state: string | null;
}

function countBy<T>(items: readonly T[], key: (item: T) => number): Map<number, number> {
  const counts = new Map<number, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

export function checkConservation(
  journalPath: string,
  ledger: readonly LedgerEntry[],
  options: CheckOptions,
): ConservationResult {
  const db = new Database(journalPath, { readonly: true, fileMustExist: true });
  try {
    return db.transaction(() => checkOpen(db, ledger, options)).deferred();
  } finally {
    db.close();
  }
}

function checkOpen(
  db: Database.Database,
  ledger: readonly LedgerEntry[],
  options: CheckOptions,
): ConservationResult {
  const violations: Violation[] = [];
  const credited = db
    .prepare(
      `SELECT n.note_id, n.denomination, n.tx_id, t.state AS tx_state
       FROM notes n LEFT JOIN transactions t ON t.tx_id = n.tx_id WHERE n.state = 'credited'`,
    )
    .all() as NoteRow[];

  // The cashbox and the journal hold the same notes, denomination by denomination. A note the
  // device credited without saying its value stands for one of the notes the ledger has over:
  // with equal counts, no denomination credited more often than it is in the box is enough.
  if (ledger.length !== credited.length) {
    violations.push({
      rule: 'ledgerCount',
      message: `the cashbox holds ${ledger.length} notes but the journal credited ${credited.length}`,
    });
  }
  const inBox = countBy(ledger, (e) => e.denomination);
  const known = countBy(
    credited.filter((n) => n.denomination !== null),
    (n) => n.denomination ?? 0,
  );
  for (const denomination of new Set([...inBox.keys(), ...known.keys()])) {
    const box = inBox.get(denomination) ?? 0;
    const journal = known.get(denomination) ?? 0;
    if (journal > box) {
      violations.push({
        rule: 'ledgerDenominations',
        message: `the journal credited ${journal} notes of ${denomination} but the cashbox holds ${box}`,
      });
    }
  }
  // Each credited note in exactly one place: a transaction's payment, or an orphan record
  // (which may carry its own orphan payment).
  const inPayments = new Map<string, string[]>();
  for (const row of db
    .prepare(
      `SELECT pn.note_id, p.payment_id, p.kind FROM payment_notes pn JOIN payments p ON p.payment_id = pn.payment_id`,
    )
    .all() as Array<{ note_id: string; payment_id: string; kind: string }>) {
    inPayments.set(row.note_id, [
      ...(inPayments.get(row.note_id) ?? []),
      `${row.kind} payment ${row.payment_id}`,
    ]);
  }
  const orphans = new Set(
    (db.prepare('SELECT note_id FROM orphan_credits').all() as Array<{ note_id: string }>).map(
      (r) => r.note_id,
    ),
  );
  for (const note of credited) {
    const places = inPayments.get(note.note_id) ?? [];
    const txPayments = places.filter((p) => !p.startsWith('orphan '));
    const isOrphan = orphans.has(note.note_id);
    if (places.length > 1 || (isOrphan && txPayments.length > 0)) {
      violations.push({
        rule: 'noteInTwoPlaces',
        message: `note ${note.note_id} is in ${[...places, ...(isOrphan ? ['an orphan record'] : [])].join(' and ')}`,
      });
    }
    const waiting = note.tx_state === 'open' && !options.quiescent;
    if (places.length === 0 && !isOrphan && !waiting) {
      violations.push({
        rule: 'noteNowhere',
        message: `credited note ${note.note_id} (${note.denomination ?? 'unknown value'}) is in no payment and no orphan record (transaction ${note.tx_id} ${note.tx_state})`,
      });
    }
  }

  for (const row of db
    .prepare(
      `SELECT p.payment_id, p.amount, COUNT(n.note_id) AS notes, COALESCE(SUM(n.denomination), 0) AS total
       FROM payments p LEFT JOIN payment_notes pn ON pn.payment_id = p.payment_id
       LEFT JOIN notes n ON n.note_id = pn.note_id GROUP BY p.payment_id
       HAVING total <> p.amount OR notes = 0`,
    )
    .all() as Array<{ payment_id: string; amount: number; notes: number; total: number }>) {
    violations.push({
      rule: 'paymentAmount',
      message: `payment ${row.payment_id} is for ${row.amount} but its ${row.notes} notes sum to ${row.total}`,
    });
  }

  const open = db.prepare("SELECT tx_id FROM transactions WHERE state = 'open'").all() as Array<{
    tx_id: string;
  }>;
  const intents = db.prepare("SELECT note_id FROM notes WHERE state = 'escrowIntent'").all() as Array<{
    note_id: string;
  }>;
  if (options.quiescent) {
    for (const tx of open) {
      violations.push({
        rule: 'openTransaction',
        message: `transaction ${tx.tx_id} is still open after recovery`,
      });
    }
    for (const note of intents) {
      violations.push({
        rule: 'pendingIntent',
        message: `escrow intent ${note.note_id} is still unsettled after recovery`,
      });
    }
  }

  for (const v of createConservationChecker(db)()) {
    violations.push({ rule: `journal.${v.rule}`, message: v.message });
  }

  return {
    violations,
    figures: {
      ledgerNotes: ledger.length,
      creditedNotes: credited.length,
      payments: (db.prepare('SELECT COUNT(*) AS n FROM payments').get() as { n: number }).n,
      orphanCredits: orphans.size,
      openTransactions: open.length,
    },
  };
}
