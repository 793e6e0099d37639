import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { openPtyPair } from '../simulators/harness/pty-pair.js';
import { attachToSerialPath } from '../simulators/harness/serial-endpoint.js';
import { SimulatorHost } from '../simulators/harness/simulator-host.js';
import { id003SimulatorFactory } from '../simulators/id003/id003-factory.js';
import { silentLogger } from '../src/log.js';
import { unitEnvironment } from './systemd-unit-env.js';

/**
 * The compiled daemon idle-polling an ID-003 simulator over a real pty, under the shipped systemd
 * unit's environment: what the idle-cpu bench measures and bench/profile-idle.ts profiles.
 */

export const DAEMON_ENTRY = fileURLToPath(new URL('../dist/src/cli/bin.js', import.meta.url));
export const DEFAULT_POLL_INTERVAL_MS = 150;
/**
 * Start-up (lazy compilation, the first GCs) is not idle cost. 5 s was not enough: a profile
 * showed one ~23 ms garbage-collection burst 8–15 s after "acceptor ready" (most likely V8's memory reducer
 * shrinking the start-up heap), a tenth of the busy samples of a 60 s idle window.
 */
export const IDLE_SETTLE_MS = 20_000;

/** An ID-003 simulator on the device end of its own pty pair, served by this process. */
export interface ServedPty {
  readonly hostPath: string;
  /** Frames the simulated unit has received (each an answered status request, once idle). */
  framesIn(): number;
  close(): Promise<void>;
}

export async function serveId003(dir: string): Promise<ServedPty> {
  const logger = silentLogger();
  const sim = new SimulatorHost(id003SimulatorFactory.create({}), { name: 'id003', wireTime: true, logger });
  const pty = await openPtyPair({ dir });
  const endpoint = await attachToSerialPath(sim, pty.devicePath, logger);
  return {
    hostPath: pty.hostPath,
    framesIn: () => (sim.snapshot().model as { counters: { framesIn: number } }).counters.framesIn,
    async close() {
      await endpoint.close();
      await pty.close();
      sim.close();
    },
  };
}

/** BENCH_POLL_MS, or the config's default: the acceptor's poll interval for a bench run. */
export function benchPollIntervalMs(): number {
  const value = Number(process.env['BENCH_POLL_MS'] ?? DEFAULT_POLL_INTERVAL_MS);
  if (!Number.isInteger(value) || value < 100 || value > 200) {
    throw new Error(`BENCH_POLL_MS must be an integer from 100 to 200, got ${process.env['BENCH_POLL_MS']}`);
  }
  return value;
}

/**
 * The unit's environment for a child process. Only the unit's NODE_OPTIONS: the bench's own (a
 * TypeScript loader) is not the daemon's.
 */
export function unitChildEnvironment(): NodeJS.ProcessEnv {
  return { ...process.env, NODE_OPTIONS: '', ...unitEnvironment() };
}

/**
 * Starts the compiled daemon (what systemd runs: `node dist/src/cli/bin.js run`) with its journal
 * and kiosk API up, no fleet and no customer, polling the acceptor on `port`; resolves once it
 * logs "acceptor ready". A missing build is an error, never a silent tsx run.
 */
export async function startIdleDaemon(options: {
  dir: string;
  port: string;
  pollIntervalMs: number;
  env: NodeJS.ProcessEnv;
  /** Node flags NODE_OPTIONS may not carry (--cpu-prof), before the entry point. */
  nodeArgs?: readonly string[];
}): Promise<ChildProcess> {
  if (!existsSync(DAEMON_ENTRY)) {
    throw new Error(`the idle daemon runs compiled: ${DAEMON_ENTRY} is missing (run npm run build)`);
  }
  const configPath = join(options.dir, 'kiosk.yaml');
  writeFileSync(
    configPath,
    stringify({
      kioskId: 'bench-idle',
      dataDir: join(options.dir, 'var'),
      devices: { cashAcceptor: { port: options.port, pollIntervalMs: options.pollIntervalMs } },
      api: { port: 0 },
      simulators: { controlPort: 0 },
      fleet: { enabled: false },
    }),
  );
  const daemon = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), DAEMON_ENTRY, 'run', '--config', configPath],
    {
      cwd: options.dir,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: options.env,
    },
  );
  try {
    await waitForOutput(daemon, 'daemon', (out) => out.includes('"msg":"acceptor ready"'), 30_000);
  } catch (error) {
    await terminate(daemon);
    throw error;
  }
  return daemon;
}

/** Resolves once the child's stdout has matched `ready`; rejects if it exits first or takes too long. */
export function waitForOutput(
  child: ChildProcess,
  what: string,
  ready: (out: string) => boolean,
  timeoutMs: number,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let out = '';
    const done = (error?: Error) => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve();
    };
    const timer = setTimeout(() => done(new Error(`${what} not ready within ${timeoutMs} ms`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      out += chunk.toString('utf8');
      if (ready(out)) done();
    };
    const onExit = (code: number | null) =>
      done(new Error(`${what} exited early with code ${code}: ${out.slice(-500)}`));
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
}

/** SIGTERM, then SIGKILL after 3 s; resolves once the child has exited. */
export async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const force = setTimeout(() => child.kill('SIGKILL'), 3_000);
  await exited;
  clearTimeout(force);
}
