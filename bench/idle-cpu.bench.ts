import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { stringify } from 'yaml';
import { openPtyPair } from '../simulators/harness/pty-pair.js';
import { attachToSerialPath } from '../simulators/harness/serial-endpoint.js';
import { SimulatorHost } from '../simulators/harness/simulator-host.js';
import { id003SimulatorFactory } from '../simulators/id003/id003-factory.js';
import { silentLogger } from '../src/log.js';
import type { BenchResult } from './bench-result.js';
import { clockTicksPerSecond, cpuTicks, statusBytes } from './proc-stats.js';
import { describeEnvironment, unitEnvironment } from './systemd-unit-env.js';

/**
 * The daemon's CPU while it idle-polls the acceptor: the REAL daemon, compiled (what systemd
 * runs: `node dist/src/cli/bin.js run`), with its journal and kiosk API up and no customer,
 * polling an ID-003 simulator served by this process on a real pty at the config's default
 * interval (BENCH_POLL_MS=100 for the busiest allowed). Its utime+stime from /proc/<pid>/stat
 * over the window is its share of one core. Target ≤ 1 %; ratio = 1 % / measured, pass ≥ 1.
 * The daemon runs with the environment of the shipped systemd unit (node flags such as
 * --jitless change what a poll costs), named in the figures.
 * `npm run bench` builds dist/ first; a missing build is an error, never a silent tsx run
 * (tsx's loader would be measured with it).
 */
const FULL_WINDOW_MS = 30_000;
const SMOKE_WINDOW_MS = 1_500;
/** Start-up (lazy compilation, the first GCs) is not idle cost: wait this long before measuring. */
const SETTLE_MS = 5_000;
const SMOKE_SETTLE_MS = 500;
const DEFAULT_POLL_INTERVAL_MS = 150;
const TARGET_PERCENT = 1;
const DAEMON_ENTRY = fileURLToPath(new URL('../dist/src/cli/bin.js', import.meta.url));

function waitForLog(child: ChildProcess, msg: string, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => reject(new Error(`daemon did not log "${msg}" within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      out += chunk.toString('utf8');
      if (out.includes(`"msg":"${msg}"`)) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`daemon exited early with code ${code}: ${out.slice(-500)}`));
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

export async function run(options: { smoke?: boolean } = {}): Promise<BenchResult> {
  const smoke = options.smoke ?? (process.argv.includes('--smoke') || process.env['BENCH_SMOKE'] === '1');
  if (!existsSync(DAEMON_ENTRY)) {
    throw new Error(`idle-cpu measures the compiled daemon: ${DAEMON_ENTRY} is missing (run npm run build)`);
  }
  const windowMs = smoke ? SMOKE_WINDOW_MS : FULL_WINDOW_MS;
  const pollIntervalMs = Number(process.env['BENCH_POLL_MS'] ?? DEFAULT_POLL_INTERVAL_MS);
  if (!Number.isInteger(pollIntervalMs) || pollIntervalMs < 100 || pollIntervalMs > 200) {
    throw new Error(`BENCH_POLL_MS must be an integer from 100 to 200, got ${process.env['BENCH_POLL_MS']}`);
  }
  const clockTicks = clockTicksPerSecond();
  const logger = silentLogger();
  const sim = new SimulatorHost(id003SimulatorFactory.create({}), { name: 'id003', wireTime: true, logger });
  const dir = mkdtempSync(join(tmpdir(), 'kioskd-idle-cpu-'));
  const pty = await openPtyPair({ dir: join(dir, 'pty') });
  const endpoint = await attachToSerialPath(sim, pty.devicePath, logger);
  const configPath = join(dir, 'kiosk.yaml');
  writeFileSync(
    configPath,
    stringify({
      kioskId: 'bench-idle',
      dataDir: join(dir, 'var'),
      devices: { cashAcceptor: { port: pty.hostPath, pollIntervalMs } },
      api: { port: 0 },
      simulators: { controlPort: 0 },
      fleet: { enabled: false },
    }),
  );
  const unitEnv = unitEnvironment();
  // Only the unit's NODE_OPTIONS: the bench's own (a TypeScript loader) is not the daemon's.
  const daemon = spawn(process.execPath, [DAEMON_ENTRY, 'run', '--config', configPath], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, NODE_OPTIONS: '', ...unitEnv },
  });
  try {
    await waitForLog(daemon, 'acceptor ready', 30_000);
    await new Promise((resolve) => setTimeout(resolve, smoke ? SMOKE_SETTLE_MS : SETTLE_MS));
    const pid = daemon.pid!;
    const framesIn = () => (sim.snapshot().model as { counters: { framesIn: number } }).counters.framesIn;
    const framesBefore = framesIn();
    const ticksBefore = cpuTicks(pid);
    const t0 = performance.now();
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    const ticks = cpuTicks(pid) - ticksBefore;
    const elapsedS = (performance.now() - t0) / 1000;
    const polls = framesIn() - framesBefore;
    const percent = (ticks / clockTicks / elapsedS) * 100;
    // Judged on at least one tick, so a window too short to register any cannot pass as 0 %.
    const judged = (Math.max(ticks, 1) / clockTicks / elapsedS) * 100;
    const ratio = TARGET_PERCENT / judged;
    return {
      name: 'idle-cpu (compiled daemon idle-polling the acceptor over a pty)',
      figures: {
        'window s': Math.round(elapsedS * 10) / 10,
        'poll interval ms': pollIntervalMs,
        'environment (from kioskd.service)': describeEnvironment(unitEnv),
        'polls answered': polls,
        'cpu ticks': ticks,
        'clock ticks per s': clockTicks,
        'cpu % of one core': Math.round(percent * 1000) / 1000,
        'daemon RSS MB': Math.round(statusBytes(pid) / 1e5) / 10,
      },
      ratio: { name: '1 % / idle CPU', value: ratio, target: '>= 1', pass: ratio >= 1 },
    };
  } finally {
    await terminate(daemon);
    await endpoint.close();
    await pty.close();
    sim.close();
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
