import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { ErrorCode, KioskError } from '../errors.js';
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
    throw toKioskError(path, 'creating its directory', error);
  }

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
