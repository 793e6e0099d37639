import type Database from 'better-sqlite3';
import type { ConservationViolation } from './journal-types.js';

/**
 * Invariant 1 of DESIGN.md as queries over the journal. The schema already refuses some
 * breaches (a note in two payments, two outbox rows per payment); these checks catch what
 * constraints cannot express, so the daemon can prove at start-up that no fen is lost or doubled.
 */

interface Check {
  rule: ConservationViolation['rule'];
  sql: string;
  message: (row: Record<string, unknown>) => string;
}

const checks: Check[] = [
  {
    rule: 'noteUnsettled',
    // Credited notes of an open transaction are still on their way to a payment.
    sql: `SELECT n.note_id AS noteId, n.tx_id AS txId, t.state AS txState
          FROM notes n LEFT JOIN transactions t ON t.tx_id = n.tx_id
          WHERE n.state = 'credited'
            AND NOT EXISTS (SELECT 1 FROM payment_notes pn WHERE pn.note_id = n.note_id)
            AND NOT EXISTS (SELECT 1 FROM orphan_credits o WHERE o.note_id = n.note_id)
            AND (n.tx_id IS NULL OR t.state IS NOT 'open')`,
    message: (r) => `credited note ${r.noteId} is in no payment and no orphan record (transaction ${r.txId})`,
  },
  {
    rule: 'noteInPaymentAndOrphan',
    sql: `SELECT pn.note_id AS noteId, p.payment_id AS paymentId, o.orphan_id AS orphanId
          FROM payment_notes pn
          JOIN payments p ON p.payment_id = pn.payment_id
          JOIN orphan_credits o ON o.note_id = pn.note_id
          WHERE p.orphan_id IS NOT o.orphan_id`,
    message: (r) => `note ${r.noteId} is in payment ${r.paymentId} and also in orphan record ${r.orphanId}`,
  },
  {
    rule: 'noteInWrongPayment',
    sql: `SELECT pn.note_id AS noteId, p.payment_id AS paymentId, n.tx_id AS noteTxId, p.tx_id AS paymentTxId
          FROM payment_notes pn
          JOIN payments p ON p.payment_id = pn.payment_id
          JOIN notes n ON n.note_id = pn.note_id
          WHERE (p.kind <> 'orphan' AND n.tx_id IS NOT p.tx_id)
             OR (p.kind = 'orphan' AND NOT EXISTS (
                  SELECT 1 FROM orphan_credits o WHERE o.orphan_id = p.orphan_id AND o.note_id = pn.note_id))`,
    message: (r) =>
      `note ${r.noteId} of transaction ${r.noteTxId} is in payment ${r.paymentId} of ${r.paymentTxId}`,
  },
  {
    rule: 'uncreditedNoteInPayment',
    sql: `SELECT pn.note_id AS noteId, pn.payment_id AS paymentId, n.state AS noteState
          FROM payment_notes pn JOIN notes n ON n.note_id = pn.note_id
          WHERE n.state <> 'credited'`,
    message: (r) => `payment ${r.paymentId} holds note ${r.noteId} which is ${r.noteState}, not credited`,
  },
  {
    rule: 'paymentAmount',
    sql: `SELECT p.payment_id AS paymentId, p.amount AS amount,
                 COALESCE(SUM(n.denomination), 0) AS notesTotal, COUNT(n.note_id) AS noteCount,
                 COALESCE(SUM(n.note_id IS NOT NULL AND n.denomination IS NULL), 0) AS unknownNotes
          FROM payments p
          LEFT JOIN payment_notes pn ON pn.payment_id = p.payment_id
          LEFT JOIN notes n ON n.note_id = pn.note_id
          GROUP BY p.payment_id
          HAVING notesTotal <> p.amount OR unknownNotes > 0`,
    message: (r) =>
      `payment ${r.paymentId} is for ${r.amount} but its ${r.noteCount} notes sum to ${r.notesTotal}`,
  },
  {
    rule: 'paymentWithoutOutbox',
    sql: `SELECT p.payment_id AS paymentId, p.seq AS seq
          FROM payments p
          WHERE NOT EXISTS (SELECT 1 FROM outbox o WHERE o.payment_id = p.payment_id AND o.seq = p.seq)`,
    message: (r) => `payment ${r.paymentId} (seq ${r.seq}) has no outbox row with the same seq`,
  },
  {
    rule: 'outboxSeqGap',
    // Payments and ended collections share one seq space (migration 4), as does the outbox.
    sql: `SELECT 'payments and collections' AS source, COUNT(*) AS rows, MIN(seq) AS first, MAX(seq) AS last
          FROM (SELECT seq FROM payments UNION ALL SELECT seq FROM collections WHERE seq IS NOT NULL)
          HAVING rows > 0 AND (first <> 1 OR last <> rows)
          UNION ALL
          SELECT 'outbox', COUNT(*), MIN(seq), MAX(seq) FROM outbox
          HAVING COUNT(*) > 0 AND (MIN(seq) <> 1 OR MAX(seq) <> COUNT(*))`,
    message: (r) => `${r.source} seq runs ${r.first}..${r.last} over ${r.rows} rows; it must be 1..${r.rows}`,
  },
  {
    rule: 'collectionWithoutOutbox',
    sql: `SELECT c.collection_id AS collectionId, c.seq AS seq
          FROM collections c
          WHERE c.state = 'ended'
            AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.collection_id = c.collection_id AND o.seq = c.seq)`,
    message: (r) => `collection ${r.collectionId} (seq ${r.seq}) has no outbox row with the same seq`,
  },
  {
    rule: 'collectionCycle',
    // A collection closes the cycle it was started in; the box's cycle moves on only when it ends.
    sql: `SELECT c.collection_id AS collectionId, c.device AS device, c.cycle AS cycle, c.state AS state,
                 b.cycle AS boxCycle
          FROM collections c JOIN cashboxes b ON b.device = c.device
          WHERE (c.state = 'ended' AND c.cycle >= b.cycle) OR (c.state <> 'ended' AND c.cycle <> b.cycle)`,
    message: (r) =>
      `collection ${r.collectionId} (${r.state}) is for cycle ${r.cycle} of cashbox ${r.device}, which is in cycle ${r.boxCycle}`,
  },
  {
    rule: 'collectionExpected',
    // An ended collection holds exactly the notes credited in the cycle it closed: none lost
    // between cycles, none in two collections.
    sql: `WITH cycles AS (
            SELECT device, cashbox_cycle AS cycle, COUNT(*) AS notes FROM notes
            WHERE state = 'credited' GROUP BY 1, 2
          ), expected AS (
            SELECT collection_id, SUM(expected) AS notes FROM collection_counts GROUP BY 1
          )
          SELECT c.collection_id AS collectionId, COALESCE(e.notes, 0) AS expected,
                 COALESCE(y.notes, 0) AS credited
          FROM collections c
          LEFT JOIN expected e ON e.collection_id = c.collection_id
          LEFT JOIN cycles y ON y.device = c.device AND y.cycle = c.cycle
          WHERE c.state = 'ended' AND COALESCE(e.notes, 0) <> COALESCE(y.notes, 0)`,
    message: (r) =>
      `collection ${r.collectionId} expected ${r.expected} notes but its cycle credited ${r.credited}`,
  },
  {
    rule: 'counterMismatch',
    sql: `WITH credited AS (
            SELECT n.device, COALESCE(n.denomination, 0) AS denomination, COUNT(*) AS notes
            FROM notes n LEFT JOIN cashboxes b ON b.device = n.device
            WHERE n.state = 'credited' AND (b.device IS NULL OR n.cashbox_cycle = b.cycle)
            GROUP BY 1, 2
          ), cells AS (
            SELECT device, denomination FROM credited
            UNION SELECT device, denomination FROM cashbox_counts
          )
          SELECT c.device AS device, c.denomination AS denomination,
                 COALESCE(k.count, 0) AS counted,
                 COALESCE(cr.notes, 0) + COALESCE(k.adjustment, 0) AS expected
          FROM cells c
          LEFT JOIN credited cr ON cr.device = c.device AND cr.denomination = c.denomination
          LEFT JOIN cashbox_counts k ON k.device = c.device AND k.denomination = c.denomination
          WHERE counted <> expected`,
    message: (r) =>
      `cashbox ${r.device} counts ${r.counted} notes of ${r.denomination} but the journal credited ${r.expected} since collection`,
  },
];

export type ConservationChecker = () => ConservationViolation[];

/** Prepares the checks once; the returned function runs them all in one read snapshot. */
export function createConservationChecker(db: Database.Database): ConservationChecker {
  const prepared = checks.map((check) => ({ check, statement: db.prepare(check.sql) }));
  const runAll = db.transaction(() =>
    prepared.flatMap(({ check, statement }) =>
      (statement.all() as Record<string, unknown>[]).map((row) => ({
        rule: check.rule,
        message: check.message(row),
        details: row,
      })),
    ),
  );
  return () => runAll.deferred();
}
