import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { kioskConfigSchema } from '../../src/config/index.js';
import { FleetLedger, type FleetLedgerOptions } from '../../src/fleet/ledger.js';
import type { FleetLinkConfig } from '../../src/fleet-link/index.js';
import type { Journal } from '../../src/journal/journal.js';
import { silentLogger } from '../../src/log.js';
import { TEST_LEDGER_KEY } from '../fleet/ledger-test-keys.js';
import { type MosquittoBroker, type MosquittoOptions, startMosquitto } from '../helpers/mosquitto.js';
import { createTestPki, type TestPki } from '../helpers/pki.js';
import type { KioskProcessSpec } from './kiosk-process.js';

/**
 * The end-to-end rig: a real Mosquitto from the seeds' templates, the real fleet link with a
 * real journal, and the real ledger, all over mutual TLS with the kiosk's and the fleet's own
 * certificates.
 */
export interface E2eRig {
  pki: TestPki;
  broker: MosquittoBroker;
  dir: string;
  /** A fresh directory under the rig's. */
  subdir(name: string): string;
  dispose(): Promise<void>;
}

export async function startRig(options: Omit<MosquittoOptions, 'pki'> = {}): Promise<E2eRig> {
  const pki = createTestPki();
  const broker = await startMosquitto({ pki, ...options });
  const dir = mkdtempSync(join(tmpdir(), 'kioskd-fleet-e2e-'));
  return {
    pki,
    broker,
    dir,
    subdir(name) {
      const path = join(dir, name);
      mkdirSync(path, { recursive: true });
      return path;
    },
    async dispose() {
      await broker.dispose();
      pki.remove();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The kiosk's fleet section as an operator writes it for mqtts:// (through the real config
 * schema), with quick reconnects and resends so outages resolve in test time.
 */
export function linkConfigFor(
  rig: E2eRig,
  kioskId: string,
  dataDir: string,
  fleet: Record<string, unknown> = {},
): FleetLinkConfig {
  const identity = rig.pki.client(kioskId);
  const broker = (fleet['broker'] as Record<string, unknown> | undefined) ?? {};
  const config = kioskConfigSchema.parse({
    kioskId,
    dataDir,
    fleet: {
      reconnect: { initialDelayMs: 50, maxDelayMs: 400, factor: 2, jitter: 0.5 },
      outbox: { maxInFlight: 32, resendAfterMs: 1_000 },
      ledger: { publicKeys: [TEST_LEDGER_KEY.configEntry] },
      ...fleet,
      broker: {
        url: rig.broker.tlsUrl,
        protocolVersion: 5,
        ca: rig.pki.ca,
        cert: identity.cert,
        key: identity.key,
        ...broker,
      },
    },
  });
  return { kioskId: config.kioskId, dataDir: config.dataDir, fleet: config.fleet };
}

/** The reference ledger as the fleet identity, reconnecting quickly. */
export function startLedger(
  rig: E2eRig,
  dbPath: string,
  options: Partial<Omit<FleetLedgerOptions, 'broker' | 'dbPath'>> = {},
): FleetLedger {
  return FleetLedger.start({
    broker: {
      url: rig.broker.tlsUrl,
      protocolVersion: 5,
      ca: rig.pki.ca,
      cert: rig.pki.fleet.cert,
      key: rig.pki.fleet.key,
    },
    dbPath,
    ackKey: TEST_LEDGER_KEY.privateKey,
    logger: silentLogger(),
    reconnectPeriodMs: 100,
    ...options,
  });
}

export async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * The ledger holds exactly the journal's payments for this kiosk: seq 1..n without a hole,
 * each payment id once, the same ids and amounts as the journal, and no gap reported.
 */
export function expectLedgerHoldsJournal(ledger: FleetLedger, journal: Journal, n: number): void {
  const kioskId = journal.kioskId;
  const stored = ledger.payments(kioskId);
  expect(stored.map((p) => p.seq)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
  expect(new Set(stored.map((p) => p.paymentId)).size).toBe(n);
  const fromJournal = stored.map((p) => journal.payments.get(p.paymentId));
  expect(fromJournal.map((p) => p.seq)).toEqual(stored.map((p) => p.seq));
  expect(fromJournal.map((p) => p.amount)).toEqual(stored.map((p) => p.amount));
  expect(ledger.gaps(kioskId)).toEqual([]);
  const outbox = journal.outbox.stats();
  expect(outbox).toMatchObject({ pending: 0, delivered: n, lastSeq: n });
}

// ------------------------------------------------------------------ the kiosk as a child process

const KIOSK_PROCESS = fileURLToPath(new URL('./kiosk-process.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface KioskChild {
  child: ChildProcess;
  events: Array<Record<string, unknown>>;
  waitForEvent(
    predicate: (event: Record<string, unknown>) => boolean,
    timeoutMs: number,
  ): Promise<Record<string, unknown>>;
  /** SIGKILL, and waits for the exit: nothing gets to run, as in a power cut. */
  kill(): Promise<void>;
  /** SIGTERM, and waits for the exit code. */
  terminate(): Promise<number | null>;
  stderr(): string;
}

export function spawnKiosk(spec: KioskProcessSpec): KioskChild {
  const child = spawn(process.execPath, ['--import', 'tsx', KIOSK_PROCESS], {
    cwd: REPO_ROOT,
    env: { ...process.env, KIOSK_PROCESS: JSON.stringify(spec) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const events: Array<Record<string, unknown>> = [];
  let buffered = '';
  let errors = '';
  const listeners = new Set<() => void>();
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    let newline = buffered.indexOf('\n');
    while (newline >= 0) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (line.startsWith('{')) events.push(JSON.parse(line) as Record<string, unknown>);
      newline = buffered.indexOf('\n');
    }
    for (const listener of listeners) listener();
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    errors = (errors + chunk).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    events,
    waitForEvent(predicate, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = events.find(predicate);
          if (found) {
            cleanup();
            resolve(found);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            cleanup();
            reject(new Error(`kiosk process exited (${child.exitCode ?? child.signalCode}): ${errors}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`kiosk process: no matching event within ${timeoutMs} ms; stderr: ${errors}`));
        }, timeoutMs);
        const onExit = () => check();
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
          child.off('exit', onExit);
        };
        listeners.add(check);
        child.once('exit', onExit);
        check();
      });
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async terminate() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      return child.exitCode;
    },
    stderr: () => errors,
  };
}
