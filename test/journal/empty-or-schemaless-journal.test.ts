import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ErrorCode, type KioskError } from '../../core/errors.js';
import { openJournal, tempDir } from './temp-journal.js';

function thrown(fn: () => unknown): KioskError {
  try {
    fn();
  } catch (error) {
    return error as KioskError;
  }
  throw new Error('expected a throw');
}

/*
 * After a filesystem fault a journal can be left as an empty file. Replacing it silently would
 * restart seq at 1 and drop unsent payments, so it is refused like a corrupt file, with the
 * one command that starts fresh on purpose.
 */
describe('Journal.open on a file that holds no journal', () => {
  it('refuses an empty (0-byte) file as corrupt, says how to start fresh, and leaves it untouched', () => {
    const dir = tempDir();
    const path = join(dir, 'journal.sqlite');
    writeFileSync(path, '');

    const error = thrown(() => openJournal(path));
    expect(error.code).toBe(ErrorCode.JournalCorrupt);
    expect(error.message).toContain(path);
    expect(error.message).toContain('empty');
    expect(error.message).toContain('kioskd journal init --force');
    expect(error.message.split('\n')).toHaveLength(1);
    expect(error.details).toMatchObject({ path, reason: 'empty' });
    expect(statSync(path).size).toBe(0);
    expect(readdirSync(dir)).toEqual(['journal.sqlite']);
  });

  it('refuses a SQLite file without the journal schema, leaving it byte-identical', () => {
    const dir = tempDir();
    const path = join(dir, 'journal.sqlite');
    const raw = new Database(path);
    raw.exec('CREATE TABLE something_else (x INTEGER)');
    raw.close();
    const before = readFileSync(path);

    const error = thrown(() => openJournal(path));
    expect(error.code).toBe(ErrorCode.JournalCorrupt);
    expect(error.message).toContain(path);
    expect(error.message).toContain('kioskd journal init --force');
    expect(error.details).toMatchObject({ path, reason: 'noSchema' });
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(readdirSync(dir)).toEqual(['journal.sqlite']);
  });

  it('still creates a journal where no file exists, leaving no temporary file behind', () => {
    const dir = tempDir();
    const path = join(dir, 'journal.sqlite');
    const journal = openJournal(path);
    expect(journal.audit.tail(5).map((e) => e.action)).toContain('journal.created');
    journal.close();
    expect(readdirSync(dir)).toEqual(['journal.sqlite']);
    // A journal that was created and closed opens again (it is not mistaken for a schemaless one).
    expect(openJournal(path).summary().payments).toBe(0);
  });
});
