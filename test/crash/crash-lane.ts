import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { Prng } from '../../simulators/harness/prng.js';
import { API_TOKEN_FILE } from '../../src/api/api-token.js';
import { CASH_ACCEPTOR_DEVICE } from '../../src/devices/cash-acceptor-wiring.js';
import { hashServicePassword } from '../../src/security/password-hash.js';
import { AcceptorSimProcess } from './acceptor-sim-process.js';
import { type CollectionFigures, checkCollections } from './collection-check.js';
import { type CollectionStep, CollectionTechnician, CRASH_TECHNICIAN } from './collection-technician.js';
import { type ConservationFigures, checkConservation, type Violation } from './conservation-check.js';
import { type JsonLine, JsonLineProcess } from './json-line-process.js';
import { COLLECTION_WINDOWS, type KillPlan, KillScheduler, type KillWindow } from './kill-scheduler.js';
import { KioskApiClient } from './kiosk-api-client.js';
import { driveTopUps, Killed } from './top-up-driver.js';

export interface KillRecord {
  lane: number;
  n: number;
  plan: KillPlan;
  /** What opened the kill: the planned window, or the fallback when it never opened. */
  fired: KillWindow | 'fallback';
  /** ms from the daemon's spawn to the SIGKILL. */
  atMs: number;
  notesInserted: number;
  /** The technician was between collection-start and the end of the collection. */
  inCollection: boolean;
}

/** Counters every lane adds to. */
export interface CrashTally {
  kills: number;
  powerCuts: number;
  topUps: number;
  notesInserted: number;
  readyMs: number;
  readyRuns: number;
  /** Cash collections the lane's technician started (some are killed and finished after the restart). */
  collectionsStarted: number;
  /** Kills that landed inside a collection (between its start and its end). */
  collectionKills: number;
  /** Collections counted wrong on purpose. */
  miscounts: number;
  /** Time spent running collections (not finishing killed ones), ms. */
  collectionMs: number;
  fired: Record<string, number>;
}

/** Both checks' figures after a lane's last check. */
export type LaneFigures = ConservationFigures & CollectionFigures;

export interface LaneResult {
  lane: number;
  figures: LaneFigures | undefined;
  failures: Array<{ lane: number; afterKill: number; violations: Violation[] }>;
  history: KillRecord[];
}

const HISTORY_KEPT = 40;
/** Notes short of the simulated cashbox's capacity at which a collection is due whatever the count. */
const COLLECT_MARGIN = 30;
/** A collection every 5 to 10 top-ups (seeded), as a busy kiosk's box would be emptied. */
const COLLECT_EVERY: [number, number] = [5, 10];
/** Generous: a daemon start is a tsx transpile and a journal open, slow on a loaded 2-core CI. */
const READY_TIMEOUT_MS = 60_000;
/** A run whose planned window never opened is killed anyway after this much driving. */
const FALLBACK_KILL_MS = 6_000;

/** Small limits, so the limit checks and the shrinking list of notes that fit are exercised too. */
const LIMITS = { maxPerTransaction: 20_000, maxPerAccountPerDay: 500_000, maxNotesPerTransaction: 5 };

function writeConfig(dir: string, ptyPath: string, technicianHash: string): string {
  const file = join(dir, 'kiosk.yaml');
  writeFileSync(
    file,
    stringify({
      kioskId: 'crash-1',
      dataDir: join(dir, 'var'),
      // debug: the unit's status changes are the clock the kills are aimed by.
      log: { level: 'debug' },
      devices: {
        cashAcceptor: {
          port: ptyPath,
          pollIntervalMs: 100,
          answerTimeoutMs: 150,
          silenceTimeoutMs: 600,
          reconnect: { initialDelayMs: 50, maxDelayMs: 200, factor: 2, jitter: 0 },
        },
        // Receipts print after each commit (issue 12): a kill mid-print must not touch the money,
        // and the restart settles the print as interrupted instead of printing it twice.
        printer: { enabled: true, port: 'sim:escpos' },
      },
      limits: LIMITS,
      api: { port: 0 },
      simulators: { controlPort: 0, options: { escpos: { timingPreset: 'fast' } } },
      fleet: { enabled: false },
      // The technician who empties the cashbox through the service API (collection-technician.ts).
      technicians: [{ id: CRASH_TECHNICIAN.id, passwordHash: technicianHash }],
    }),
  );
  return file;
}

/** Whether this daemon log line opens the planned window. */
function opensWindow(window: KillWindow, line: JsonLine): boolean {
  const to = typeof line['to'] === 'string' ? line['to'] : '';
  switch (window) {
    case 'startUp':
      return line['msg'] === 'journal open';
    case 'escrow':
    case 'stacking':
      return line['msg'] === 'acceptor status' && to.startsWith('escrow');
    case 'vendValid':
      return line['msg'] === 'acceptor status' && to === 'vendValid';
    case 'credited':
      return line['msg'] === 'note credited';
    case 'collecting':
      return line['msg'] === 'cash collection started';
    default:
      return false;
  }
}

async function waitInService(api: KioskApiClient): Promise<void> {
  const deadline = performance.now() + READY_TIMEOUT_MS;
  for (;;) {
    const { body } = await api.state();
    if (body.kiosk.mode === 'inService') return;
    if (performance.now() > deadline) throw new Error(`the kiosk stayed ${body.kiosk.mode} after recovery`);
    await sleep(20);
  }
}

/**
 * One kiosk of the crash harness: its own simulator process, config and journal, and a daemon
 * started, driven and SIGKILLed `kills` times. Each restart must settle (recovery done, kiosk
 * in service) and pass the conservation check before the next customer.
 */
export class CrashLane {
  readonly #lane: number;
  readonly #dir: string;
  readonly #tally: CrashTally;
  readonly #scheduler: KillScheduler;
  readonly #prng: Prng;
  readonly #seed: number;
  readonly #history: KillRecord[] = [];
  readonly #failures: LaneResult['failures'] = [];
  #figures: LaneFigures | undefined;
  #sim: AcceptorSimProcess | undefined;
  readonly #technician: CollectionTechnician;
  /** Top-ups until the next collection is due. */
  #topUpsToCollection: number;
  #configPath = '';
  /** The daemon's log lines of the last three runs: what led to a failure, for the post-mortem. */
  #lastRuns: string[][] = [];

  readonly #onFigures: (figures: LaneFigures) => void;

  constructor(options: {
    lane: number;
    dir: string;
    seed: number;
    tally: CrashTally;
    /** Each check's figures, as they come. */
    onFigures?: (figures: LaneFigures) => void;
  }) {
    this.#onFigures = options.onFigures ?? (() => {});
    this.#lane = options.lane;
    this.#dir = options.dir;
    this.#tally = options.tally;
    this.#seed = options.seed;
    this.#scheduler = new KillScheduler(options.seed);
    this.#prng = new Prng(options.seed ^ 0x5eed);
    this.#technician = new CollectionTechnician(new Prng(options.seed ^ 0xc011));
    this.#topUpsToCollection = this.#nextCollectionIn();
  }

  #nextCollectionIn(): number {
    const [min, max] = COLLECT_EVERY;
    return min + this.#prng.below(max - min + 1);
  }

  get failed(): boolean {
    return this.#failures.length > 0;
  }

  get #journalPath(): string {
    return join(this.#dir, 'var', 'journal.sqlite');
  }

  /** Runs until `kills` kills, a violation, or `stop()` says another lane failed. */
  async run(kills: number, stop: () => boolean): Promise<LaneResult> {
    this.#sim = await AcceptorSimProcess.start({ ptyDir: join(this.#dir, 'pty'), seed: this.#seed });
    try {
      const hash = await hashServicePassword(Buffer.from(CRASH_TECHNICIAN.password));
      this.#configPath = writeConfig(this.#dir, this.#sim.path, hash);
      for (let n = 1; n <= kills && !this.failed && !stop(); n++) await this.#killOnce(n, this.#sim);
      if (!this.failed && !stop()) await this.#finalCheck();
    } finally {
      await this.#sim.stop();
    }
    return { lane: this.#lane, figures: this.#figures, failures: this.#failures, history: this.#history };
  }

  async #check(afterKill: number, sim: AcceptorSimProcess): Promise<boolean> {
    const cashbox = await sim.cashbox();
    const ledger = cashbox.ledger;
    const money = checkConservation(this.#journalPath, ledger, { quiescent: true });
    const collections = checkCollections(this.#journalPath, {
      device: CASH_ACCEPTOR_DEVICE,
      ledger,
      emptiedBoxes: cashbox.collections,
      counted: this.#technician.counted,
      quiescent: true,
    });
    const result = {
      violations: [...money.violations, ...collections.violations],
      figures: { ...money.figures, ...collections.figures },
    };
    this.#figures = result.figures;
    this.#onFigures(result.figures);
    if (result.violations.length > 0) {
      this.#failures.push({ lane: this.#lane, afterKill, violations: result.violations });
      writeFileSync(join(this.#dir, 'ledger.json'), JSON.stringify(ledger, null, 1));
      writeFileSync(join(this.#dir, 'simulator-state.json'), JSON.stringify(await sim.model(), null, 1));
      this.#keepDaemonLogs();
    }
    return result.violations.length === 0;
  }

  /** The last three runs' daemon logs, beside the journal, for the post-mortem. */
  #keepDaemonLogs(): void {
    this.#lastRuns.forEach((lines, i) => {
      writeFileSync(join(this.#dir, `daemon-run-${i}.log`), `${lines.join('\n')}\n`);
    });
  }

  #spawnDaemon(): JsonLineProcess {
    const daemon = new JsonLineProcess(['run', '--config', this.#configPath]);
    const lines: string[] = [];
    this.#lastRuns = [...this.#lastRuns.slice(-2), lines];
    daemon.onLine((line) => lines.push(JSON.stringify(line)));
    return daemon;
  }

  /**
   * Starts the daemon and waits until start-up recovery settled and the kiosk is in service; a
   * collection the last kill interrupted is finished first, as the technician would
   * (`onStep` times kills aimed at its count and end).
   */
  async #startSettled(
    daemon: JsonLineProcess,
    signal: AbortSignal,
    onStep: (step: CollectionStep) => void = () => {},
  ): Promise<KioskApiClient> {
    await this.#technician.boxBackIn(this.#sim as AcceptorSimProcess);
    const listening = daemon.waitFor(
      'the kiosk API',
      (l) => l['msg'] === 'kiosk api listening',
      READY_TIMEOUT_MS,
    );
    const settled = daemon.waitFor(
      'start-up recovery settled',
      (l) => l['msg'] === 'start-up recovery settled',
      READY_TIMEOUT_MS,
    );
    // Both are awaited together: a start that never listens must not leave `settled` to reject
    // unobserved.
    const [up] = await Promise.all([listening, settled]);
    const url = String(up['url']);
    // The daemon writes this boot's token before it listens.
    const token = readFileSync(join(this.#dir, 'var', API_TOKEN_FILE), 'utf8').trim();
    const api = new KioskApiClient(url, signal, token);
    const miscounted = this.#technician.miscounted;
    try {
      await this.#technician.finishInterrupted(api, this.#sim as AcceptorSimProcess, signal, onStep);
    } finally {
      this.#tally.miscounts += this.#technician.miscounted - miscounted;
    }
    await waitInService(api);
    return api;
  }

  /**
   * Due every few top-ups, when the simulated box (1,000 notes) is nearly full, and at once in a
   * run whose kill is aimed inside a collection.
   */
  async #collectionDue(sim: AcceptorSimProcess, plan: KillPlan, collectedThisRun: boolean): Promise<boolean> {
    if (COLLECTION_WINDOWS.includes(plan.window) && !collectedThisRun) return true;
    if (this.#topUpsToCollection <= 0) return true;
    const cashbox = await sim.cashbox();
    return cashbox.notes >= cashbox.capacity - COLLECT_MARGIN;
  }

  async #killOnce(n: number, sim: AcceptorSimProcess): Promise<void> {
    const plan = this.#scheduler.next();
    const tally = this.#tally;
    const spawnedAt = performance.now();
    const daemon = this.#spawnDaemon();
    const abort = new AbortController();
    let notes = 0;
    let armed = plan.window === 'startUp' || plan.window === 'collecting';
    let collectedThisRun = false;
    let timer: NodeJS.Timeout | undefined;
    let killing: Promise<void> | undefined;

    const killNow = (by: KillWindow | 'fallback'): Promise<void> => {
      if (killing) return killing;
      const atMs = Math.round(performance.now() - spawnedAt);
      // The power goes at the same instant: the cut is sent before waiting for the exit.
      const inCollection = this.#technician.midCollection;
      const killed = daemon.kill();
      const cut = plan.powerCut ? sim.control({ action: 'power.cut' }) : Promise.resolve();
      abort.abort(new Killed('daemon killed'));
      killing = (async () => {
        await Promise.all([killed, cut]);
        if (plan.powerCut) {
          tally.powerCuts++;
          await sim.control({ action: 'power.on' });
        }
        this.#history.push({
          lane: this.#lane,
          n,
          plan,
          fired: by,
          atMs,
          notesInserted: notes,
          inCollection,
        });
        if (inCollection) tally.collectionKills++;
        if (this.#history.length > HISTORY_KEPT) this.#history.shift();
        tally.fired[by] = (tally.fired[by] ?? 0) + 1;
        tally.kills++;
      })();
      return killing;
    };
    const killAfter = (by: KillWindow, ms: number): void => {
      if (timer || killing) return;
      timer = setTimeout(() => void killNow(by), ms);
    };
    const onCollectionStep = (step: CollectionStep): void => {
      if (step === 'count' && plan.window === 'collectionCount') killAfter('collectionCount', plan.afterMs);
      if (step === 'end' && plan.window === 'collectionEnd') killAfter('collectionEnd', plan.afterMs);
    };
    daemon.onLine((line) => {
      if (armed && opensWindow(plan.window, line)) killAfter(plan.window, plan.afterMs);
    });
    // Longer than the readiness waits: a daemon that never gets ready is a failure, not a kill.
    let fallback = setTimeout(() => void killNow('fallback'), READY_TIMEOUT_MS + 10_000);

    try {
      if (plan.window === 'startUp') {
        await daemon.exited;
        return;
      }
      const api = await this.#startSettled(daemon, abort.signal, onCollectionStep);
      tally.readyMs += performance.now() - spawnedAt;
      tally.readyRuns++;
      if (!(await this.#check(n - 1, sim))) return;
      clearTimeout(fallback);
      fallback = setTimeout(() => void killNow('fallback'), FALLBACK_KILL_MS);
      await driveTopUps(api, sim, this.#prng, abort.signal, {
        maxNotes: LIMITS.maxNotesPerTransaction,
        onTopUp: () => {
          tally.topUps++;
          this.#topUpsToCollection--;
          if (plan.window === 'anytime') killAfter('anytime', plan.afterMs);
        },
        onNote: () => {
          notes++;
          tally.notesInserted++;
          if (notes - 1 < plan.noteIndex) return;
          if (plan.window === 'noteLife') killAfter('noteLife', plan.afterMs);
          armed = true;
        },
        onEnding: () => {
          if (plan.window === 'commit') killAfter('commit', plan.afterMs);
        },
        betweenCustomers: async () => {
          if (!(await this.#collectionDue(sim, plan, collectedThisRun))) return;
          collectedThisRun = true;
          tally.collectionsStarted++;
          const startedAt = performance.now();
          const miscounted = this.#technician.miscounted;
          try {
            await this.#technician.collect(api, sim, abort.signal, onCollectionStep);
          } finally {
            tally.miscounts += this.#technician.miscounted - miscounted;
          }
          tally.collectionMs += performance.now() - startedAt;
          this.#topUpsToCollection = this.#nextCollectionIn();
          // The customers' share of the run starts after the collection.
          if (!killing && !COLLECTION_WINDOWS.includes(plan.window)) {
            clearTimeout(fallback);
            fallback = setTimeout(() => void killNow('fallback'), FALLBACK_KILL_MS);
          }
        },
      });
    } catch (error) {
      if (!(error instanceof Killed) && !abort.signal.aborted) {
        await killNow('fallback');
        this.#keepDaemonLogs();
        throw new Error(
          `crash harness lane ${this.#lane}, run ${n}: ${error instanceof Error ? error.message : String(error)}\ndaemon stderr:\n${daemon.stderrTail()}`,
        );
      }
    } finally {
      clearTimeout(timer);
      clearTimeout(fallback);
      // A start-up kill whose line came after the daemon settled (or a daemon that exited).
      await (killing ?? killNow('fallback'));
    }
  }

  /** One more start must settle what the last kill left; a clean stop must keep it so. */
  async #finalCheck(): Promise<void> {
    const sim = this.#sim as AcceptorSimProcess;
    const daemon = this.#spawnDaemon();
    try {
      await this.#startSettled(daemon, new AbortController().signal);
      if (await this.#check(this.#tally.kills, sim)) {
        await daemon.stop();
        await this.#check(this.#tally.kills, sim);
      }
    } finally {
      await daemon.stop();
    }
  }
}
