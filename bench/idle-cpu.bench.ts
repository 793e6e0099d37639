import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { autoDetect } from '@serialport/bindings-cpp';
import { createId003Acceptor } from '../devices/cash-acceptor/id003/create.js';
import type { BindingInterface } from '../devices/transport/serial-binding.js';
import { openPtyPair } from '../simulators/harness/pty-pair.js';
import { attachToSerialPath } from '../simulators/harness/serial-endpoint.js';
import { SimulatorHost } from '../simulators/harness/simulator-host.js';
import { id003SimulatorFactory } from '../simulators/id003/id003-factory.js';
import { silentLogger } from '../src/log.js';
import type { BenchResult } from './bench-result.js';

/**
 * CPU the ID-003 driver costs while it idles: a child process (`node --import tsx`, this same
 * file with `--child <pty path> <poll ms>`) runs the driver, enabled and polling at the config
 * default of 150 ms (BENCH_POLL_MS=100 for the busiest setting the config allows), against the simulator served by this process on a real pty. The
 * child's utime+stime from /proc/<pid>/stat over the window is its share of one core.
 * Target ≤ 1 %; ratio = 1 % / measured, passing at ≥ 1.
 *
 * A second child (`--baseline`) loads the same modules and sits idle over the same window, so
 * the figures show how much of the process's CPU is Node, tsx and V8 housekeeping rather than
 * the driver; the ratio is judged on the driver process alone, baseline included.
 */
const FULL_WINDOW_MS = 20_000;
const SMOKE_WINDOW_MS = 1_500;
/**
 * Wait after the driver is ready before measuring: module loading (tsx compiles on the fly)
 * leaves lazy compilation and garbage collection running for a while, which is start-up
 * cost, not idle cost.
 */
const SETTLE_MS = 3_000;
const SMOKE_SETTLE_MS = 500;
/** The config default (devices.cashAcceptor.pollIntervalMs); override with BENCH_POLL_MS. */
const DEFAULT_POLL_INTERVAL_MS = 150;
const TARGET_PERCENT = 1;
const READY = 'driver ready';
const NOTES_FEN = [100, 500, 1000, 2000, 5000, 10_000];

/** utime + stime of a process, in clock ticks (fields 14 and 15 of /proc/<pid>/stat). */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** The child: one driver on `path`, idle-polling until killed. */
async function child(path: string, pollIntervalMs: number): Promise<void> {
  const logger = silentLogger();
  const acceptor = createId003Acceptor({
    name: 'idle-acceptor',
    config: {
      port: path,
      pollIntervalMs,
      answerTimeoutMs: 300,
      retries: 3,
      silenceTimeoutMs: 2_000,
      stackCommand: 'stack2',
      escrowHoldMs: 0,
      reconnect: { initialDelayMs: 250, maxDelayMs: 2_000, factor: 2, jitter: 0 },
    },
    currency: { code: 'CNY', minorUnitsPerMajor: 100, denominations: NOTES_FEN },
    binding: autoDetect() as unknown as BindingInterface,
    hooks: {
      decideEscrow: async () => ({ action: 'return', reason: 'idle benchmark' }),
      commitCredit: async () => {},
    },
    logger,
  });
  await acceptor.start();
  await acceptor.driver.enable(NOTES_FEN);
  process.stdout.write(`${READY}\n`);
  process.on('SIGTERM', () => {
    void acceptor.stop().then(() => process.exit(0));
  });
}

function ready(child: ChildProcess, what: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the ${what} process did not get ready within 20 s`)),
      20_000,
    );
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      if (out.includes(READY)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the ${what} process exited early with code ${code}`));
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
  const windowMs = smoke ? SMOKE_WINDOW_MS : FULL_WINDOW_MS;
  const pollIntervalMs = Number(process.env['BENCH_POLL_MS'] ?? DEFAULT_POLL_INTERVAL_MS);
  if (!Number.isInteger(pollIntervalMs) || pollIntervalMs < 100 || pollIntervalMs > 200) {
    throw new Error(`BENCH_POLL_MS must be an integer from 100 to 200, got ${process.env['BENCH_POLL_MS']}`);
  }
  const clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  const logger = silentLogger();
  const sim = new SimulatorHost(id003SimulatorFactory.create({ timingPreset: 'fast' }), {
    name: 'id003',
    wireTime: true,
    logger,
  });
  const pty = await openPtyPair();
  const endpoint = await attachToSerialPath(sim, pty.devicePath, logger);
  const script = fileURLToPath(import.meta.url);
  const driver = spawn(
    process.execPath,
    ['--import', 'tsx', script, '--child', pty.hostPath, String(pollIntervalMs)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const baseline = spawn(process.execPath, ['--import', 'tsx', script, '--baseline'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    await Promise.all([ready(driver, 'driver'), ready(baseline, 'baseline')]);
    const pid = driver.pid!;
    await new Promise((resolve) => setTimeout(resolve, smoke ? SMOKE_SETTLE_MS : SETTLE_MS));
    const framesBefore = (sim.snapshot().model as { counters: { framesIn: number } }).counters.framesIn;
    const ticksBefore = cpuTicks(pid);
    const baselineBefore = cpuTicks(baseline.pid!);
    const t0 = performance.now();
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    const ticks = cpuTicks(pid) - ticksBefore;
    const baselineTicks = cpuTicks(baseline.pid!) - baselineBefore;
    const elapsedS = (performance.now() - t0) / 1000;
    const polls =
      (sim.snapshot().model as { counters: { framesIn: number } }).counters.framesIn - framesBefore;
    const percent = (ticks / clockTicks / elapsedS) * 100;
    const baselinePercent = (baselineTicks / clockTicks / elapsedS) * 100;
    // Judged on at least one tick, so a window too short to register any cannot pass as 0 %.
    const judged = (Math.max(ticks, 1) / clockTicks / elapsedS) * 100;
    const ratio = TARGET_PERCENT / judged;
    const result: BenchResult = {
      name: 'idle-cpu',
      figures: {
        'window s': Math.round(elapsedS * 10) / 10,
        'poll interval ms': pollIntervalMs,
        'polls answered': polls,
        'cpu ticks': ticks,
        'clock ticks per s': clockTicks,
        'cpu % of one core': Math.round(percent * 1000) / 1000,
        'baseline cpu % (same modules, no driver)': Math.round(baselinePercent * 1000) / 1000,
      },
      ratio: { name: '1 % / idle CPU', value: ratio, target: '>= 1', pass: ratio >= 1 },
    };
    for (const [name, value] of Object.entries(result.figures)) console.error(`${name.padEnd(24)} ${value}`);
    return result;
  } finally {
    await Promise.all([terminate(driver), terminate(baseline)]);
    await endpoint.close();
    await pty.close();
    sim.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const at = process.argv.indexOf('--child');
  if (process.argv.includes('--baseline')) {
    // Same module graph as the driver child (the imports above), nothing running.
    setInterval(() => {}, 1 << 30);
    process.stdout.write(`${READY}\n`);
    process.on('SIGTERM', () => process.exit(0));
  } else if (at >= 0) {
    const path = process.argv[at + 1];
    const pollIntervalMs = Number(process.argv[at + 2]);
    if (!path || !Number.isInteger(pollIntervalMs)) {
      process.stderr.write('idle-cpu: --child needs the pty path and the poll interval in ms\n');
      process.exit(2);
    }
    child(path, pollIntervalMs).catch((error: unknown) => {
      process.stderr.write(
        `idle-cpu driver failed: ${error instanceof Error ? error.message : String(error)}\n`,
      );
      process.exit(1);
    });
  } else {
    run().then(
      (result) => {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      },
      (error: unknown) => {
        process.stderr.write(
          `idle-cpu bench failed: ${error instanceof Error ? error.message : String(error)}\n`,
        );
        process.exitCode = 1;
      },
    );
  }
}
