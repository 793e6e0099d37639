/**
 * Journal credit commits per second against the floor set by the disk: raw better-sqlite3
 * single-row INSERT transactions with the same pragmas (WAL, synchronous=FULL) in the same
 * directory, measured in alternating rounds of the same run so both see the same disk state.
 *
 * A credit is two durable transactions by design (DESIGN.md invariant 1): the escrow intent
 * is committed before STACK, the credit before VEND VALID is acknowledged. Each costs one WAL
 * fsync, so the best the journal can do is half the raw durable transaction rate. The ratio is
 *
 *     credits/s ÷ (raw transactions/s ÷ 2)
 *
 * i.e. credits per second against raw durable transactions per credit-equivalent. 1.0 means the
 * journal's extra work (validation, lookups, counter and audit rows) costs nothing next to the
 * fsyncs; the target ≥ 0.8 allows it at most a fifth on top.
 *
 * `npx tsx bench/journal-commit.bench.ts [--smoke] [--dir <path>]` prints the result as JSON;
 * BENCH_SMOKE=1 also selects the short run. The directory defaults to the OS temp dir; pass
 * --dir to measure the disk the kiosk's journal really lives on.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { Journal } from '../src/journal/journal.js';
import { silentLogger } from '../src/log.js';
import type { BenchResult } from './bench-result.js';

const TARGET = 0.8;

export interface JournalCommitBenchOptions {
  smoke?: boolean;
  /** Parent directory for the bench's scratch files. */
  dir?: string;
}

function openRaw(path: string): { insert: () => void; close: () => void } {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.exec(
    'CREATE TABLE IF NOT EXISTS rows (id INTEGER PRIMARY KEY, at TEXT NOT NULL, value INTEGER NOT NULL)',
  );
  const stmt = db.prepare('INSERT INTO rows (at, value) VALUES (?, ?)');
  const insertOne = db.transaction((at: string, value: number) => stmt.run(at, value));
  return {
    insert: () => {
      insertOne.immediate(new Date().toISOString(), 10_000);
    },
    close: () => db.close(),
  };
}

/** Runs `step` until `ms` elapsed; returns how many steps completed and each one's latency. */
function timed(ms: number, step: () => void): { count: number; elapsedMs: number; latencies: number[] } {
  const latencies: number[] = [];
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    step();
    const after = performance.now();
    latencies.push(after - now);
    now = after;
  }
  return { count: latencies.length, elapsedMs: now - start, latencies };
}

function sqliteVersion(): string {
  const db = new Database(':memory:');
  try {
    return String(db.prepare('SELECT sqlite_version()').pluck().get());
  } finally {
    db.close();
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export async function run(options: JournalCommitBenchOptions = {}): Promise<BenchResult> {
  const smoke = options.smoke ?? process.env.BENCH_SMOKE === '1';
  const rounds = smoke ? 2 : 5;
  const roundMs = smoke ? 250 : 1500;
  const parent = options.dir ?? tmpdir();
  const scratch = mkdtempSync(join(parent, 'kioskd-bench-journal-'));

  const raw = openRaw(join(scratch, 'raw.sqlite'));
  const journal = Journal.open({
    path: join(scratch, 'journal.sqlite'),
    kioskId: 'BENCH',
    logger: silentLogger(),
  });
  try {
    const tx = journal.openTransaction({
      account: '13800000000',
      limits: { maxAmount: Number.MAX_SAFE_INTEGER },
    });
    const credit = () => {
      const noteId = journal.recordEscrowIntent({
        txId: tx.txId,
        device: 'bv',
        escrowCode: '0x64',
        denomination: 10_000,
      });
      journal.commitCredit({ noteId });
    };

    // Warm both files (page cache, WAL growth) before anything is counted.
    timed(smoke ? 50 : 300, raw.insert);
    timed(smoke ? 50 : 300, credit);

    let rawCount = 0;
    let rawMs = 0;
    let credits = 0;
    let creditMs = 0;
    const creditLatencies: number[] = [];
    const rawLatencies: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const r = timed(roundMs, raw.insert);
      rawCount += r.count;
      rawMs += r.elapsedMs;
      rawLatencies.push(...r.latencies);
      const c = timed(roundMs, credit);
      credits += c.count;
      creditMs += c.elapsedMs;
      creditLatencies.push(...c.latencies);
      // Yield between rounds so a runner's timers and I/O are not starved for the whole bench.
      await new Promise((done) => setImmediate(done));
    }

    const rawPerSec = (rawCount / rawMs) * 1000;
    const creditsPerSec = (credits / creditMs) * 1000;
    const value = creditsPerSec / (rawPerSec / 2);
    creditLatencies.sort((a, b) => a - b);
    rawLatencies.sort((a, b) => a - b);
    const violations = journal.checkConservation().length;

    return {
      name: 'journal-commit',
      figures: {
        rawDurableTxPerSec: round(rawPerSec),
        creditsPerSec: round(creditsPerSec),
        journalDurableTxPerSec: round(creditsPerSec * 2),
        rawTxP50Ms: round(percentile(rawLatencies, 50), 3),
        rawTxP99Ms: round(percentile(rawLatencies, 99), 3),
        creditP50Ms: round(percentile(creditLatencies, 50), 3),
        creditP99Ms: round(percentile(creditLatencies, 99), 3),
        creditsMeasured: credits,
        rawTxMeasured: rawCount,
        rounds,
        roundMs,
        conservationViolations: violations,
        dir: parent,
        sqlite: sqliteVersion(),
        mode: smoke ? 'smoke' : 'full',
      },
      ratio: {
        name: 'credits/s ÷ (raw durable tx/s ÷ 2)',
        value: round(value, 3),
        target: `>= ${TARGET}`,
        pass: value >= TARGET && violations === 0,
      },
    };
  } finally {
    journal.close();
    raw.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}

function argValue(flag: string): string | undefined {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const dir = argValue('--dir');
  run({ smoke: process.argv.includes('--smoke') || process.env.BENCH_SMOKE === '1', ...(dir ? { dir } : {}) })
    .then((result) => {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    })
    .catch((error: unknown) => {
      process.stderr.write(
        `journal-commit bench failed: ${error instanceof Error ? error.message : String(error)}\n`,
      );
      process.exitCode = 1;
    });
}
