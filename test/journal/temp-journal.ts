import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { Journal, type JournalOpenOptions } from '../../src/journal/journal.js';
import { silentLogger } from '../../src/log.js';

const dirs: string[] = [];
const journals: Journal[] = [];

afterEach(() => {
  for (const journal of journals.splice(0)) journal.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh directory removed after the test. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kioskd-journal-'));
  dirs.push(dir);
  return dir;
}

/** Opens (or re-opens) a journal that the test teardown closes. */
export function openJournal(path: string, options: Partial<JournalOpenOptions> = {}): Journal {
  const journal = Journal.open({ path, kioskId: 'K-0001', logger: silentLogger(), ...options });
  journals.push(journal);
  return journal;
}

export function tempJournal(options: Partial<JournalOpenOptions> = {}): { journal: Journal; path: string } {
  const path = join(tempDir(), 'journal.sqlite');
  return { journal: openJournal(path, options), path };
}

/** A clock that moves `stepMs` forward on every reading, so timestamps differ and order is visible. */
export function steppingClock(startIso: string, stepMs: number): () => Date {
  let t = Date.parse(startIso);
  return () => {
    t += stepMs;
    return new Date(t);
  };
}

/** Opens a transaction and credits the given notes on device `acceptor`. */
export function creditNotes(journal: Journal, account: string, denominations: readonly number[]): string {
  const tx = journal.transactions.open({ account, limits: { maxAmount: 1_000_000 } });
  for (const [i, denomination] of denominations.entries()) {
    const noteId = journal.notes.recordEscrowIntent({
      txId: tx.txId,
      device: 'acceptor',
      escrowCode: `c${i}`,
      denomination,
    });
    journal.notes.commitCredit({ noteId });
  }
  return tx.txId;
}
