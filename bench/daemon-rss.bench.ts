import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { stringify } from 'yaml';
import { API_TOKEN_FILE } from '../src/api/api-token.js';
import type { BenchResult } from './bench-result.js';
import { statusBytes } from './proc-stats.js';
import { describeEnvironment, unitEnvironment } from './systemd-unit-env.js';

/**
 * The daemon's memory over a long day: the REAL daemon, compiled (`node dist/src/cli/bin.js run`,
 * what systemd runs, with the `Environment=` lines of seeds/systemd/kioskd.service), with its
 * journal and kiosk API, talking to an ID-003 acceptor over a real serial line: the simulator
 * runs in its OWN process (`kioskd sim id003 --pty`, a socat pty pair) and the daemon opens the
 * pty path like /dev/ttyUSB0, through the native serial bindings a kiosk uses. A kiosk's acceptor
 * is a separate machine, so its model, its control channel and its ground-truth note ledger (one
 * entry per note, by design) are not the daemon's memory; run in-process (`sim:id003`) they
 * were, and grew with every note. The simulator is on fast timing with its mechanics compressed
 * further and wire time off; the daemon polls it every 100 ms, the fastest the config allows on
 * a serial path (10 ms is for `sim:` ports only), so the poll paces the run: ~2.2 top-ups a
 * second, about 75 minutes for 10,000 (BENCH_TOPUPS=2000 for a quicker look; the RSS levels
 * off within ~300 top-ups). The fleet link is disabled: this measures the kiosk side; the
 * link's own memory is the fleet benches' concern. This process plays the screen and the
 * customer: it drives complete top-ups one after another through the kiosk API (start → random
 * CN mobile number → 1-3 random notes via the simulator's control channel, each awaited as a
 * `topup.note` event on one long-lived event stream → confirm → done), empties the cashbox every
 * few hundred top-ups like a cash collection, and samples the daemon's VmRSS from
 * /proc/<pid>/status every 100 top-ups.
 *
 * Judged: 80 MB / RSS after the last top-up (pass ≥ 1). Reported beside it, not judged: the
 * least-squares slope of RSS over the last half, in MB per 1,000 top-ups, against 0.5. Why 0.5:
 * RSS moves in steps of whole V8 pages and with each major GC, so a flat process still shows a
 * few MB of noise over 50 samples; 0.5 MB per 1,000 is what a leak of ~500 bytes a top-up looks
 * like (one retained view, event or prepared statement per transaction), which would reach the
 * 80 MB limit within about a year of a busy kiosk (~100 top-ups a day) and is worth catching.
 * The simulator process's RSS is reported too, not judged.
 */
const FULL_TOP_UPS = 10_000;
const SMOKE_TOP_UPS = 30;
const SAMPLE_EVERY = 100;
const SMOKE_SAMPLE_EVERY = 10;
/** At most 3 notes a top-up: 300 top-ups stay under the simulated cashbox's 1,000 notes. */
const COLLECT_EVERY = 300;
/** The config's minimum for a real (non-`sim:`) port; a real kiosk polls every 150 ms by default. */
const POLL_INTERVAL_MS = 100;
/**
 * The fast preset's mechanics (20 ms drawing in, 40 ms stacking, 10 ms stacked) add 70 ms a
 * note, ~23 minutes over 20,000 notes: compressed further, only the poll paces the run (given
 * to `kioskd sim --timing-ms`). Every step and poll still happens, in the same order.
 */
const SIMULATED_MECHANICS_MS = 'acceptingMs=5,stackingMs=4,stackedMs=5';
const TARGET_RSS_MB = 80;
const SLOPE_LIMIT_MB_PER_1000 = 0.5;
const DENOMINATIONS = [100, 500, 1000, 2000, 5000, 10_000] as const;
const STEP_TIMEOUT_MS = 5_000;
const SEED = 0x4b494f53;
const DAEMON_ENTRY = fileURLToPath(new URL('../dist/src/cli/bin.js', import.meta.url));

// biome-ignore lint/suspicious/noExplicitAny: API bodies of many shapes; each use checks the fields it reads
type Json = any;

interface StreamEvent {
  type: string;
  data: Json;
}

const rssBytes = (pid: number) => statusBytes(pid);

/** mulberry32: a seeded PRNG, so a run's accounts and notes repeat exactly. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A valid CN mobile number: 1, then 3-9, then nine digits. */
function mobileNumber(random: () => number): string {
  let digits = `1${3 + Math.floor(random() * 7)}`;
  for (let i = 0; i < 9; i++) digits += Math.floor(random() * 10);
  return digits;
}

/** Least-squares slope of y over x. */
export function slope(points: ReadonlyArray<{ x: number; y: number }>): number {
  const n = points.length;
  if (n < 2) return Number.NaN;
  const meanX = points.reduce((s, p) => s + p.x, 0) / n;
  const meanY = points.reduce((s, p) => s + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - meanX) * (p.y - meanY);
    den += (p.x - meanX) ** 2;
  }
  return den === 0 ? Number.NaN : num / den;
}

/** The first JSON line on the child's stdout that contains `marker`, e.g. `"msg":"kioskd up"`. */
function waitForLine(child: ChildProcess, who: string, marker: string, timeoutMs: number): Promise<Json> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.stdout?.off('data', onData);
      reject(new Error(`${who} did not print ${marker} within ${timeoutMs} ms: ${out.slice(-500)}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      out += chunk.toString('utf8');
      for (const line of out.split('\n')) {
        if (!line.includes(marker)) continue;
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        resolve(JSON.parse(line));
        return;
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${who} exited early with code ${code}: ${out.slice(-500)}`));
    });
  });
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const force = setTimeout(() => child.kill('SIGKILL'), 3_000);
  await exited;
  clearTimeout(force);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The kiosk API's event stream, read as the screen reads it: events queue up until a step
 * takes the one it waits for; the ones no step asks for (state views, statuses) are dropped.
 */
class EventStream {
  private readonly queue: StreamEvent[] = [];
  private waiter: (() => void) | undefined;
  private closed = false;
  private failure: Error | undefined;
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;

  private constructor(response: Response) {
    this.reader = response.body!.getReader();
    void this.pump();
  }

  static async open(url: string): Promise<EventStream> {
    const response = await fetch(url, { headers: { accept: 'text/event-stream' } });
    if (response.status !== 200 || response.body === null) {
      throw new Error(`event stream: HTTP ${response.status}`);
    }
    return new EventStream(response);
  }

  private async pump(): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await this.reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (block.startsWith(':')) continue;
          const type = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (type === undefined || data === undefined) continue;
          if (type === 'topup.note' || type === 'topup.noteReturned' || type === 'topup.done') {
            this.queue.push({ type, data: JSON.parse(data) });
            this.waiter?.();
          }
        }
      }
      if (!this.closed) this.failure = new Error('event stream ended');
    } catch (error) {
      if (!this.closed) this.failure = error as Error;
    }
    this.waiter?.();
  }

  /** The first queued event `pick` accepts (earlier ones are dropped), within `timeoutMs`. */
  async next(
    pick: (event: StreamEvent) => boolean,
    what: string,
    timeoutMs = STEP_TIMEOUT_MS,
  ): Promise<StreamEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.queue.length > 0) {
        const event = this.queue.shift()!;
        if (pick(event)) return event;
      }
      if (this.failure) throw this.failure;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
  }

  /** Events left from an earlier top-up must not satisfy a later one's wait. */
  drain(): void {
    this.queue.length = 0;
  }

  close(): void {
    this.closed = true;
    void this.reader.cancel().catch(() => {});
  }
}

/** `token`: the kiosk API's per-boot token, for its state-changing routes. */
async function call(
  method: string,
  url: string,
  body?: object,
  token?: string,
): Promise<{ status: number; body: Json }> {
  const authorization: Record<string, string> =
    token === undefined ? {} : { authorization: `Bearer ${token}` };
  const response = await fetch(url, {
    method,
    ...(body === undefined
      ? { headers: authorization }
      : { headers: { ...authorization, 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? null : JSON.parse(text) };
}

/** Retries while `probe` answers undefined, for at most `timeoutMs`. */
async function until<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  timeoutMs = STEP_TIMEOUT_MS,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(2);
  }
}

interface Driver {
  readonly api: string;
  readonly token: string;
  readonly control: string;
  readonly events: EventStream;
  readonly random: () => number;
  notesHandedBack: number;
  notesCredited: number;
  amount: number;
}

/** Like a customer at the slot: the unit draws nothing in while inhibited or finishing a note. */
async function insertNote(driver: Driver, denomination: number): Promise<void> {
  let last = '';
  await until(async () => {
    const answer = await call('POST', driver.control, { action: 'note.insert', denomination });
    if (answer.status === 200) return true;
    last = JSON.stringify(answer.body);
    // The model names `note.insert` itself as the refused field when the unit cannot draw a
    // note in now (inhibited, busy with the last one); any other field is a bad request.
    if (answer.body?.error?.details?.field !== 'note.insert') {
      throw new Error(`note.insert: HTTP ${answer.status} ${last}`);
    }
    return undefined;
  }, `the acceptor to draw in a note of ${denomination} (last answer: ${last})`);
}

async function oneTopUp(driver: Driver): Promise<void> {
  const { api, token, events, random } = driver;
  events.drain();
  const started = await call('POST', `${api}/topups`, {}, token);
  if (started.status !== 201)
    throw new Error(`start: HTTP ${started.status} ${JSON.stringify(started.body)}`);
  const account = mobileNumber(random);
  const entered = await call('PUT', `${api}/topups/current/account`, { account }, token);
  if (entered.status !== 200 || entered.body.state !== 'insertingCash') {
    throw new Error(`account ${account}: HTTP ${entered.status} ${JSON.stringify(entered.body)}`);
  }
  const txId: string = entered.body.txId;
  const notes = 1 + Math.floor(random() * 3);
  let total = 0;
  for (let i = 0; i < notes; i++) {
    const denomination = DENOMINATIONS[Math.floor(random() * DENOMINATIONS.length)]!;
    for (;;) {
      await insertNote(driver, denomination);
      const event = await events.next(
        (e) => e.data.txId === txId && (e.type === 'topup.note' || e.type === 'topup.noteReturned'),
        `note ${i + 1} of ${denomination} in ${txId}`,
      );
      // Under load the simulator's 200 ms escrow timeout can hand a note back: insert it again.
      if (event.type === 'topup.noteReturned') {
        driver.notesHandedBack++;
        continue;
      }
      total += denomination;
      if (event.data.denomination !== denomination || event.data.total !== total) {
        throw new Error(
          `credited ${JSON.stringify(event.data)}, expected ${denomination} for a total of ${total}`,
        );
      }
      break;
    }
  }
  const confirmed = await until(async () => {
    const answer = await call('POST', `${api}/topups/current/confirm`, {}, token);
    if (answer.status === 409 && answer.body?.error?.reason === 'noteInProgress') return undefined;
    if (answer.status !== 200)
      throw new Error(`confirm: HTTP ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body;
  }, `confirm of ${txId}`);
  if (confirmed.state !== 'done') {
    await events.next((e) => e.type === 'topup.done' && e.data.txId === txId, `${txId} to be done`);
  } else if (confirmed.total !== total || confirmed.kind !== 'complete') {
    throw new Error(`confirmed ${JSON.stringify(confirmed)}, expected a complete payment of ${total}`);
  }
  driver.notesCredited += notes;
  driver.amount += total;
}

/** A cash collection: the cashbox out (the kiosk goes out of service), emptied, and back. */
async function collectCash(driver: Driver): Promise<void> {
  const state = async () => (await call('GET', `${driver.api}/state`)).body.kiosk;
  const removed = await call('POST', driver.control, { action: 'cashbox.remove' });
  if (removed.status !== 200)
    throw new Error(`cashbox.remove: HTTP ${removed.status} ${JSON.stringify(removed.body)}`);
  await until(
    async () => ((await state()).mode === 'inService' ? undefined : true),
    'the kiosk to see the cashbox out',
  );
  const replaced = await call('POST', driver.control, { action: 'cashbox.replace', emptied: true });
  if (replaced.status !== 200)
    throw new Error(`cashbox.replace: HTTP ${replaced.status} ${JSON.stringify(replaced.body)}`);
  await until(
    async () => ((await state()).mode === 'inService' ? true : undefined),
    'the kiosk back in service',
  );
}

function fileSize(path: string): number {
  return existsSync(path) ? statSync(path).size : 0;
}

const mb = (bytes: number) => Math.round(bytes / 1e5) / 10;

export async function run(options: { smoke?: boolean } = {}): Promise<BenchResult> {
  const smoke = options.smoke ?? (process.argv.includes('--smoke') || process.env['BENCH_SMOKE'] === '1');
  if (!existsSync(DAEMON_ENTRY)) {
    throw new Error(
      `daemon-rss measures the compiled daemon: ${DAEMON_ENTRY} is missing (run npm run build)`,
    );
  }
  const topUps = Number(process.env['BENCH_TOPUPS'] ?? (smoke ? SMOKE_TOP_UPS : FULL_TOP_UPS));
  if (!Number.isInteger(topUps) || topUps < 1 || topUps > 1_000_000) {
    throw new Error(`BENCH_TOPUPS must be an integer from 1 to 1000000, got ${process.env['BENCH_TOPUPS']}`);
  }
  const sampleEvery = smoke ? SMOKE_SAMPLE_EVERY : SAMPLE_EVERY;
  const dir = mkdtempSync(join(tmpdir(), 'kioskd-daemon-rss-'));
  const dataDir = join(dir, 'var');
  const configPath = join(dir, 'kiosk.yaml');
  // The bench's own NODE_OPTIONS (a TypeScript loader) are neither the simulator's nor the daemon's.
  const simulator = spawn(
    process.execPath,
    [
      DAEMON_ENTRY,
      'sim',
      'id003',
      '--pty',
      '--pty-dir',
      join(dir, 'pty'),
      '--timing',
      'fast',
      '--timing-ms',
      SIMULATED_MECHANICS_MS,
      '--no-wire-time',
      '--seed',
      String(SEED),
      '--log-level',
      'warn',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_OPTIONS: '' } },
  );
  let daemon: ChildProcess | undefined;
  let events: EventStream | undefined;
  try {
    const ready = await waitForLine(simulator, 'simulator', '"event":"ready"', 30_000);
    const control = `${ready.control}/devices/id003/control`;
    writeFileSync(
      configPath,
      stringify({
        kioskId: 'bench-rss',
        dataDir,
        devices: { cashAcceptor: { port: ready.path, pollIntervalMs: POLL_INTERVAL_MS } },
        api: { port: 0 },
        fleet: { enabled: false },
      }),
    );
    const unitEnv = unitEnvironment();
    daemon = spawn(process.execPath, [DAEMON_ENTRY, 'run', '--config', configPath], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, NODE_OPTIONS: '', ...unitEnv },
    });
    // The daemon logs every top-up at info; reading its pipe keeps it from blocking on a full one.
    const up = waitForLine(daemon, 'daemon', '"msg":"kioskd up"', 30_000);
    daemon.stdout?.resume();
    const upLine = await up;
    const pid = daemon.pid!;
    const api = `${upLine.api}/api/v1`;
    await until(
      async () => ((await call('GET', `${api}/state`)).body.kiosk.mode === 'inService' ? true : undefined),
      'the kiosk to be in service',
      30_000,
    );
    events = await EventStream.open(`${api}/events`);
    const driver: Driver = {
      api,
      // Written by the daemon before it listens, so it is there once it is up.
      token: readFileSync(join(dataDir, API_TOKEN_FILE), 'utf8').trim(),
      control,
      events,
      random: prng(SEED),
      notesHandedBack: 0,
      notesCredited: 0,
      amount: 0,
    };
    const rssAtStart = rssBytes(pid);
    const samples: Array<{ x: number; y: number }> = [{ x: 0, y: rssAtStart }];
    let collections = 0;
    const t0 = performance.now();
    for (let done = 1; done <= topUps; done++) {
      await oneTopUp(driver);
      if (done % sampleEvery === 0 || done === topUps) {
        const rss = rssBytes(pid);
        samples.push({ x: done, y: rss });
        // A long run shows its trend as it goes (stderr: stdout is the result).
        if (!smoke && done % (sampleEvery * 10) === 0) {
          const minutes = ((performance.now() - t0) / 60_000).toFixed(1);
          console.error(`daemon-rss: ${done} top-ups, RSS ${mb(rss)} MB, ${minutes} min`);
        }
      }
      if (done % COLLECT_EVERY === 0 && done < topUps) {
        await collectCash(driver);
        collections++;
      }
    }
    const durationS = (performance.now() - t0) / 1000;
    const rssAtEnd = samples.at(-1)!.y;
    const anonAtEnd = statusBytes(pid, 'RssAnon');
    const fileAtEnd = statusBytes(pid, 'RssFile');
    const lastHalf = samples.filter((s) => s.x >= topUps / 2);
    // bytes per top-up → MB per 1,000 top-ups
    const lastHalfSlope = (slope(lastHalf) * 1000) / 1e6;
    const ledger = await call('POST', control, { action: 'ledger' });
    const journalPath = join(dataDir, 'journal.sqlite');
    const ratio = TARGET_RSS_MB / (rssAtEnd / 1e6);
    const simulatorRss = rssBytes(simulator.pid!);
    return {
      name: 'daemon-rss (compiled daemon, 10,000 top-ups through the kiosk API, ID-003 simulator in its own process on a pty)',
      figures: {
        'top-ups': topUps,
        'notes credited': driver.notesCredited,
        'notes handed back and re-inserted': driver.notesHandedBack,
        'amount credited (fen)': driver.amount,
        'cash collections': collections,
        'duration s': Math.round(durationS * 10) / 10,
        'top-ups per s': Math.round((topUps / durationS) * 10) / 10,
        'poll interval ms': POLL_INTERVAL_MS,
        'environment (from kioskd.service)': describeEnvironment(unitEnv),
        fleet: 'disabled (kiosk side only)',
        'RSS samples (every N top-ups)': `${samples.length} (${sampleEvery})`,
        'RSS at start MB': mb(rssAtStart),
        'RSS after last top-up MB': mb(rssAtEnd),
        'RSS max MB': mb(Math.max(...samples.map((s) => s.y))),
        // Anonymous: V8's heap and code, malloc (SQLite, buffers), stacks. File: pages of the
        // node binary (V8, ICU data) and shared libraries the daemon has touched, clean and shared.
        'RSS at end, anonymous MB': mb(anonAtEnd),
        'RSS at end, file-backed MB': mb(fileAtEnd),
        'RSS slope, last half, MB per 1,000 top-ups': Math.round(lastHalfSlope * 1000) / 1000,
        [`slope within ${SLOPE_LIMIT_MB_PER_1000} MB per 1,000 (not judged)`]:
          lastHalf.length < 3 ? 'too few samples' : lastHalfSlope <= SLOPE_LIMIT_MB_PER_1000 ? 'yes' : 'NO',
        'simulator ledger entries (simulator process)': Array.isArray(ledger.body?.result)
          ? ledger.body.result.length
          : 'unknown',
        'simulator process RSS MB (not judged)': mb(simulatorRss),
        'journal MB (db + wal)': mb(fileSize(journalPath) + fileSize(`${journalPath}-wal`)),
      },
      ratio: { name: `${TARGET_RSS_MB} MB / final RSS`, value: ratio, target: '>= 1', pass: ratio >= 1 },
    };
  } finally {
    events?.close();
    if (daemon) await terminate(daemon);
    await terminate(simulator);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run().then(
    (result) => {
      console.log(JSON.stringify(result, null, 2));
      process.exit(0);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
