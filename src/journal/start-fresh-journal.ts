import { closeSync, existsSync, fsyncSync, openSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import { ErrorCode, isKioskError, KioskError } from '../../core/errors.js';
import type { Logger } from '../log.js';
import { Journal } from './journal.js';

export interface StartFreshJournalOptions {
  path: string;
  kioskId: string;
  currency: string;
  /** Who asked, for the audit record (e.g. "cli:root"). */
  by: string;
  /** Without it an existing file is never touched. */
  force: boolean;
  logger: Logger;
  clock?: () => Date;
}

export interface FreshJournal {
  path: string;
  /** Where the refused file went, when there was one. */
  movedTo?: string;
  /** Why the daemon refused that file. */
  refusal?: string;
}

/** What a journal file can be refused for that a fresh file cures; anything else (read-only disk...) it would not. */
const REPLACEABLE = new Set<number>([
  ErrorCode.JournalCorrupt,
  ErrorCode.JournalNewerVersion,
  ErrorCode.JournalConflict,
]);

function fsyncDirectory(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The refused file and its WAL side files, renamed together so none is left to confuse the new journal. */
function moveAside(path: string, at: Date): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
  const target = `${path}.refused-${stamp}`;
  const pairs = ['', '-wal', '-shm'].map((suffix) => [`${path}${suffix}`, `${target}${suffix}`] as const);
  for (const [, to] of pairs) {
    if (existsSync(to)) {
      throw new KioskError(
        ErrorCode.JournalConflict,
        `journal ${path}: ${to} exists already; try again in a second`,
        {
          details: { path, target: to },
        },
      );
    }
  }
  for (const [from, to] of pairs) if (existsSync(from)) renameSync(from, to);
  fsyncDirectory(dirname(path));
  return target;
}

/** The daemon's reason to refuse the journal, or, when it opens cleanly, what it holds. */
function refusalOf(open: () => Journal): KioskError | { payments: number; outboxPending: number } {
  try {
    const journal = open();
    const { payments, outboxPending } = journal.summary();
    journal.close();
    return { payments, outboxPending };
  } catch (error) {
    if (isKioskError(error) && REPLACEABLE.has(error.code)) return error;
    throw error;
  }
}

/**
 * `kioskd journal init`: creates a missing journal, or, with force, moves a journal the daemon
 * refuses (empty, schemaless, corrupt, newer, another kiosk's) aside and starts a fresh one whose
 * first audit record says what was moved where and by whom. Nothing is deleted: unsent payments
 * in the old file can still be recovered from it. A journal that opens cleanly is never replaced.
 */
export function startFreshJournal(options: StartFreshJournalOptions): FreshJournal {
  const { path, kioskId, currency, logger } = options;
  const clock = options.clock ?? (() => new Date());
  const open = () => Journal.open({ path, kioskId, currency, logger, clock });
  if (!existsSync(path)) {
    open().close();
    return { path };
  }
  if (!options.force) {
    throw new KioskError(
      ErrorCode.JournalConflict,
      `journal ${path} exists; it is left as it is (--force moves a journal the daemon refuses aside)`,
      { details: { path } },
    );
  }
  const refusal = refusalOf(open);
  if (!(refusal instanceof KioskError)) {
    throw new KioskError(
      ErrorCode.JournalConflict,
      `journal ${path} opens cleanly (${refusal.payments} payments, ${refusal.outboxPending} not yet acknowledged by the fleet); it is not replaced`,
      { details: { path, ...refusal } },
    );
  }
  const at = clock();
  const movedTo = moveAside(path, at);
  const journal = open();
  try {
    journal.audit.append(options.by, 'journal.replaced', {
      movedFrom: path,
      movedTo,
      refusal: refusal.message,
      refusalCode: refusal.code,
      at: at.toISOString(),
    });
  } finally {
    journal.close();
  }
  logger.warn(
    { path, movedTo, refusal: refusal.message, by: options.by },
    'journal moved aside; fresh journal started',
  );
  return { path, movedTo, refusal: refusal.message };
}
