import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../core/errors.js';
import { creditNotes, tempJournal } from './temp-journal.js';

const JOURNAL_SOURCE = join(import.meta.dirname, '../../src/journal');
const MAX_FILE_LINES = 450;

/** Counts of every table a cross-concern write touches, read beside the journal's connection. */
function tableCounts(path: string): Record<string, unknown> {
  const side = new Database(path, { readonly: true });
  try {
    const count = (sql: string) => side.prepare(sql).pluck().get();
    return {
      notes: count("SELECT COUNT(*) FROM notes WHERE state = 'credited'"),
      counts: count('SELECT COALESCE(SUM(count), 0) FROM cashbox_counts'),
      orphans: count('SELECT COUNT(*) FROM orphan_credits'),
      accuracy: count('SELECT accuracy FROM cashboxes'),
      cycle: count('SELECT cycle FROM cashboxes'),
      audit: count('SELECT COUNT(*) FROM audit_log'),
    };
  } finally {
    side.close();
  }
}

/** Makes the audit insert of `action` fail: the last write of every compound operation here. */
function failAuditOf(path: string, action: string): () => void {
  const saboteur = new Database(path);
  saboteur.exec(`CREATE TRIGGER audit_fails BEFORE INSERT ON audit_log WHEN NEW.action = '${action}'
                 BEGIN SELECT RAISE(ABORT, 'disk pulled'); END`);
  return () => {
    saboteur.exec('DROP TRIGGER audit_fails');
    saboteur.close();
  };
}

const diskPulled = expect.objectContaining({
  code: ErrorCode.JournalIo,
  message: expect.stringContaining('disk pulled'),
});

describe('journal concerns share one connection and its transaction boundaries', () => {
  it('rolls back an orphan credit whole when its audit entry fails: note, counter, orphan, accuracy', () => {
    const { journal, path } = tempJournal();
    creditNotes(journal, '13700000000', [1_000]);
    const before = tableCounts(path);
    const restore = failAuditOf(path, 'orphan.recorded');
    expect(() => journal.orphans.record({ device: 'acceptor', reason: 'power-up in stacker' })).toThrow(
      diskPulled,
    );
    expect(tableCounts(path)).toEqual(before);
    restore();
    journal.orphans.record({ device: 'acceptor', reason: 'power-up in stacker' });
    expect(tableCounts(path)).toMatchObject({ orphans: 1, accuracy: 'inaccurate' });
    expect(journal.checkConservation()).toEqual([]);
  });

  it('rolls back a credit that becomes an orphan when its audit entry fails: the note stays in escrow', () => {
    const { journal, path } = tempJournal();
    const noteId = journal.notes.recordEscrowIntent({
      txId: null,
      device: 'acceptor',
      escrowCode: 'c0',
      denomination: 5_000,
    });
    const before = tableCounts(path);
    const restore = failAuditOf(path, 'orphan.recorded');
    expect(() => journal.notes.commitCredit({ noteId })).toThrow(diskPulled);
    expect(tableCounts(path)).toEqual(before);
    expect(journal.notes.get(noteId).state).toBe('escrowIntent');
    restore();
    expect(journal.notes.commitCredit({ noteId }).orphanId).not.toBeNull();
    expect(journal.cashbox.counters('acceptor').totalValue).toBe(5_000);
  });

  it('rolls back a collection when its audit entry fails: the counters and cycle stay', () => {
    const { journal, path } = tempJournal();
    creditNotes(journal, '13700000000', [1_000, 2_000]);
    const before = tableCounts(path);
    const restore = failAuditOf(path, 'cashbox.collected');
    expect(() => journal.cashbox.collect('acceptor', 'tech-1')).toThrow(diskPulled);
    expect(tableCounts(path)).toEqual(before);
    restore();
    expect(journal.cashbox.collect('acceptor', 'tech-1').totalValue).toBe(3_000);
    expect(journal.cashbox.counters('acceptor').totalValue).toBe(0);
  });

  it('refuses every concern once the journal is closed, naming the operation', () => {
    const { journal } = tempJournal();
    journal.close();
    const calls: Array<[string, () => unknown]> = [
      ['openTransaction', () => journal.transactions.open({ account: 'a', limits: { maxAmount: 1 } })],
      ['pendingEscrowIntents', () => journal.notes.pendingEscrowIntents()],
      ['lastPayment', () => journal.payments.last()],
      ['orphanCredits', () => journal.orphans.list()],
      ['outboxStats', () => journal.outbox.stats()],
      ['cashboxDevices', () => journal.cashbox.devices()],
      ['audit', () => journal.audit.append('tech-1', 'test.action')],
      ['rememberCommand', () => journal.commands.remember({ cmdId: 'c1' })],
      ['machineSnapshot', () => journal.snapshots.get('topUp')],
    ];
    for (const [operation, call] of calls) {
      expect(call, operation).toThrow(
        expect.objectContaining({
          code: ErrorCode.JournalIo,
          details: expect.objectContaining({ operation }),
        }),
      );
    }
  });

  it(`keeps every journal source file under ${MAX_FILE_LINES} lines`, () => {
    const long = readdirSync(JOURNAL_SOURCE)
      .filter((name) => name.endsWith('.ts'))
      .map((name) => ({ name, lines: readFileSync(join(JOURNAL_SOURCE, name), 'utf8').split('\n').length }))
      .filter((file) => file.lines > MAX_FILE_LINES);
    expect(long).toEqual([]);
  });
});
