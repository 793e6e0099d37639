import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { Journal } from '../../src/journal/journal.js';
import { silentLogger } from '../../src/log.js';

const WORKER = fileURLToPath(new URL('./collection-crash-worker.ts', import.meta.url));
const KILLS = 24;
const SEED =
  process.env['CRASH_SEED'] === undefined
    ? Math.floor(Math.random() * 0xffff_ffff)
    : Number(process.env['CRASH_SEED']);

/** mulberry32, for the kill delays. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs the worker until `afterMs` past its ready line, SIGKILLs it; returns the steps it reported. */
async function runAndKill(path: string, seed: number, afterMs: number): Promise<string[]> {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, path, String(seed)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const steps: string[] = [];
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += String(chunk);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    const step = (JSON.parse(line) as { step: string }).step;
    steps.push(step);
    if (step === 'ready') setTimeout(() => child.kill('SIGKILL'), afterMs);
  });
  const exit = await exited;
  // Died on its own (an exception in a step): the stderr says why.
  expect(exit.signal, `worker exited ${exit.code}: ${stderr}`).toBe('SIGKILL');
  return steps;
}

/** Collection records against the cashbox cycles and the outbox, beside the journal's own checks. */
function collectionProblems(path: string): string[] {
  const db = new Database(path, { readonly: true });
  try {
    const q = (sql: string) => db.prepare(sql).all() as Array<Record<string, unknown>>;
    return [
      ...q(`SELECT collection_id AS id FROM collections WHERE state <> 'ended'`)
        .slice(1)
        .map((r) => `second open collection ${r['id']}`),
      // An ended collection holds every note its cycle credited: expected sums to the cycle's notes.
      ...q(`SELECT c.collection_id AS id,
                   (SELECT COUNT(*) FROM notes n WHERE n.device = c.device AND n.cashbox_cycle = c.cycle AND n.state = 'credited') AS notes,
                   (SELECT COALESCE(SUM(expected), 0) FROM collection_counts k WHERE k.collection_id = c.collection_id) AS expected
            FROM collections c WHERE c.state = 'ended' AND notes <> expected`).map(
        (r) => `collection ${r['id']} expected ${r['expected']} notes, its cycle credited ${r['notes']}`,
      ),
      ...q(`SELECT collection_id AS id FROM collection_counts WHERE counted IS NULL
            AND collection_id IN (SELECT collection_id FROM collections WHERE state = 'ended')`).map(
        (r) => `ended collection ${r['id']} has a denomination without a count`,
      ),
      // The cycles run 1..n: every closed cycle was closed by exactly one ended collection.
      ...q(`SELECT b.device AS device, b.cycle AS cycle,
                   (SELECT COUNT(*) FROM collections c WHERE c.device = b.device AND c.state = 'ended') AS ended
            FROM cashboxes b WHERE ended <> b.cycle - 1`).map(
        (r) => `cashbox ${r['device']} is in cycle ${r['cycle']} after ${r['ended']} ended collections`,
      ),
      ...q(`SELECT o.seq AS seq FROM outbox o WHERE o.collection_id IS NOT NULL AND NOT EXISTS
              (SELECT 1 FROM collections c WHERE c.collection_id = o.collection_id AND c.state = 'ended' AND c.seq = o.seq)`).map(
        (r) => `outbox seq ${r['seq']} carries a collection that is not ended at that seq`,
      ),
    ];
  } finally {
    db.close();
  }
}

/**
 * SIGKILL at any point of a collection (and of the payments around it) leaves the counters,
 * the collection records and the outbox consistent, and the next run resumes the open one.
 */
describe('cash collection under SIGKILL', () => {
  it(`${KILLS} kills of a process running collections between payments (seed ${SEED})`, {
    timeout: 120_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kioskd-collection-crash-'));
    const path = join(dir, 'journal.sqlite');
    const random = prng(SEED);
    const seen = { ended: 0, resumedOpen: 0 };
    try {
      for (let kill = 0; kill < KILLS; kill++) {
        const steps = await runAndKill(
          path,
          Math.floor(random() * 0xffff_ffff),
          20 + Math.floor(random() * 120),
        );
        seen.ended += steps.filter((s) => s === 'ended').length;
        const journal = Journal.open({ path, kioskId: 'K-CRASH', logger: silentLogger() });
        try {
          const context = `seed ${SEED}, after kill ${kill + 1}`;
          expect(journal.checkConservation(), context).toEqual([]);
          expect(collectionProblems(path), context).toEqual([]);
          if (journal.collections.open() !== null) seen.resumedOpen++;
        } finally {
          journal.close();
        }
      }
      // The kills hit collections, and collections ran to their end between them.
      expect(seen.ended).toBeGreaterThan(0);
      expect(seen.resumedOpen).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
