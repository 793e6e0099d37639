import { afterEach, describe, expect, it } from 'vitest';
import type {
  CashAcceptorDriver,
  CashAcceptorHooks,
  EscrowDecision,
  EscrowedNote,
  NoteCredit,
  NoteLocation,
} from '../../devices/cash-acceptor/cash-acceptor.js';
import { waitUntil } from '../helpers/wait-until.js';

export { waitUntil };

/**
 * The money rules every cash-acceptor protocol must keep (DESIGN.md invariant 1, PROTOCOLS.md
 * "Money rules"), checked against the protocol-neutral CashAcceptor interface. A protocol runs
 * it by giving a simulator factory (a device model with a control surface and its ground-truth
 * ledger) and a driver factory (its CashAcceptor on a line to that simulator, with every host
 * write reported as it goes out). What is protocol-specific — which writes move the note on,
 * which acknowledge a credit, how to make the unit repeat a credit or to cut its power with a
 * note in the stacker — stays behind those factories, so ITL SSP can run the same suite.
 *
 * The host is in memory and records its own steps and the wire's in one sequence: the order of
 * a hook's durable write against the bytes the driver sends is the thing being checked.
 */

/** A host write as the protocol classifies it. */
export type WireWrite =
  /** Lets the unit move a note from escrow into the cashbox (ID-003 STACK-1/2, SSP's "accept"). */
  | 'stack'
  /** Tells the unit its credit is taken (ID-003's ACK to VEND VALID). */
  | 'creditAck'
  | 'other';

export type HostStep =
  | { kind: 'decideEntered' }
  | { kind: 'intentWritten'; noteId: string }
  | { kind: 'creditEntered' }
  | { kind: 'creditCommitted'; noteId: string | undefined }
  | { kind: 'wire'; write: WireWrite };

/** One note's money as the host counted it. */
export interface CountedCredit {
  noteId: string | undefined;
  denomination: number | undefined;
  /** No escrow intent matched it: the host recorded an orphan credit. */
  orphan: boolean;
}

interface Intent {
  denomination: number;
  state: 'pending' | 'credited' | 'returned';
}

/** A gate a test closes to hold a hook in flight, and opens to let it finish. */
export class HookGate {
  #release: (() => void) | undefined;
  #promise: Promise<void> | undefined;

  close(): void {
    this.#promise = new Promise<void>((resolve) => {
      this.#release = resolve;
    });
  }

  open(): void {
    this.#release?.();
    this.#release = undefined;
    this.#promise = undefined;
  }

  pass(): Promise<void> {
    return this.#promise ?? Promise.resolve();
  }
}

/**
 * A durable write takes time and yields: a driver that does not wait for the hook's promise
 * would put bytes on the wire before the write has finished. A few turns of the event loop
 * (not a timer: the suite asserts order, never speed) make such a driver show.
 */
async function durableWrite(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * The host side of the money hooks, in memory, as JournalCashIn keeps them in the journal: the
 * escrow intent is written before decideEscrow resolves, the credit before commitCredit resolves,
 * a credit is counted once per note id, a credit without a note id settles the pending intent or
 * becomes an orphan.
 */
export class ContractHost implements CashAcceptorHooks {
  readonly steps: HostStep[] = [];
  readonly counted: CountedCredit[] = [];
  /** commitCredit calls for a note already counted (a repeated credit, correctly ignored). */
  repeatsIgnored = 0;
  readonly decisionGate = new HookGate();
  readonly creditGate = new HookGate();
  readonly #intents = new Map<string, Intent>();
  #nextNoteId = 1;

  async decideEscrow(note: EscrowedNote): Promise<EscrowDecision> {
    this.steps.push({ kind: 'decideEntered' });
    await this.decisionGate.pass();
    await durableWrite();
    const noteId = `note-${this.#nextNoteId++}`;
    this.#intents.set(noteId, { denomination: note.denomination, state: 'pending' });
    this.steps.push({ kind: 'intentWritten', noteId });
    return { action: 'stack', noteId };
  }

  async commitCredit(credit: NoteCredit): Promise<void> {
    this.steps.push({ kind: 'creditEntered' });
    await this.creditGate.pass();
    await durableWrite();
    const noteId = credit.noteId ?? this.#pendingIntent();
    const intent = noteId === undefined ? undefined : this.#intents.get(noteId);
    if (intent?.state === 'credited') {
      this.repeatsIgnored++;
    } else if (intent !== undefined) {
      intent.state = 'credited';
      this.counted.push({ noteId, denomination: intent.denomination, orphan: false });
    } else {
      this.counted.push({ noteId: undefined, denomination: credit.denomination, orphan: true });
    }
    this.steps.push({ kind: 'creditCommitted', noteId });
  }

  /** The driver's `returned` event: the note went back, its intent (if any) is settled. */
  noteReturned(event: { noteId?: string }): void {
    const noteId = event.noteId ?? this.#pendingIntent();
    const intent = noteId === undefined ? undefined : this.#intents.get(noteId);
    if (intent?.state === 'pending') intent.state = 'returned';
  }

  /** What the driver factory reports for each host write, in the order the bytes go out. */
  wrote(write: WireWrite): void {
    this.steps.push({ kind: 'wire', write });
  }

  /** Minor units credited, orphans included (an orphan of unknown value counts as 0 and shows in the diff). */
  creditedTotal(): number {
    return this.counted.reduce((sum, c) => sum + (c.denomination ?? 0), 0);
  }

  #pendingIntent(): string | undefined {
    for (const [noteId, intent] of this.#intents) if (intent.state === 'pending') return noteId;
    return undefined;
  }
}

/** The simulated unit and its control surface, as the suite needs it. */
export interface ContractSimulator {
  /** A genuine note of this denomination is pushed into the bezel. */
  insertNote(denomination: number): void;
  /**
   * Inserts a note and cuts the power while it is in `where`; resolves once the power is off,
   * which stays off until powerOn(). The stacker: the host let the unit stack it and it is on
   * its way into the cashbox. The acceptor: the unit holds it in escrow and has reported it to
   * the host (the suite holds the host's decision meanwhile).
   */
  cutPowerWithNoteIn(where: NoteLocation, denomination: number): Promise<void>;
  powerOn(): void;
  /** Corrupts this share of the chunks on the line, each way; 0 cleans the line. */
  corruptLine(rate: number): void;
  /** Chunks the line has corrupted so far. */
  corruptedChunks(): number;
  /** Times the unit has reported a credit to the host (ID-003: answered a status request with VEND VALID). */
  creditReports(): number;
  /** No note in the unit's path, and acceptance on: the previous note is settled. */
  readyForNote(): boolean;
  /** Ground truth: each note that dropped into the cashbox, whatever the host was told. */
  ledger(): Array<{ denomination: number }>;
  close(): Promise<void>;
}

/** The driver under test, on a line to the simulator. */
export interface ContractDriver {
  readonly acceptor: CashAcceptorDriver;
  /** While on, the line loses every credit acknowledgement the driver writes (it is reported, then never arrives). */
  loseCreditAcks(on: boolean): void;
  close(): Promise<void>;
}

/**
 * `normal`: the protocol's ordinary timing. `burst`: compressed timing for the many-note run
 * (fast polling, short mechanics), as long as the money rules still hold at that speed.
 */
export type ContractPace = 'normal' | 'burst';

export interface CashAcceptorContract<S extends ContractSimulator> {
  /** Names the describe block, e.g. "ID-003 over a pty". */
  name: string;
  simulator(pace: ContractPace): Promise<S>;
  /** `host` gets every hook call; `host.wrote` must be called for each host write as it goes out. */
  driver(simulator: S, host: ContractHost, pace: ContractPace): Promise<ContractDriver>;
  /** Denominations (minor units) the unit takes; the suite enables all of them. */
  denominations: readonly number[];
  /** Notes in the corrupted-line run: enough for the line to corrupt at least MIN_CORRUPTED_CHUNKS chunks. */
  corruptedLineNotes: number;
  /** Generous limit for one wait (a note to settle, the unit to come back after a power cut). */
  waitMs?: number;
}

const CORRUPT_RATE = 0.01;
const MIN_CORRUPTED_CHUNKS = 5;

function wireWrites(steps: readonly HostStep[], from = 0): WireWrite[] {
  return steps.slice(from).flatMap((s) => (s.kind === 'wire' ? [s.write] : []));
}

/**
 * Every write of `write` comes after the hook step `done`, with no call of the same hook still
 * in flight (`entered` seen after the last `done`). Returns the offending positions.
 */
function writesBeforeHookDone(
  steps: readonly HostStep[],
  write: WireWrite,
  entered: HostStep['kind'],
  done: HostStep['kind'],
): string[] {
  const faults: string[] = [];
  let last: HostStep['kind'] | undefined;
  steps.forEach((step, index) => {
    if (step.kind === entered || step.kind === done) last = step.kind;
    if (step.kind === 'wire' && step.write === write && last !== done) {
      faults.push(`${write} at step ${index} after ${last ?? 'no hook call'}`);
    }
  });
  return faults;
}

const sum = (entries: ReadonlyArray<{ denomination: number }>): number =>
  entries.reduce((total, e) => total + e.denomination, 0);

export function describeCashAcceptorContract<S extends ContractSimulator>(
  contract: CashAcceptorContract<S>,
): void {
  const waitMs = contract.waitMs ?? 10_000;
  const open: Array<{ close(): Promise<void> }> = [];

  async function start(pace: ContractPace = 'normal') {
    const sim = await contract.simulator(pace);
    open.push(sim);
    const host = new ContractHost();
    const driver = await contract.driver(sim, host, pace);
    open.push(driver);
    const { acceptor } = driver;
    acceptor.on('returned', (event) => host.noteReturned(event));
    await acceptor.start();
    await acceptor.enable(contract.denominations);
    await waitUntil('the unit to take notes', () => sim.readyForNote(), waitMs);
    return { sim, host, driver, acceptor };
  }

  const largest = Math.max(...contract.denominations);
  const smallest = Math.min(...contract.denominations);

  describe(`cash-acceptor contract: ${contract.name}`, () => {
    afterEach(async () => {
      for (const item of open.splice(0).reverse()) await item.close();
    });

    it('writes the escrow intent before the note is stacked', async () => {
      const { sim, host } = await start();
      host.decisionGate.close();
      sim.insertNote(largest);
      await waitUntil(
        'the escrow decision to be asked',
        () => host.steps.some((s) => s.kind === 'decideEntered'),
        waitMs,
      );
      const asked = host.steps.findIndex((s) => s.kind === 'decideEntered');
      // The unit keeps being polled while the host decides; none of those writes may stack it.
      await waitUntil('three more host writes', () => wireWrites(host.steps, asked).length >= 3, waitMs);
      expect(wireWrites(host.steps, asked)).not.toContain('stack');
      host.decisionGate.open();
      await waitUntil('the note to settle', () => sim.ledger().length === 1 && sim.readyForNote(), waitMs);
      expect(wireWrites(host.steps)).toContain('stack');
      expect(writesBeforeHookDone(host.steps, 'stack', 'decideEntered', 'intentWritten')).toEqual([]);
      expect(host.counted).toEqual([expect.objectContaining({ denomination: largest, orphan: false })]);
    });

    it('commits the credit before the unit is acknowledged', async () => {
      const { sim, host } = await start();
      host.creditGate.close();
      sim.insertNote(smallest);
      await waitUntil(
        'the credit to be committed',
        () => host.steps.some((s) => s.kind === 'creditEntered'),
        waitMs,
      );
      const entered = host.steps.findIndex((s) => s.kind === 'creditEntered');
      // The note is in the cashbox and the unit keeps reporting it; no acknowledgement may go out
      // until the host's write is done, however many polls that takes.
      await waitUntil('three more host writes', () => wireWrites(host.steps, entered).length >= 3, waitMs);
      expect(wireWrites(host.steps, entered)).not.toContain('creditAck');
      expect(host.counted).toEqual([]);
      host.creditGate.open();
      await waitUntil(
        'the acknowledgement',
        () => wireWrites(host.steps, entered).includes('creditAck'),
        waitMs,
      );
      await waitUntil('the unit to be ready again', () => sim.readyForNote(), waitMs);
      expect(writesBeforeHookDone(host.steps, 'creditAck', 'creditEntered', 'creditCommitted')).toEqual([]);
      expect(host.counted).toEqual([expect.objectContaining({ denomination: smallest, orphan: false })]);
      expect(sum(sim.ledger())).toBe(smallest);
    });

    it('never counts a repeated credit twice', async () => {
      const { sim, host, driver } = await start();
      host.creditGate.close();
      sim.insertNote(largest);
      await waitUntil(
        'the credit to be committed',
        () => host.steps.some((s) => s.kind === 'creditEntered'),
        waitMs,
      );
      driver.loseCreditAcks(true);
      const reportsBefore = sim.creditReports();
      const from = host.steps.length;
      host.creditGate.open();
      // The acknowledgement goes out and is lost: the unit reports the same credit again, twice.
      await waitUntil(
        'an acknowledgement to be lost',
        () => wireWrites(host.steps, from).includes('creditAck'),
        waitMs,
      );
      await waitUntil(
        'the unit to report the credit twice more',
        () => sim.creditReports() >= reportsBefore + 2,
        waitMs,
      );
      driver.loseCreditAcks(false);
      await waitUntil('the unit to be ready again', () => sim.readyForNote(), waitMs);
      expect(host.counted).toEqual([expect.objectContaining({ denomination: largest, orphan: false })]);
      expect(host.creditedTotal()).toBe(largest);
      expect(sum(sim.ledger())).toBe(largest);
    });

    it('power-up with a note in the stacker: one credit (from the intent, or an orphan)', async () => {
      const { sim, host, acceptor } = await start();
      await sim.cutPowerWithNoteIn('stacker', largest);
      await waitUntil('the driver to see the unit gone', () => acceptor.status.state === 'offline', waitMs);
      sim.powerOn();
      await waitUntil(
        'the unit back in service',
        () => acceptor.status.state === 'online' && sim.readyForNote(),
        waitMs,
      );
      // Either keeps the money; never two, never none.
      expect(host.counted).toHaveLength(1);
      expect(host.creditedTotal()).toBe(largest);
      expect(sum(sim.ledger())).toBe(largest);
    });

    it('power-up with a note in the acceptor: no credit, even with its escrow intent written', async () => {
      const { sim, host, acceptor } = await start();
      // The host is deciding when the power goes, and answers "stack" while the unit is dark:
      // an intent is not money until the unit says the note is in the cashbox.
      host.decisionGate.close();
      await sim.cutPowerWithNoteIn('acceptor', largest);
      expect(host.steps.some((s) => s.kind === 'decideEntered')).toBe(true);
      host.decisionGate.open();
      await waitUntil('the driver to see the unit gone', () => acceptor.status.state === 'offline', waitMs);
      sim.powerOn();
      await waitUntil(
        'the unit back in service',
        () => acceptor.status.state === 'online' && sim.readyForNote(),
        waitMs,
      );
      expect(host.steps.some((s) => s.kind === 'intentWritten')).toBe(true);
      expect(host.counted).toEqual([]);
      expect(sim.ledger()).toEqual([]);
    });

    it(`credits exactly what the cashbox took on a line corrupting ${CORRUPT_RATE * 100} % of chunks`, async () => {
      const { sim, host } = await start('burst');
      sim.corruptLine(CORRUPT_RATE);
      for (let i = 0; i < contract.corruptedLineNotes; i++) {
        await waitUntil(`the unit to be ready for note ${i + 1}`, () => sim.readyForNote(), waitMs);
        sim.insertNote(contract.denominations[i % contract.denominations.length]!);
      }
      await waitUntil('the last note to settle', () => sim.readyForNote(), waitMs);
      sim.corruptLine(0);
      // A run the noise never touched would prove nothing.
      expect(sim.corruptedChunks()).toBeGreaterThanOrEqual(MIN_CORRUPTED_CHUNKS);
      expect(sim.ledger().length).toBeGreaterThan(contract.corruptedLineNotes / 2);
      expect(host.creditedTotal()).toBe(sum(sim.ledger()));
      expect(host.counted).toHaveLength(sim.ledger().length);
      // Retries and repeats on a noisy line keep the order too.
      expect(writesBeforeHookDone(host.steps, 'stack', 'decideEntered', 'intentWritten')).toEqual([]);
      expect(writesBeforeHookDone(host.steps, 'creditAck', 'creditEntered', 'creditCommitted')).toEqual([]);
    }, 120_000);
  });
}
