import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  rmSync,
  statSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { ErrorCode, KioskError } from '../../core/errors.js';
import { currentSchemaVersion, LATEST_SCHEMA_VERSION, migrate } from './migrations.js';

export interface OpenedDatabase {
  db: Database.Database;
  schemaVersion: number;
  migrationsApplied: number[];
}

const CORRUPT_CODES = new Set(['SQLITE_NOTADB', 'SQLITE_CORRUPT']);

function sqliteCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function toKioskError(path: string, stage: string, error: unknown): KioskError {
  if (error instanceof KioskError) return error;
  const code = sqliteCode(error);
  const message = error instanceof Error ? error.message : String(error);
  if (code !== undefined && [...CORRUPT_CODES].some((c) => code.startsWith(c))) {
    return new KioskError(
      ErrorCode.JournalCorrupt,
      `journal ${path} is corrupt or not a database: ${message}`,
      {
        cause: error,
        details: { path, sqliteCode: code, stage },
      },
    );
  }
  return new KioskError(ErrorCode.JournalIo, `journal ${path}: ${stage} failed: ${message}`, {
    cause: error,
    details: { path, stage, ...(code ? { sqliteCode: code } : {}) },
  });
}

/** The one way to replace a journal the daemon refuses; every refusal of a journal file names it. */
const START_FRESH_ADVICE =
  'to start a fresh journal on purpose (the file is moved aside, not deleted), stop kioskd and run: kioskd journal init --force --config FILE';

type MissingJournalReason = 'empty' | 'noSchema';

function holdsNoJournal(path: string, reason: MissingJournalReason): KioskError {
  const what =
    reason === 'empty'
      ? 'is empty (0 bytes), as a filesystem fault can leave it'
      : 'is a SQLite file without the journal schema';
  return new KioskError(
    ErrorCode.JournalCorrupt,
    `journal ${path} ${what}; unsent payments may be lost with it, so kioskd will not replace it by itself; ${START_FRESH_ADVICE}`,
    { details: { path, reason } },
  );
}

function errnoOf(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * SQLite answers a read-only filesystem or a directory it may not write with "unable to open
 * database file"; access(2) tells which it is (EROFS even for root), so the operator reads the fix.
 */
function unwritable(path: string, target: string, error: unknown): KioskError | undefined {
  const errno = errnoOf(error);
  const why =
    errno === 'EROFS'
      ? `the filesystem holding ${target} is read-only; remount it read-write (or set journal.path to a writable disk) and start again`
      : errno === 'EACCES' || errno === 'EPERM'
        ? `permission denied on ${target}; make it writable by the user kioskd runs as and start again`
        : undefined;
  if (why === undefined) return undefined;
  return new KioskError(ErrorCode.JournalIo, `journal ${path}: cannot write: ${why}`, {
    cause: error,
    details: { path, target, errno, reason: errno === 'EROFS' ? 'readOnly' : 'permissionDenied' },
  });
}

/**
 * Why a path cannot be written, told by its nearest existing ancestor: a recursive mkdir on a
 * read-only filesystem reports ENOENT, not EROFS.
 */
function diagnoseUnwritable(path: string, target: string): KioskError | undefined {
  let existing = target;
  while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
  try {
    accessSync(existing, constants.W_OK);
    return undefined;
  } catch (error) {
    return unwritable(path, existing, error);
  }
}

/** The journal's directory (and file, if any) must take writes: the WAL and its index live beside it. */
function requireWritable(path: string, exists: boolean): void {
  for (const target of exists ? [dirname(path), path] : [dirname(path)]) {
    try {
      accessSync(target, constants.W_OK);
    } catch (error) {
      throw unwritable(path, target, error) ?? toKioskError(path, 'checking it can be written', error);
    }
  }
}

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Builds a new journal under a temporary name and links it into place only once it holds the
 * whole schema, so a power cut during first start never leaves an empty or schemaless file at
 * `path` (which the next start would refuse). The link fails if a file appeared meanwhile.
 */
function createJournalFile(path: string, appliedAt: () => string): void {
  const building = join(dirname(path), `.${basename(path)}.creating-${process.pid}`);
  rmSync(building, { force: true });
  try {
    const db = new Database(building);
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      migrate(db, appliedAt());
    } finally {
      // Closing checkpoints the WAL into the file and removes the -wal and -shm files.
      db.close();
    }
    fsyncPath(building);
    linkSync(building, path);
    fsyncPath(dirname(path));
  } catch (error) {
    throw unwritable(path, dirname(path), error) ?? toKioskError(path, 'creating it', error);
  } finally {
    for (const leftover of [building, `${building}-wal`, `${building}-shm`])
      rmSync(leftover, { force: true });
  }
}

/**
 * Opens the journal file, proves it is a healthy database this code understands, and only
 * then changes anything. The order matters: a corrupt or newer file must be left exactly as
 * found (a technician or a newer build may still recover it), so the integrity check and the
 * version check run before the first write (WAL switch, migrations).
 */
export function openJournalDatabase(path: string, appliedAt: () => string): OpenedDatabase {
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (error) {
    throw diagnoseUnwritable(path, dirname(path)) ?? toKioskError(path, 'creating its directory', error);
  }
  let size: number | undefined;
  try {
    size = statSync(path).size;
  } catch (error) {
    if (errnoOf(error) !== 'ENOENT') throw toKioskError(path, 'reading its size', error);
  }
  requireWritable(path, size !== undefined);
  if (size === 0) throw holdsNoJournal(path, 'empty');
  if (size === undefined) createJournalFile(path, appliedAt);

  let db: Database.Database;
  try {
    db = new Database(path);
  } catch (error) {
    throw toKioskError(path, 'opening', error);
  }

  try {
    db.pragma('busy_timeout = 5000');

    const problems = (db.pragma('quick_check(20)') as { quick_check: string }[]).map((r) => r.quick_check);
    if (problems.length !== 1 || problems[0] !== 'ok') {
      throw new KioskError(
        ErrorCode.JournalCorrupt,
        `journal ${path} failed its integrity check: ${problems.slice(0, 3).join('; ')}`,
        { details: { path, problems } },
      );
    }

    const found = currentSchemaVersion(db);
    if (found === 0) throw holdsNoJournal(path, 'noSchema');
    if (found > LATEST_SCHEMA_VERSION) {
      throw new KioskError(
        ErrorCode.JournalNewerVersion,
        `journal ${path} has schema version ${found}, newer than ${LATEST_SCHEMA_VERSION} which this build knows; refusing to touch it`,
        { details: { path, found, known: LATEST_SCHEMA_VERSION } },
      );
    }

    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') {
      throw new KioskError(
        ErrorCode.JournalIo,
        `journal ${path}: could not switch to WAL (got ${String(mode)})`,
        {
          details: { path, journalMode: mode },
        },
      );
    }
    // FULL: with WAL this fsyncs the log on every commit, so a returned call survives a power cut.
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    // 2 MB of page cache (SQLite's own default). better-sqlite3 builds SQLite with 16 MB, which
    // a journal growing ~1.7 MB per 1,000 top-ups fills over ~10,000 of them: measured in the
    // daemon as RSS climbing ~3 MB per 1,000 top-ups until then. The journal's hot pages (open
    // transactions, pending intents, the outbox's pending index, counters) fit many times over.
    db.pragma('cache_size = -2000');

    const migrationsApplied = migrate(db, appliedAt());
    return { db, schemaVersion: currentSchemaVersion(db), migrationsApplied };
  } catch (error) {
    try {
      db.close();
    } catch {
      // The original failure is the one worth reporting.
    }
    throw toKioskError(path, 'preparing', error);
  }
}
