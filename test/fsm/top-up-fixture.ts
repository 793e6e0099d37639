import { createActor, SimulatedClock, type Snapshot } from 'xstate';
import type { TopUpInput } from '../../fsm/top-up/top-up-context.js';
import {
  type CheckAccountInput,
  type CheckAccountOutput,
  type CommitPaymentInput,
  type CommitPaymentOutput,
  createTopUpMachine,
  type OpenTransactionInput,
  type OpenTransactionOutput,
  type PrintReceiptInput,
  type PrintReceiptOutput,
  type TopUpEmitted,
  type TopUpMachine,
} from '../../fsm/top-up/top-up-machine.js';

/** One call to a service, held open until the test settles it. */
export interface PendingCall<I, O> {
  input: I;
  signal: AbortSignal;
  resolve(output: O): void;
  reject(error: unknown): void;
}

/** A service whose every call waits for the test, so each step of the machine is deliberate. */
export class Scripted<I, O> {
  readonly calls: PendingCall<I, O>[] = [];

  readonly run = (input: I, signal: AbortSignal): Promise<O> =>
    new Promise<O>((resolve, reject) => {
      this.calls.push({ input, signal, resolve, reject });
    });

  last(): PendingCall<I, O> {
    const call = this.calls.at(-1);
    if (!call) throw new Error('the service was never called');
    return call;
  }
}

export const TIMEOUTS = {
  accountEntryMs: 60_000,
  accountCheckMs: 3000,
  idleCompleteMs: 30_000,
  noCashMs: 90_000,
  commitRetryMs: 5000,
} as const;

export function topUpInput(overrides: Partial<TopUpInput> = {}): TopUpInput {
  return {
    denominations: [100, 500, 1000, 2000, 5000, 10_000],
    limits: { maxPerTransaction: 20_000, maxPerAccountPerDay: 50_000, maxNotesPerTransaction: 5 },
    accountCheck: { enabled: false, offlinePolicy: 'accept' },
    timeouts: { ...TIMEOUTS },
    ...overrides,
  };
}

export const GOOD_ACCOUNT = '13800138000';

/** Lets settled promises reach the machine (invoked actors report on a later microtask). */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export interface Rig {
  machine: TopUpMachine;
  clock: SimulatedClock;
  actor: ReturnType<typeof createActor<TopUpMachine>>;
  emitted: TopUpEmitted[];
  checkAccount: Scripted<CheckAccountInput, CheckAccountOutput>;
  openTransaction: Scripted<OpenTransactionInput, OpenTransactionOutput>;
  commitPayment: Scripted<CommitPaymentInput, CommitPaymentOutput>;
  printReceipt: Scripted<PrintReceiptInput, PrintReceiptOutput>;
  state(): unknown;
}

interface ScriptedSet {
  checkAccount: Scripted<CheckAccountInput, CheckAccountOutput>;
  openTransaction: Scripted<OpenTransactionInput, OpenTransactionOutput>;
  commitPayment: Scripted<CommitPaymentInput, CommitPaymentOutput>;
  printReceipt: Scripted<PrintReceiptInput, PrintReceiptOutput>;
}

/**
 * One machine whose services answer through whichever scripted set the current rig installed,
 * so a test that replays thousands of paths does not build a machine for each.
 */
export interface ScriptedMachine {
  machine: TopUpMachine;
  install(set: ScriptedSet): void;
}

export function scriptedMachine(options: { printer?: boolean } = {}): ScriptedMachine {
  let current: ScriptedSet | undefined;
  const services = (): ScriptedSet => {
    if (!current) throw new Error('no rig installed its services');
    return current;
  };
  const machine = createTopUpMachine({
    checkAccount: (input, signal) => services().checkAccount.run(input, signal),
    openTransaction: (input, signal) => services().openTransaction.run(input, signal),
    commitPayment: (input, signal) => services().commitPayment.run(input, signal),
    ...(options.printer === false
      ? {}
      : {
          printReceipt: (input: PrintReceiptInput, signal: AbortSignal) =>
            services().printReceipt.run(input, signal),
        }),
  });
  return {
    machine,
    install: (set) => {
      current = set;
    },
  };
}

export function createRig(
  input: TopUpInput = topUpInput(),
  options: { printer?: boolean; snapshot?: Snapshot<unknown>; shared?: ScriptedMachine } = {},
): Rig {
  const set: ScriptedSet = {
    checkAccount: new Scripted(),
    openTransaction: new Scripted(),
    commitPayment: new Scripted(),
    printReceipt: new Scripted(),
  };
  const scripted = options.shared ?? scriptedMachine({ printer: options.printer !== false });
  scripted.install(set);
  const clock = new SimulatedClock();
  const actor = createActor(scripted.machine, {
    input,
    clock,
    ...(options.snapshot === undefined ? {} : { snapshot: options.snapshot }),
  });
  const emitted: TopUpEmitted[] = [];
  actor.on('*', (event) => emitted.push(event));
  actor.start();
  return {
    machine: scripted.machine,
    clock,
    actor,
    emitted,
    ...set,
    state: () => actor.getSnapshot().value,
  };
}

/** Drives a fresh rig to insertingCash with a journal transaction open. */
export async function toInsertingCash(rig: Rig, dailyTotalSoFar = 0): Promise<void> {
  rig.actor.send({ type: 'START' });
  rig.actor.send({ type: 'ACCOUNT_ENTERED', account: GOOD_ACCOUNT });
  rig.openTransaction.last().resolve({ txId: 'tx-1', dailyTotalSoFar });
  await flush();
}

let noteCounter = 0;

/** One note through escrow and credit, as the service reports an accepted note. */
export function insertNote(rig: Rig, denomination: number): string {
  noteCounter += 1;
  const noteId = `note-${noteCounter}`;
  rig.actor.send({ type: 'NOTE_ESCROWED', escrowId: `esc-${noteCounter}`, denomination });
  rig.actor.send({ type: 'NOTE_CREDITED', noteId, denomination });
  return noteId;
}
