import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, type KioskError } from '../../core/errors.js';
import { openJournal } from './temp-journal.js';

/*
 * Permission bits do not stop root, and these tests run as root, so the read-only filesystem
 * is a real one: a tmpfs remounted read-only, holding a journal written before the remount.
 */
let mountPoint: string | undefined;

function requireRoot(): void {
  if (process.getuid?.() !== 0) {
    throw new Error('this test mounts a read-only tmpfs and must run as root (it does in the test set-up)');
  }
}

beforeAll(() => {
  requireRoot();
  mountPoint = mkdtempSync(join(tmpdir(), 'kioskd-ro-journal-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mountPoint]);
  openJournal(join(mountPoint, 'existing', 'journal.sqlite')).close();
  execFileSync('mount', ['-o', 'remount,ro', mountPoint]);
});

afterAll(() => {
  if (mountPoint === undefined) return;
  execFileSync('umount', [mountPoint]);
  rmdirSync(mountPoint);
});

function thrown(fn: () => unknown): KioskError {
  try {
    fn();
  } catch (error) {
    return error as KioskError;
  }
  throw new Error('expected a throw');
}

describe('Journal.open on a read-only filesystem', () => {
  it('says the filesystem is read-only, naming the path and the fix, for an existing journal', () => {
    const path = join(mountPoint!, 'existing', 'journal.sqlite');
    const error = thrown(() => openJournal(path));
    expect(error.code).toBe(ErrorCode.JournalIo);
    expect(error.message).toContain(path);
    expect(error.message).toContain('read-only');
    expect(error.message).toContain('remount');
    expect(error.message).not.toContain('unable to open database file');
    expect(error.details).toMatchObject({ reason: 'readOnly', errno: 'EROFS' });
  });

  it('says the same where a new journal would be created', () => {
    for (const path of [
      join(mountPoint!, 'journal.sqlite'),
      join(mountPoint!, 'new-dir', 'journal.sqlite'),
    ]) {
      const error = thrown(() => openJournal(path));
      expect(error.code).toBe(ErrorCode.JournalIo);
      expect(error.message).toContain('read-only');
      expect(error.details).toMatchObject({ reason: 'readOnly' });
    }
  });
});
