import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CrashLane,
  type CrashTally,
  type KillRecord,
  type LaneFigures,
  type LaneResult,
} from './crash-lane.js';
import { KILL_WINDOWS } from './kill-scheduler.js';

/**
 * The crash harness of DESIGN.md invariant 1: the real daemon (`kioskd run`) in one process,
 * the ID-003 simulator (`kioskd sim id003 --pty --timing fast`) in another, top-ups driven
 * through the kiosk API with seeded random notes, accounts and endings, and the daemon SIGKILLed
 * at instants aimed at the dangerous windows of a note's life — sometimes with the acceptor's
 * power cut at the same instant. After each restart has settled, and at the end, the journal
 * must account for every note in the simulator's cashbox, once.
 *
 * Cash collections are part of the cycle: every 5–10 top-ups a technician empties the box through
 * the service API (collection-technician.ts), and some kills are aimed inside a collection. The
 * collection check (collection-check.ts) then holds every box emptied to its collection record.
 *
 * Most of a kill's cost is the daemon's start (loading the code), so independent kiosks — each
 * its own simulator, journal and daemon — run side by side in `lanes`.
 */

export interface CrashHarnessOptions {
  kills: number;
  seed: number;
  /** Independent kiosks run side by side; the kills are shared out between them. */
  lanes?: number;
  /** Called every `progressEvery` kills and at the end. */
  onProgress?: (progress: CrashProgress) => void;
  progressEvery?: number;
}

export interface CrashProgress {
  kills: number;
  powerCuts: number;
  topUps: number;
  notesInserted: number;
  /** Summed over the lanes' last checks. */
  figures: LaneFigures;
  violations: number;
  elapsedMs: number;
  /** Mean time from spawning the daemon to recovery settled and the kiosk in service. */
  meanReadyMs: number;
  /** Collections the technicians started (a killed one is finished after the restart). */
  collectionsStarted: number;
  /** Kills that landed between a collection's start and its end. */
  collectionKills: number;
  /** Collections counted wrong on purpose (each must end as a discrepancy). */
  miscounts: number;
  /** Time the lanes spent running collections, summed, ms. */
  collectionMs: number;
  /** Kills by the window that opened them. */
  fired: Record<string, number>;
}

export interface CrashSummary extends CrashProgress {
  seed: number;
  /** Kept (with every journal) when a check failed. */
  dir: string;
  failures: LaneResult['failures'];
  /** The last kills of the failing lane, or of every lane when none failed. */
  history: KillRecord[];
}

function sumFigures(results: Array<LaneFigures | undefined>): LaneFigures {
  const total: LaneFigures = {
    ledgerNotes: 0,
    creditedNotes: 0,
    payments: 0,
    orphanCredits: 0,
    openTransactions: 0,
    collectionsEnded: 0,
    discrepancies: 0,
    unknownValueCollections: 0,
    openCollections: 0,
    collectedNotes: 0,
    cycleNotes: 0,
  };
  for (const f of results) {
    if (!f) continue;
    for (const key of Object.keys(total) as Array<keyof LaneFigures>) total[key] += f[key];
  }
  return total;
}

export async function runCrashHarness(options: CrashHarnessOptions): Promise<CrashSummary> {
  const lanesWanted = options.lanes ?? 1;
  if (!Number.isSafeInteger(options.kills) || options.kills < 1) {
    throw new Error(`kills must be a whole number >= 1, got ${options.kills}`);
  }
  if (!Number.isSafeInteger(lanesWanted) || lanesWanted < 1 || lanesWanted > 8) {
    throw new Error(`lanes must be a whole number from 1 to 8, got ${lanesWanted}`);
  }
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'kioskd-crash-'));
  const tally: CrashTally = {
    kills: 0,
    powerCuts: 0,
    topUps: 0,
    notesInserted: 0,
    readyMs: 0,
    readyRuns: 0,
    collectionsStarted: 0,
    collectionKills: 0,
    miscounts: 0,
    collectionMs: 0,
    fired: Object.fromEntries([...KILL_WINDOWS.map((w) => w.window), 'fallback'].map((w) => [w, 0])),
  };
  const figures = new Map<number, LaneFigures | undefined>();
  const lanes = Array.from({ length: Math.min(lanesWanted, options.kills) }, (_, lane) => {
    const laneDir = join(dir, `lane-${lane}`);
    mkdirSync(laneDir);
    return new CrashLane({
      lane,
      dir: laneDir,
      seed: (options.seed + lane * 0x9e37_79b9) >>> 0,
      tally,
      onFigures: (f) => figures.set(lane, f),
    });
  });
  const progress = (violations: number): CrashProgress => ({
    kills: tally.kills,
    powerCuts: tally.powerCuts,
    topUps: tally.topUps,
    notesInserted: tally.notesInserted,
    figures: sumFigures([...figures.values()]),
    violations,
    elapsedMs: Math.round(performance.now() - started),
    meanReadyMs: tally.readyRuns === 0 ? 0 : Math.round(tally.readyMs / tally.readyRuns),
    collectionsStarted: tally.collectionsStarted,
    collectionKills: tally.collectionKills,
    miscounts: tally.miscounts,
    collectionMs: Math.round(tally.collectionMs),
    fired: { ...tally.fired },
  });

  const every = options.progressEvery ?? 50;
  let reported = 0;
  const ticker = setInterval(() => {
    if (!options.onProgress || tally.kills < reported + every) return;
    reported = tally.kills - (tally.kills % every);
    options.onProgress(progress(0));
  }, 250);

  let results: LaneResult[] = [];
  try {
    const stop = () => lanes.some((l) => l.failed);
    results = await Promise.all(
      lanes.map((lane, i) => {
        const share = Math.floor(options.kills / lanes.length) + (i < options.kills % lanes.length ? 1 : 0);
        return lane.run(share, stop);
      }),
    );
  } finally {
    clearInterval(ticker);
  }
  const failures = results.flatMap((r) => r.failures);
  const failing = results.find((r) => r.failures.length > 0);
  const summary: CrashSummary = {
    ...progress(failures.reduce((n, f) => n + f.violations.length, 0)),
    seed: options.seed,
    dir,
    failures,
    history: failing ? failing.history : results.flatMap((r) => r.history.slice(-5)),
  };
  if (failures.length === 0) rmSync(dir, { recursive: true, force: true });
  return summary;
}
