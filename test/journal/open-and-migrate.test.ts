import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ErrorCode, type KioskError } from '../../core/errors.js';
import { LATEST_SCHEMA_VERSION, migrations } from '../../src/journal/migrations.js';
import { openJournal, tempDir, tempJournal } from './temp-journal.js';

function thrown(fn: () => unknown): KioskError {
  try {
    fn();
  } catch (error) {
    return error as KioskError;
  }
  throw new Error('expected a throw');
}

describe('Journal.open', () => {
  it('creates parent directories and migrates an empty file to the latest version', () => {
    const path = join(tempDir(), 'nested', 'deeper', 'journal.sqlite');
    const journal = openJournal(path);
    expect(journal.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    expect(migrations.map((m) => m.version)).toEqual(migrations.map((_, i) => i + 1));

    const raw = new Database(path, { readonly: true });
    const versions = raw.prepare('SELECT version FROM schema_version ORDER BY version').pluck().all();
    expect(versions).toEqual(migrations.map((m) => m.version));
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();
    expect(journal.summary()).toMatchObject({ kioskId: 'K-0001', payments: 0, openTransactions: 0 });
  });

  it('runs its connection in WAL with synchronous=FULL and foreign keys on', () => {
    const { journal } = tempJournal();
    // cache_size: 2 MB, not better-sqlite3's 16 MB build default that grew the daemon's RSS.
    expect(journal.durability()).toEqual({
      journalMode: 'wal',
      synchronous: 'full',
      foreignKeys: true,
      cacheSize: -2000,
    });
  });

  it('keeps data across close and re-open without re-running migrations', () => {
    const { journal, path } = tempJournal();
    const tx = journal.transactions.open({ account: '13800138000', limits: { maxAmount: 50_000 } });
    journal.close();
    const again = openJournal(path);
    expect(again.transactions.get(tx.txId)).toEqual(tx);
    expect(again.audit.tail(10).filter((e) => e.action === 'journal.created')).toHaveLength(1);
  });

  it('refuses a database from a newer build with both version numbers, leaving it as found', () => {
    const { journal, path } = tempJournal();
    journal.close();
    const raw = new Database(path);
    raw
      .prepare("INSERT INTO schema_version (version, name, applied_at) VALUES (?, 'future', 'x')")
      .run(LATEST_SCHEMA_VERSION + 3);
    raw.pragma('journal_mode = DELETE');
    raw.close();
    const before = readFileSync(path);

    const error = thrown(() => openJournal(path));
    expect(error.code).toBe(ErrorCode.JournalNewerVersion);
    expect(error.details).toMatchObject({ found: LATEST_SCHEMA_VERSION + 3, known: LATEST_SCHEMA_VERSION });
    expect(error.message).toContain(String(LATEST_SCHEMA_VERSION + 3));
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('refuses a file that is not a database, leaving it byte-identical and creating no side files', () => {
    const dir = tempDir();
    const path = join(dir, 'journal.sqlite');
    const garbage = Buffer.from('this is a text file, not a journal\n'.repeat(200));
    writeFileSync(path, garbage);

    const error = thrown(() => openJournal(path));
    expect(error.code).toBe(ErrorCode.JournalCorrupt);
    expect(error.message).toContain(path);
    expect(readFileSync(path).equals(garbage)).toBe(true);
    expect(readdirSync(dir)).toEqual(['journal.sqlite']);
  });

  it('refuses a database with a damaged page as corrupt, never re-creating it', () => {
    const { journal, path } = tempJournal();
    for (let i = 0; i < 200; i++) journal.audit.append('test', 'fill', { i, padding: 'x'.repeat(200) });
    journal.close();
    const raw = new Database(path);
    raw.pragma('journal_mode = DELETE');
    raw.close();
    const bytes = readFileSync(path);
    // Page 3 onwards holds table b-trees; scribbling over one breaks its structure.
    const pageSize = bytes.readUInt16BE(16);
    bytes.fill(0xa5, pageSize * 3, pageSize * 3 + 512);
    writeFileSync(path, bytes);

    const error = thrown(() => openJournal(path));
    expect(error.code).toBe(ErrorCode.JournalCorrupt);
    expect(readFileSync(path).equals(bytes)).toBe(true);
  });

  it('refuses a journal that belongs to another kiosk', () => {
    const { journal, path } = tempJournal();
    journal.close();
    const error = thrown(() => openJournal(path, { kioskId: 'K-0002' }));
    expect(error.code).toBe(ErrorCode.JournalConflict);
    expect(error.message).toContain('K-0001');
  });

  it('rejects bad open options with JournalBadInput', () => {
    expect(thrown(() => openJournal(join(tempDir(), 'j.sqlite'), { kioskId: '' })).code).toBe(
      ErrorCode.JournalBadInput,
    );
    expect(thrown(() => openJournal(join(tempDir(), 'j.sqlite'), { currency: 'yuan' })).code).toBe(
      ErrorCode.JournalBadInput,
    );
  });

  it('refuses calls after close with a JournalIo error', () => {
    const { journal } = tempJournal();
    journal.close();
    expect(thrown(() => journal.summary()).code).toBe(ErrorCode.JournalIo);
  });
});
