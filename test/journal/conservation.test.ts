import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../core/errors.js';
import type { Journal } from '../../src/journal/journal.js';
import { creditNotes, tempJournal } from './temp-journal.js';

/** A journal with two committed payments, an open transaction with a credit, and a paid orphan. */
function healthyJournal(): { journal: Journal; raw: Database.Database } {
  const { journal, path } = tempJournal();
  journal.payments.commit({
    txId: creditNotes(journal, '13500000000', [10_000, 5_000]),
    kind: 'complete',
    receipt: true,
  });
  journal.payments.commit({
    txId: creditNotes(journal, '13500000001', [2_000]),
    kind: 'partial',
    receipt: false,
  });
  creditNotes(journal, '13500000002', [1_000]);
  journal.orphans.commitPayment(
    journal.orphans.record({ device: 'acceptor', denomination: 500, reason: 'x' }).orphanId,
  );
  expect(journal.checkConservation()).toEqual([]);
  const raw = new Database(path);
  raw.pragma('foreign_keys = ON');
  return { journal, raw };
}

function rules(journal: Journal): string[] {
  return [...new Set(journal.checkConservation().map((v) => v.rule))].sort();
}

describe('checkConservation', () => {
  it('finds a credited note that no payment or orphan holds', () => {
    const { journal, raw } = healthyJournal();
    raw.exec(`INSERT INTO notes (note_id, tx_id, device, escrow_code, denomination, state, intent_at, settled_at, cashbox_cycle)
              VALUES ('N-LOST', NULL, 'acceptor', 'c', 5000, 'credited', 'now', 'now', 1)`);
    raw.exec("UPDATE cashbox_counts SET count = count + 1 WHERE device = 'acceptor' AND denomination = 5000");
    raw.close();
    expect(rules(journal)).toEqual(['noteUnsettled']);
    expect(() => journal.assertConservation()).toThrow(
      expect.objectContaining({
        code: ErrorCode.JournalInvariant,
        message: expect.stringContaining('N-LOST'),
      }),
    );
  });

  it('finds a payment whose amount differs from its notes', () => {
    const { journal, raw } = healthyJournal();
    raw.exec('UPDATE payments SET amount = amount + 1 WHERE seq = 1');
    raw.close();
    expect(rules(journal)).toEqual(['paymentAmount']);
  });

  it('finds a gap in the seq and a payment without its outbox row', () => {
    const { journal, raw } = healthyJournal();
    raw.exec(`INSERT INTO payments (payment_id, seq, tx_id, orphan_id, account, amount, currency, kind, receipt, created_at)
              SELECT 'P-GAP', 9, tx_id, NULL, 'a', 100, 'CNY', 'complete', 1, 'now'
              FROM transactions WHERE state = 'open'`);
    raw.close();
    expect(rules(journal)).toEqual(['outboxSeqGap', 'paymentAmount', 'paymentWithoutOutbox']);
  });

  it('finds a note in a payment of another transaction and an orphan note also in a normal payment', () => {
    const { journal, raw } = healthyJournal();
    const orphanNote = raw.prepare('SELECT note_id FROM orphan_credits').pluck().get() as string;
    raw.exec(`DELETE FROM payment_notes WHERE note_id = '${orphanNote}'`);
    raw
      .prepare(
        'INSERT INTO payment_notes (payment_id, note_id) SELECT payment_id, ? FROM payments WHERE seq = 2',
      )
      .run(orphanNote);
    raw.close();
    expect(rules(journal)).toEqual(['noteInPaymentAndOrphan', 'noteInWrongPayment', 'paymentAmount']);
  });

  it('finds counters that drifted from the credited notes', () => {
    const { journal, raw } = healthyJournal();
    raw.exec(
      "UPDATE cashbox_counts SET count = count + 3 WHERE device = 'acceptor' AND denomination = 10000",
    );
    raw.close();
    const [violation] = journal.checkConservation();
    expect(violation).toMatchObject({
      rule: 'counterMismatch',
      details: { denomination: 10_000, counted: 4, expected: 1 },
    });
  });

  it('finds a returned note inside a payment', () => {
    const { journal, raw } = healthyJournal();
    raw.exec(`INSERT INTO notes (note_id, tx_id, device, escrow_code, denomination, state, intent_at, settled_at)
              SELECT 'N-RET', tx_id, 'acceptor', 'c', 100, 'returned', 'now', 'now' FROM payments WHERE seq = 1`);
    raw.exec(
      "INSERT INTO payment_notes (payment_id, note_id) SELECT payment_id, 'N-RET' FROM payments WHERE seq = 1",
    );
    raw.close();
    expect(rules(journal)).toEqual(['paymentAmount', 'uncreditedNoteInPayment']);
  });
});
