import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { autoDetect } from '@serialport/bindings-cpp';
import { afterEach } from 'vitest';
import type { Clock } from '../../core/clock.js';
import { hangupAwareBinding } from '../../core/hangup-aware-binding.js';
import type { CashAcceptorEvents } from '../../devices/cash-acceptor/cash-acceptor.js';
import { decodeCommand, Id003FrameParser } from '../../devices/cash-acceptor/id003/codec/index.js';
import { createId003Acceptor, type Id003Acceptor } from '../../devices/cash-acceptor/id003/create.js';
import type { Id003DriverTiming } from '../../devices/cash-acceptor/id003/driver.js';
import type { Id003DriverOptions } from '../../devices/cash-acceptor/id003/driver-options.js';
import type { BindingInterface } from '../../devices/transport/serial-binding.js';
import { openPtyPair, type PtyPair } from '../../simulators/harness/pty-pair.js';
import { attachToSerialPath, type SerialEndpoint } from '../../simulators/harness/serial-endpoint.js';
import { SimulatorBinding } from '../../simulators/harness/sim-binding.js';
import { SimulatorHost } from '../../simulators/harness/simulator-host.js';
import { SimulatorRegistry } from '../../simulators/harness/simulator-registry.js';
import type { LedgerEntry } from '../../simulators/id003/cashbox-ledger.js';
import { id003SimulatorFactory } from '../../simulators/id003/id003-factory.js';
import { Journal } from '../../src/journal/journal.js';
import { type Logger, silentLogger } from '../../src/log.js';
import { Id003JournalHost } from './id003-journal-host.js';
import { requireTool } from './require-tool.js';
import { waitUntil } from './wait-until.js';

export { waitUntil };

export type Id003Variant = 'inProcess' | 'pty';

/** One way of running a driver test: the cable, and whether the unit answers the host's ACK. */
export interface Id003RigCase {
  variant: Id003Variant;
  answersHostAck: boolean;
}

/**
 * Every driver test runs under each: over the in-process binding and a real pty, against a
 * unit that answers the host's ACK of VEND VALID and one that takes it silently (real units
 * differ, docs/simulators/id003.md).
 */
export const ID003_RIG_CASES: readonly Id003RigCase[] = [
  { variant: 'inProcess', answersHostAck: false },
  { variant: 'inProcess', answersHostAck: true },
  { variant: 'pty', answersHostAck: false },
  { variant: 'pty', answersHostAck: true },
];

/** CNY notes, fen: 1, 5, 10, 20, 50 and 100 yuan. */
export const CNY_NOTES = [100, 500, 1000, 2000, 5000, 10_000] as const;
export const DEVICE = 'cashAcceptor';

export interface Id003RigOptions {
  variant: Id003Variant;
  /** The simulator's `answersHostAck` (default false, as the simulator's own default). */
  answersHostAck?: boolean;
  /** Pace bytes at 9600 8E1; on by default for the pty, off in-process. */
  wireTime?: boolean;
  /** Simulator model options on top of the fast timing preset. */
  model?: Record<string, unknown>;
  driver?: Partial<Id003DriverOptions>;
  silenceTimeoutMs?: number;
  maxNote?: number;
  seed?: number;
  logger?: Logger;
  onTiming?: (timing: Id003DriverTiming) => void;
  /** The driver's timers (its poll interval among them); real time by default. */
  clock?: Clock;
}

/** Each event's payload in order; events without one are recorded as null. */
type Recorded = { [E in keyof CashAcceptorEvents]: (CashAcceptorEvents[E] extends [infer A] ? A : null)[] };

export interface Id003Rig {
  readonly sim: SimulatorHost;
  readonly acceptor: Id003Acceptor;
  readonly host: Id003JournalHost;
  readonly journal: Journal;
  readonly events: Recorded;
  readonly pty: PtyPair | undefined;
  /** Every host command that reached the simulator's end of the cable, in order, with the model's phase then. */
  readonly received: Array<{ kind: string; phase: string }>;
  control(command: Record<string, unknown>): unknown;
  /** Pulls the cable: cable.unplug in-process, socat killed for the pty. */
  unplug(): Promise<void>;
  /** Puts it back: cable.plug, or socat restarted and the simulator re-attached. */
  plug(): Promise<void>;
  /** The model's snapshot (ground truth). */
  model(): { phase: string; status: string | null; note: unknown; cashbox: { notes: number } } & Record<
    string,
    unknown
  >;
  ledger(): LedgerEntry[];
  close(): Promise<void>;
}

const EVENT_NAMES: (keyof CashAcceptorEvents)[] = [
  'status',
  'escrow',
  'credited',
  'rejected',
  'returned',
  'jam',
  'cashboxFull',
  'cashboxRemoved',
  'cashboxReplaced',
  'cheat',
  'powerUpWithNote',
  'unknownStatus',
  'identity',
];

export async function startId003Rig(options: Id003RigOptions): Promise<Id003Rig> {
  const logger = options.logger ?? silentLogger();
  const cleanups: Array<() => Promise<void> | void> = [];
  const cleanup = async (): Promise<void> => {
    for (const step of cleanups.splice(0).reverse()) {
      try {
        await step();
      } catch {
        // Teardown keeps going: one failed step must not leak the rest.
      }
    }
  };
  try {
    const sim = new SimulatorHost(
      id003SimulatorFactory.create({
        timingPreset: 'fast',
        answersHostAck: options.answersHostAck ?? false,
        ...(options.model ?? {}),
      }),
      {
        name: 'id003',
        wireTime: options.wireTime ?? options.variant === 'pty',
        seed: options.seed ?? 7,
        logger,
      },
    );
    cleanups.push(() => sim.close());
    const received: Id003Rig['received'] = [];
    const parser = new Id003FrameParser();
    const fromHost = sim.fromHost.bind(sim);
    sim.fromHost = (bytes: Uint8Array): void => {
      if (sim.cable === 'plugged') {
        const phase = (sim.snapshot().model as { phase: string }).phase;
        for (const frame of parser.push(bytes)) received.push({ kind: decodeCommand(frame).kind, phase });
      }
      fromHost(bytes);
    };

    let binding: BindingInterface;
    let path: string;
    let pty: PtyPair | undefined;
    let endpoint: SerialEndpoint | undefined;
    if (options.variant === 'pty') {
      requireTool('socat');
      pty = await openPtyPair();
      const pair = pty;
      cleanups.push(() => pair.close());
      endpoint = await attachToSerialPath(sim, pair.devicePath, logger);
      cleanups.push(() => endpoint?.close());
      binding = hangupAwareBinding(autoDetect()) as unknown as BindingInterface;
      path = pair.hostPath;
    } else {
      const registry = new SimulatorRegistry();
      registry.register('id003', sim);
      binding = new SimulatorBinding(registry) as unknown as BindingInterface;
      path = 'sim:id003';
    }

    const dir = mkdtempSync(join(tmpdir(), 'kioskd-id003-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const journal = Journal.open({ path: join(dir, 'journal.sqlite'), kioskId: 'kiosk-test-1', logger });
    cleanups.push(() => journal.close());
    const host = new Id003JournalHost(journal, DEVICE, { maxNote: options.maxNote ?? 10_000 });

    const d = options.driver ?? {};
    const acceptor = createId003Acceptor({
      name: DEVICE,
      config: {
        port: path,
        pollIntervalMs: d.pollIntervalMs ?? 100,
        answerTimeoutMs: d.answerTimeoutMs ?? 150,
        retries: d.retries ?? 3,
        silenceTimeoutMs: options.silenceTimeoutMs ?? 1_000,
        stackCommand: d.stackCommand ?? 'stack2',
        escrowHoldMs: d.escrowHoldMs ?? 0,
        ...(d.staleEscrowMs === undefined ? {} : { staleEscrowMs: d.staleEscrowMs }),
        reconnect: { initialDelayMs: 50, maxDelayMs: 200, factor: 2, jitter: 0 },
      },
      currency: {
        code: 'CNY',
        minorUnitsPerMajor: 100,
        denominations: d.acceptedDenominations ?? [...CNY_NOTES],
      },
      binding,
      hooks: host,
      logger,
      ...(options.onTiming ? { onTiming: options.onTiming } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
    });
    cleanups.push(() => acceptor.stop());

    const events = Object.fromEntries(EVENT_NAMES.map((name) => [name, []])) as unknown as Recorded;
    for (const name of EVENT_NAMES) {
      acceptor.driver.on(name, (...args: unknown[]) => {
        (events[name] as unknown[]).push(args.length === 0 ? null : args[0]);
      });
    }
    acceptor.driver.on('returned', (event) => host.onReturned(event));

    return {
      sim,
      acceptor,
      host,
      journal,
      events,
      pty,
      received,
      control: (command) => sim.control(command),
      async unplug() {
        if (!pty) {
          sim.control({ action: 'cable.unplug' });
          return;
        }
        pty.kill();
        await endpoint?.close();
        endpoint = undefined;
      },
      async plug() {
        if (!pty) {
          sim.control({ action: 'cable.plug' });
          return;
        }
        await pty.restart();
        endpoint = await attachToSerialPath(sim, pty.devicePath, logger);
      },
      model: () => sim.snapshot().model as ReturnType<Id003Rig['model']>,
      ledger: () => sim.control({ action: 'ledger' }) as LedgerEntry[],
      close: cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/** Polls `check` every 5 ms until it returns true; fails naming `what` after `timeoutMs`. */
/**
 * The rigs a test file starts, closed after each test: `const rigs = closeRigsAfterEach()`
 * at the top of the file, then `rigs.push(rig)` for each one started.
 */
export function closeRigsAfterEach(): Id003Rig[] {
  const rigs: Id003Rig[] = [];
  afterEach(async () => {
    for (const rig of rigs.splice(0)) await rig.close();
  });
  return rigs;
}

/** Starts the acceptor, enables every CNY note, and waits until the unit is idling. */
export async function startAndEnable(
  rig: Id003Rig,
  denominations: readonly number[] = CNY_NOTES,
): Promise<void> {
  await rig.acceptor.start();
  await rig.acceptor.driver.enable(denominations);
  await waitUntil('the simulator to idle with acceptance on', () => rig.model().status === 'idling');
}

/**
 * Inserts a note and waits until it has left the path and the unit is idle again (so the
 * driver has acknowledged any VEND VALID). The outcome is the simulator's ground truth; the
 * caller compares it with what the driver reported.
 */
export async function insertAndSettle(
  rig: Id003Rig,
  note: Record<string, unknown>,
  timeoutMs = 5_000,
): Promise<'credited' | 'returned' | 'rejected'> {
  await waitUntil('the unit to be ready for a note', () => rig.model().status === 'idling', timeoutMs);
  const { noteId } = rig.control({ action: 'note.insert', ...note }) as { noteId: string };
  let outcome: string | undefined;
  await waitUntil(
    `the note ${JSON.stringify(note)} to settle`,
    () => {
      const model = rig.model() as unknown as {
        notes: Array<{ noteId: string; outcome: string }>;
        status: string;
      };
      outcome = model.notes.find((n) => n.noteId === noteId)?.outcome;
      return (
        outcome !== undefined &&
        outcome !== 'inPath' &&
        (model.status === 'idling' || model.status === 'disabled')
      );
    },
    timeoutMs,
  );
  return outcome === 'stacked' ? 'credited' : (outcome as 'returned' | 'rejected');
}
