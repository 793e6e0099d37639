import { readFileSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { tempJournal } from './temp-journal.js';

const WAL_HEADER_BYTES = 32;
const FRAME_HEADER_BYTES = 24;

/** The b-tree (table or index name) of every page the WAL holds after `fromByte`. */
function btreesWrittenSince(path: string, fromByte: number): string[] {
  const wal = readFileSync(`${path}-wal`);
  const side = new Database(path, { readonly: true });
  try {
    const pageSize = Number(side.pragma('page_size', { simple: true }));
    const owner = new Map(
      (side.prepare('SELECT name, pageno FROM dbstat').all() as { name: string; pageno: number }[]).map(
        (r) => [r.pageno, r.name],
      ),
    );
    const names: string[] = [];
    for (
      let at = Math.max(fromByte, WAL_HEADER_BYTES);
      at < wal.length;
      at += FRAME_HEADER_BYTES + pageSize
    ) {
      const page = wal.readUInt32BE(at);
      names.push(owner.get(page) ?? `page ${page}`);
    }
    return names.sort();
  } finally {
    side.close();
  }
}

// Each page a credit dirties is one more WAL frame written and fsynced before the device's
// credit can be acknowledged (the journal-commit bench). These pin the credit to the pages its
// rules need, so a new index touched by the state change or a per-credit audit row shows up here.
describe('what a credit writes', () => {
  it('writes exactly the note row, its leaving the escrow-intent index and the counter cell', () => {
    const { journal, path } = tempJournal();
    const tx = journal.transactions.open({ account: '13912345678', limits: { maxAmount: 10_000_000 } });
    const credit = (i: number): string[] => {
      const noteId = journal.notes.recordEscrowIntent({
        txId: tx.txId,
        device: 'bv',
        escrowCode: `c${i}`,
        denomination: i % 2 === 0 ? 10_000 : 5_000,
      });
      const before = statSync(`${path}-wal`).size;
      journal.notes.commitCredit({ noteId });
      return btreesWrittenSince(path, before);
    };
    // A device's first credit also creates its cashbox row; that happens once in its life.
    expect(credit(0)).toEqual([
      'cashbox_counts',
      'cashboxes',
      'notes',
      'notes_one_intent_per_device',
      'sqlite_autoindex_cashboxes_1',
    ]);
    for (let i = 1; i < 20; i++) {
      expect(credit(i)).toEqual(['cashbox_counts', 'notes', 'notes_one_intent_per_device']);
    }
    expect(journal.checkConservation()).toEqual([]);
  });

  it('writes nothing when the device repeats a credit already committed', () => {
    const { journal, path } = tempJournal();
    const tx = journal.transactions.open({ account: '13912345678', limits: { maxAmount: 100_000 } });
    const noteId = journal.notes.recordEscrowIntent({
      txId: tx.txId,
      device: 'bv',
      escrowCode: 'c0',
      denomination: 10_000,
    });
    journal.notes.commitCredit({ noteId });
    const before = statSync(`${path}-wal`).size;
    expect(journal.notes.commitCredit({ noteId })).toMatchObject({ alreadyCredited: true });
    expect(statSync(`${path}-wal`).size).toBe(before);
    expect(journal.cashbox.counters('bv').totalCount).toBe(1);
  });
});
