import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { CashAcceptor, CashAcceptorEvents } from '../../devices/cash-acceptor/cash-acceptor.js';
import { decodeCommand, Id003FrameParser } from '../../devices/cash-acceptor/id003/codec/index.js';
import type { BindingInterface } from '../../devices/transport/serial-binding.js';
import { SimulatorBinding } from '../../simulators/harness/sim-binding.js';
import { SimulatorHost } from '../../simulators/harness/simulator-host.js';
import { SimulatorRegistry } from '../../simulators/harness/simulator-registry.js';
import type { LedgerEntry } from '../../simulators/id003/cashbox-ledger.js';
import { id003SimulatorFactory } from '../../simulators/id003/id003-factory.js';
import { type KioskConfig, parseConfig } from '../../src/config/index.js';
import {
  CASH_ACCEPTOR_DEVICE,
  type CashAcceptorWiring,
  startCashAcceptor,
} from '../../src/devices/cash-acceptor-wiring.js';
import { Journal } from '../../src/journal/journal.js';
import { createLogger, silentLogger } from '../../src/log.js';
import { type EscrowPolicy, JournalCashIn } from '../../src/money/journal-cash-in.js';
import { AlertList } from '../../src/recovery/recovery-alerts.js';
import {
  type InterruptedTopUps,
  type StartUpRecovery,
  startStartUpRecovery,
} from '../../src/recovery/start-up-recovery.js';
import { waitUntil } from '../helpers/id003-rig.js';

export { waitUntil };
export const DEVICE = CASH_ACCEPTOR_DEVICE;
export const ACCOUNT = '13800138000';

/** One run of the daemon's money pieces: journal, acceptor wiring, start-up recovery. */
export interface DaemonPieces {
  readonly journal: Journal;
  readonly acceptor: CashAcceptorWiring;
  readonly cashIn: JournalCashIn;
  readonly recovery: StartUpRecovery;
  readonly alerts: AlertList;
  /** Stops everything as a killed process would leave it: nothing more is said to the device. */
  crash(): Promise<void>;
}

export interface RecoveryRig {
  readonly sim: SimulatorHost;
  readonly journalPath: string;
  /** Starts the pieces on the same journal file and the same (still running) simulator. */
  boot(options?: {
    firstContactTimeoutMs?: number;
    topUps?: InterruptedTopUps;
    journalPath?: string;
  }): Promise<DaemonPieces>;
  control(command: Record<string, unknown>): unknown;
  ledger(): LedgerEntry[];
  model(): { phase: string; status: string | null };
  /** Calls `after` right after the simulator took the next host command of this kind (e.g. stack2). */
  afterCommand(kind: string, after: () => void): void;
  close(): Promise<void>;
}

function config(dir: string): KioskConfig {
  return parseConfig(
    {
      kioskId: 'recovery-1',
      dataDir: dir,
      devices: {
        cashAcceptor: {
          port: 'sim:id003',
          pollIntervalMs: 100,
          answerTimeoutMs: 150,
          retries: 1,
          silenceTimeoutMs: 500,
          reconnect: { initialDelayMs: 20, maxDelayMs: 100, factor: 2, jitter: 0 },
        },
      },
      fleet: { enabled: false },
    },
    'recovery-rig',
  );
}

export function startRecoveryRig(): RecoveryRig {
  const dir = mkdtempSync(join(tmpdir(), 'kioskd-recovery-'));
  const logger = process.env['RIG_LOG'] ? createLogger({ level: 'debug' }) : silentLogger();
  const sim = new SimulatorHost(id003SimulatorFactory.create({ timingPreset: 'fast' }), {
    name: 'id003',
    wireTime: false,
    seed: 3,
    logger,
  });
  const registry = new SimulatorRegistry();
  registry.register('id003', sim);
  const journalPath = join(dir, 'journal.sqlite');
  const live: DaemonPieces[] = [];

  const watchers: Array<{ kind: string; after: () => void }> = [];
  const parser = new Id003FrameParser();
  const fromHost = sim.fromHost.bind(sim);
  sim.fromHost = (bytes: Uint8Array): void => {
    const frames = sim.cable === 'plugged' ? parser.push(bytes) : [];
    fromHost(bytes);
    for (const frame of frames) {
      const kind = decodeCommand(frame).kind;
      const index = watchers.findIndex((w) => w.kind === kind);
      if (index >= 0) watchers.splice(index, 1)[0]?.after();
    }
  };

  const cfg = config(dir);
  return {
    sim,
    journalPath,
    async boot(options = {}) {
      const journal = Journal.open({
        path: options.journalPath ?? journalPath,
        kioskId: 'recovery-1',
        logger,
      });
      const cashIn = new JournalCashIn(journal, CASH_ACCEPTOR_DEVICE, logger.child({ component: 'cash-in' }));
      const acceptor = await startCashAcceptor({
        config: cfg,
        journal,
        binding: new SimulatorBinding(registry) as unknown as BindingInterface,
        cashIn,
        logger,
      });
      const alerts = new AlertList();
      const recovery = startStartUpRecovery({
        journal,
        device: DEVICE,
        acceptor: acceptor.device,
        alerts,
        logger,
        firstContactTimeoutMs: options.firstContactTimeoutMs ?? 3_000,
        ...(options.topUps ? { topUps: options.topUps } : {}),
      });
      let crashed = false;
      const pieces: DaemonPieces = {
        journal,
        acceptor,
        cashIn,
        recovery,
        alerts,
        async crash() {
          if (crashed) return;
          crashed = true;
          recovery.stop();
          await acceptor.stop();
          journal.close();
        },
      };
      live.push(pieces);
      return pieces;
    },
    control: (command) => sim.control(command),
    ledger: () => sim.control({ action: 'ledger' }) as LedgerEntry[],
    model: () => sim.snapshot().model as { phase: string; status: string | null },
    afterCommand(kind, after) {
      watchers.push({ kind, after });
    },
    async close() {
      for (const pieces of live) await pieces.crash();
      sim.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Opens a top-up in the journal and lets the acceptor take notes for it; `onDecide` runs before each intent is written. */
export async function openTopUp(
  pieces: DaemonPieces,
  onDecide: () => void = () => {},
): Promise<{ txId: string }> {
  // As in the daemon: no top-up before recovery has settled what the last run left open.
  await pieces.recovery.firstContact;
  const { txId } = pieces.journal.transactions.open({
    account: ACCOUNT,
    limits: { maxAmount: 200_000, maxNotes: 30 },
  });
  const policy: EscrowPolicy = {
    decide: () => {
      onDecide();
      return { accept: true, txId };
    },
  };
  pieces.cashIn.setPolicy(policy);
  await pieces.acceptor.device.enable([100, 500, 1000, 2000, 5000, 10_000]);
  return { txId };
}

/** Waits until the unit has taken a note and is idle again. */
export async function waitIdle(rig: RecoveryRig, timeoutMs = 5_000): Promise<void> {
  await waitUntil(
    'the acceptor to idle',
    () => ['idling', 'disabled'].includes(rig.model().status ?? ''),
    timeoutMs,
  );
}

/**
 * The conservation invariant between the simulator's ground truth and the journal: every note
 * in the cashbox is credited exactly once, by denomination, and the journal's own checks pass.
 */
export function expectLedgerMatchesJournal(rig: RecoveryRig, journal: Journal): void {
  const inBox = new Map<number, number>();
  for (const entry of rig.ledger()) inBox.set(entry.denomination, (inBox.get(entry.denomination) ?? 0) + 1);
  const counted = new Map(
    journal.cashbox.counters(DEVICE).denominations.map((d) => [d.denomination, d.count] as const),
  );
  expect(Object.fromEntries(counted)).toEqual(Object.fromEntries(inBox));
  expect(journal.checkConservation()).toEqual([]);
}

/** The acceptor's own emitter, for tests that count listeners or emit on its behalf. */
export function emitterOf(acceptor: CashAcceptor): EventEmitter<CashAcceptorEvents> {
  if (!(acceptor instanceof EventEmitter)) throw new Error('the acceptor is not an EventEmitter');
  return acceptor as unknown as EventEmitter<CashAcceptorEvents>;
}
