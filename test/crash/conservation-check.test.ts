import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LedgerEntry } from '../../simulators/id003/cashbox-ledger.js';
import { Journal } from '../../src/journal/journal.js';
import { silentLogger } from '../../src/log.js';
import { checkConservation, type Violation } from './conservation-check.js';

const DEVICE = 'cashAcceptor';

/**
 * The crash harness is only as good as its checker: each breach of invariant 1 planted here by
 * hand in a real journal (or in the simulator's ledger) must be reported under its rule.
 */
describe('crash harness conservation check', () => {
  let dir: string;
  let path: string;
  let ledger: LedgerEntry[];
  let ids: { paidNote: string; paymentId: string; orphanNote: string };

  function entry(denomination: number): LedgerEntry {
    return {
      seq: ledger.length + 1,
      noteId: `note-${ledger.length + 1}`,
      escrowCode: 0x61,
      denomination,
      at: ledger.length,
      via: 'vendValid',
    };
  }

  function credit(journal: Journal, txId: string, denomination: number): string {
    const noteId = journal.notes.recordEscrowIntent({
      txId,
      device: DEVICE,
      escrowCode: '0x64',
      denomination,
    });
    journal.notes.commitCredit({ noteId });
    ledger.push(entry(denomination));
    return noteId;
  }

  /** A clean history: one paid top-up of 2 notes, one cancelled, one orphan of unknown value. */
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kioskd-conservation-'));
    path = join(dir, 'journal.sqlite');
    ledger = [];
    const journal = Journal.open({ path, kioskId: 'check-1', logger: silentLogger() });
    const tx = journal.transactions.open({ account: '13800138000', limits: { maxAmount: 100_000 } });
    const paidNote = credit(journal, tx.txId, 2000);
    credit(journal, tx.txId, 500);
    const result = journal.payments.commit({ txId: tx.txId, kind: 'complete', receipt: false });
    const cancelled = journal.transactions.open({ account: '13900139000', limits: { maxAmount: 100_000 } });
    journal.payments.commit({ txId: cancelled.txId, kind: 'partial', receipt: false });
    const orphan = journal.orphans.record({ device: DEVICE, reason: 'test', denomination: null });
    ledger.push(entry(5000));
    journal.close();
    ids = {
      paidNote,
      paymentId: result.outcome === 'committed' ? result.payment.paymentId : '',
      orphanNote: orphan.noteId,
    };
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function tamper(sql: string, ...params: unknown[]): void {
    const db = new Database(path);
    db.prepare(sql).run(...params);
    db.close();
  }

  const rules = (violations: Violation[]) => [...new Set(violations.map((v) => v.rule))].sort();

  it('passes a clean journal whose notes match the cashbox', () => {
    const result = checkConservation(path, ledger, { quiescent: true });
    expect(result.violations).toEqual([]);
    expect(result.figures).toEqual({
      ledgerNotes: 3,
      creditedNotes: 3,
      payments: 1,
      orphanCredits: 1,
      openTransactions: 0,
    });
  });

  it('a note in the cashbox the journal never credited', () => {
    ledger.push(entry(10_000));
    expect(rules(checkConservation(path, ledger, { quiescent: true }).violations)).toEqual(['ledgerCount']);
  });

  it('a note credited twice (one in the box, two in the journal)', () => {
    ledger.pop();
    expect(rules(checkConservation(path, ledger, { quiescent: true }).violations)).toEqual(['ledgerCount']);
  });

  it('the journal credited a denomination the cashbox does not hold', () => {
    ledger[0] = { ...(ledger[0] as LedgerEntry), denomination: 100 };
    const violations = checkConservation(path, ledger, { quiescent: true }).violations;
    expect(rules(violations)).toEqual(['ledgerDenominations']);
    expect(violations[0]?.message).toContain('notes of 2000');
  });

  it('a credited note dropped from its payment', () => {
    tamper('DELETE FROM payment_notes WHERE note_id = ?', ids.paidNote);
    expect(rules(checkConservation(path, ledger, { quiescent: true }).violations)).toEqual([
      'journal.noteUnsettled',
      'journal.paymentAmount',
      'noteNowhere',
      'paymentAmount',
    ]);
  });

  it('a payment whose amount is not the sum of its notes', () => {
    tamper('UPDATE payments SET amount = amount + 100 WHERE payment_id = ?', ids.paymentId);
    expect(rules(checkConservation(path, ledger, { quiescent: true }).violations)).toEqual([
      'journal.paymentAmount',
      'paymentAmount',
    ]);
  });

  it('a paid note also recorded as an orphan', () => {
    tamper(
      "INSERT INTO orphan_credits (orphan_id, note_id, reason, created_at) VALUES ('01ORPHANTWICE', ?, 'x', '2026-01-01T00:00:00Z')",
      ids.paidNote,
    );
    expect(rules(checkConservation(path, ledger, { quiescent: true }).violations)).toEqual([
      'journal.noteInPaymentAndOrphan',
      'noteInTwoPlaces',
    ]);
  });

  it('an orphan credit lost', () => {
    tamper('DELETE FROM orphan_credits WHERE note_id = ?', ids.orphanNote);
    expect(rules(checkConservation(path, ledger, { quiescent: true }).violations)).toEqual([
      'journal.noteUnsettled',
      'noteNowhere',
    ]);
  });

  it('an open transaction and a pending intent: fine mid-run, violations once recovery settled', () => {
    const journal = Journal.open({ path, kioskId: 'check-1', logger: silentLogger() });
    const tx = journal.transactions.open({ account: '13800138000', limits: { maxAmount: 100_000 } });
    credit(journal, tx.txId, 1000);
    journal.notes.recordEscrowIntent({
      txId: tx.txId,
      device: DEVICE,
      escrowCode: '0x61',
      denomination: 100,
    });
    journal.close();
    expect(checkConservation(path, ledger, { quiescent: false }).violations).toEqual([]);
    expect(rules(checkConservation(path, ledger, { quiescent: true }).violations)).toEqual([
      'noteNowhere',
      'openTransaction',
      'pendingIntent',
    ]);
  });

  it('opens the journal read-only: a check changes nothing', () => {
    const before = new Database(path, { readonly: true });
    const count = (before.prepare('SELECT COUNT(*) AS n FROM audit_log').get() as { n: number }).n;
    before.close();
    checkConservation(path, ledger, { quiescent: true });
    const after = new Database(path, { readonly: true });
    expect((after.prepare('SELECT COUNT(*) AS n FROM audit_log').get() as { n: number }).n).toBe(count);
    after.close();
    expect(() => checkConservation(join(dir, 'missing.sqlite'), ledger, { quiescent: true })).toThrow();
  });
});
