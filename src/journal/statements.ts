import type Database from 'better-sqlite3';

/**
 * Every statement the journal runs, prepared once on its one connection and shared by the
 * concern objects, so a write spanning concerns still runs inside one SQLite transaction.
 */
export function prepareStatements(db: Database.Database) {
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

    // Payments and collections share the outbox's seq space (migration 4).
    nextSeq: s('SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM outbox'),
    insertPayment:
      s(`INSERT INTO payments (payment_id, seq, tx_id, orphan_id, account, amount, currency, kind, receipt,
                        created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    insertPaymentNote: s('INSERT INTO payment_notes (payment_id, note_id) VALUES (?, ?)'),
    insertOutbox: s("INSERT INTO outbox (seq, payment_id, payload, state) VALUES (?, ?, ?, 'pending')"),
    payment: s('SELECT * FROM payments WHERE payment_id = ?'),
    paymentOfTx: s('SELECT * FROM payments WHERE tx_id = ?'),
    paymentOfOrphan: s('SELECT * FROM payments WHERE orphan_id = ?'),
    lastPayment: s('SELECT * FROM payments ORDER BY seq DESC LIMIT 1'),
    recentPayments: s('SELECT * FROM payments ORDER BY seq DESC LIMIT ?'),
    paymentNoteDenominations:
      s(`SELECT n.denomination FROM payment_notes pn JOIN notes n ON n.note_id = pn.note_id
                                 WHERE pn.payment_id = ?`),

    outboxPending: s("SELECT * FROM outbox WHERE state = 'pending' AND seq > ? ORDER BY seq LIMIT ?"),
    outboxPendingPayloads: s(
      "SELECT seq, COALESCE(payment_id, collection_id) AS paymentId, CASE WHEN collection_id IS NULL THEN 'payment' ELSE 'collection' END AS kind, payload FROM outbox WHERE state = 'pending' AND seq > ? ORDER BY seq LIMIT ?",
    ),
    outboxBySeq: s('SELECT * FROM outbox WHERE seq = ?'),
    deliverThrough: s(
      "UPDATE outbox SET state = 'delivered', delivered_at = ? WHERE state = 'pending' AND seq <= ?",
    ),
    deliverPayment: s(
      "UPDATE outbox SET state = 'delivered', delivered_at = ? WHERE state = 'pending' AND COALESCE(payment_id, collection_id) = ?",
    ),
    outboxHasPayment: s('SELECT 1 FROM outbox WHERE ? IN (payment_id, collection_id)'),
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
      (SELECT COALESCE(MAX(seq), 0) FROM outbox) AS lastSeq,
      (SELECT COUNT(*) FROM outbox WHERE state = 'pending') AS outboxPending,
      (SELECT COUNT(*) FROM orphan_credits o WHERE NOT EXISTS
         (SELECT 1 FROM payments p WHERE p.orphan_id = o.orphan_id)) AS unpaidOrphans,
      (SELECT COUNT(*) FROM orphan_credits WHERE alert_raised_at IS NULL) AS orphansWithoutAlert,
      (SELECT COUNT(*) FROM audit_log) AS auditEntries`),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;
