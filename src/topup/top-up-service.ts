import { createActor } from 'xstate';
import { ErrorCode, KioskError } from '../../core/errors.js';
import type { CashAcceptorEvents } from '../../devices/cash-acceptor/cash-acceptor.js';
import { isCnMobileNumber } from '../../fsm/top-up/account-number.js';
import { topUpInputFromConfig } from '../../fsm/top-up/top-up-context.js';
import {
  createTopUpMachine,
  type TopUpMachine,
  type TopUpOutput,
  type TopUpSnapshot,
  type TopUpStateName,
  topUpStateName,
} from '../../fsm/top-up/top-up-machine.js';
import type { KioskConfig } from '../config/index.js';
import { DEFAULT_LANGUAGE, type Language, type MessageCode } from '../i18n/messages.js';
import type { Journal } from '../journal/journal.js';
import { type Logger, maskAccount } from '../log.js';
import { type JournalCashIn, refuseAllNotes } from '../money/journal-cash-in.js';
import type { ReceiptPrinting } from '../receipts/receipt-printing.js';
import type { AlertSink } from '../recovery/recovery-alerts.js';
import { AcceptorCommands } from './acceptor-commands.js';
import { type AccountChecker, httpAccountChecker } from './account-check.js';
import { CustomerSlot } from './customer-slot.js';
import { JournalWriteWatch } from './journal-write-watch.js';
import { RunningTopUp } from './running-top-up.js';
import { runningTopUpView } from './running-top-up-view.js';
import type { KioskModeSource, ServiceAcceptor } from './service-ports.js';
import { topUpMachineServices } from './top-up-machine-services.js';
import { screenState } from './top-up-messages.js';
import { TopUpNotes } from './top-up-notes.js';
import { TopUpRecords } from './top-up-records.js';
import type {
  KioskEvent,
  KioskEventListener,
  KioskService,
  KioskStateView,
  TopUpView,
} from './top-up-view.js';

export type { KioskModeSource, ServiceAcceptor } from './service-ports.js';
export { TOP_UP_SNAPSHOT_KEY } from './top-up-records.js';

export interface TopUpServiceOptions {
  config: KioskConfig;
  journal: Journal;
  acceptor: ServiceAcceptor;
  cashIn: JournalCashIn;
  /** The journal's device name for the acceptor's notes. */
  device: string;
  modes: KioskModeSource;
  logger: Logger;
  /** The online account lookup; from config when not given. */
  accountChecker?: AccountChecker;
  /** Where the journal-cannot-write alert goes (the daemon's alert list). */
  alerts?: AlertSink;
  /** Receipts after each payment, when a printer is configured. */
  receipts?: ReceiptPrinting;
  /** Shared with the balance query, so the two never run at once; a slot of its own when not given. */
  customers?: CustomerSlot;
  clock?: () => Date;
}

/** How long a request waits for the machine to leave a step that does I/O (journal, lookup). */
const SETTLE_MS = 2_000;

function conflict(reason: string, messageCode: MessageCode): KioskError {
  return new KioskError(ErrorCode.ApiConflict, reason, { details: { messageCode } });
}

/**
 * Runs customer top-ups for real: the top-up machine per transaction, its actors over the
 * journal, the acceptor and the account lookup, the escrow policy on the money hooks, and the
 * views and events the kiosk API serves. One transaction at a time: a kiosk has one acceptor.
 */
export class TopUpService implements KioskService {
  readonly #config: KioskConfig;
  readonly #journal: Journal;
  readonly #acceptor: ServiceAcceptor;
  readonly #cashIn: JournalCashIn;
  readonly #notes: TopUpNotes;
  readonly #modes: KioskModeSource;
  readonly #log: Logger;
  readonly #machine: TopUpMachine;
  readonly #records: TopUpRecords;
  readonly #commands: AcceptorCommands;
  readonly #listeners = new Set<KioskEventListener>();
  readonly #detach: Array<() => void> = [];
  #running: RunningTopUp | undefined;
  readonly #customers: CustomerSlot;
  /** Gives the customer slot back; set while a top-up runs. */
  #releaseSlot: () => void = () => {};
  /** The last top-up's view, kept after it ended so the screen can show the outcome. */
  #last: TopUpView | null = null;
  #stopping = false;
  readonly #journalWatch: JournalWriteWatch;
  readonly #receipts: ReceiptPrinting | undefined;

  constructor(options: TopUpServiceOptions) {
    this.#config = options.config;
    this.#journal = options.journal;
    this.#acceptor = options.acceptor;
    this.#cashIn = options.cashIn;
    this.#modes = options.modes;
    this.#receipts = options.receipts;
    this.#customers = options.customers ?? new CustomerSlot();
    this.#log = options.logger.child({ component: 'top-up' });
    this.#records = new TopUpRecords(this.#journal, this.#log);
    this.#commands = new AcceptorCommands({
      acceptor: this.#acceptor,
      logger: this.#log,
      stopping: () => this.#stopping,
      applied: () => {
        if (this.#running) this.#publishView(this.#running);
      },
      enableFailed: (error) => {
        if (!this.#running) return;
        this.#emit({
          type: 'topup.error',
          data: { code: 'acceptorOffline', reason: (error as Error).message },
        });
      },
    });
    this.#journalWatch = new JournalWriteWatch({
      journal: this.#journal,
      onChange: (writable) => this.#modes.journalWritable(writable),
      ...(options.alerts === undefined ? {} : { alerts: options.alerts }),
      logger: this.#log,
    });
    const check = this.#config.transaction.accountCheck;
    this.#machine = createTopUpMachine(
      topUpMachineServices({
        journal: this.#journal,
        limits: this.#config.limits,
        checker: options.accountChecker ?? (check.enabled ? httpAccountChecker(check) : undefined),
        clock: options.clock ?? (() => new Date()),
        openFailed: (error) => {
          // The account PUT answers with this (5xx), not with a cancelled top-up.
          if (this.#running) this.#running.journalFault = error;
          this.#journalWatch.writeFailed(error);
        },
        receipts: options.receipts,
        languageOf: () => this.#running?.language ?? DEFAULT_LANGUAGE,
      }),
    );

    this.#notes = new TopUpNotes({
      host: {
        running: () => this.#running,
        emit: (event) => this.#emit(event),
        publishView: (running) => this.#publishView(running),
      },
      journal: this.#journal,
      device: options.device,
      logger: this.#log,
    });
    this.#listen('credited', (credit) => this.#notes.credited(credit));
    this.#listen('returned', () => this.#notes.returned());
    this.#listen('rejected', (event) => this.#notes.rejected(event.reason));
    this.#listen('status', (status) => {
      this.#emit({ type: 'device.status', data: { device: 'cashAcceptor', status } });
      // What the customer can insert follows the unit: nothing while it cannot take notes.
      if (this.#running) this.#publishView(this.#running);
    });
    this.#detach.push(this.#modes.onModeChange((mode) => this.#emit({ type: 'kiosk.mode', data: { mode } })));
  }

  // ---------------------------------------------------------------- what the API reads

  state(): KioskStateView {
    return {
      kiosk: {
        kioskId: this.#config.kioskId,
        mode: this.#modes.mode,
        devices: { cashAcceptor: this.#acceptor.status },
      },
      topUp: this.current(),
    };
  }

  current(): TopUpView | null {
    const running = this.#running;
    return running ? this.#view(running) : this.#last;
  }

  finished(txId: string): TopUpView {
    const current = this.current();
    if (current !== null && current.txId === txId) return current;
    return { ...this.#records.finished(txId), receiptAvailable: this.#receiptAvailable() };
  }

  async reprintReceipt(txId: string, language: Language): Promise<TopUpView> {
    const view = this.finished(txId);
    if (view.state !== 'done' || view.paymentId === null) {
      throw conflict(`top-up ${txId} has no payment to print a receipt of`, 'receiptUnavailable');
    }
    if (this.#receipts === undefined || !this.#receipts.available()) {
      throw conflict('no printer can print now', 'receiptUnavailable');
    }
    const record = await this.#receipts.reprintForCustomer(view.paymentId, language);
    const reprinted = { ...this.finished(txId), receipt: record.state === 'printed' };
    if (this.#last !== null && this.#last.txId === txId) this.#last = reprinted;
    return reprinted;
  }

  subscribe(listener: KioskEventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  // ---------------------------------------------------------------- what the screen asks

  /** A new top-up; its receipt prints in `language`, the screen's language when it started. */
  start(language: Language = DEFAULT_LANGUAGE): TopUpView {
    // Before the kiosk's refusal: a running balance query also makes the kiosk say "busy".
    const release = this.#customers.claim('topUp');
    const refusal = this.#stopping ? 'kioskOutOfService' : this.#modes.refusal();
    if (refusal !== null) {
      release();
      throw conflict(
        `the kiosk is ${this.#stopping ? 'stopping' : this.#modes.mode}; no top-up can start`,
        refusal,
      );
    }
    const actor = createActor(this.#machine, { input: topUpInputFromConfig(this.#config) });
    const running = new RunningTopUp(actor, language);
    this.#running = running;
    this.#releaseSlot = release;
    this.#last = null;
    actor.on('acceptor.enable', (event) => this.#commands.tell(event.denominations));
    actor.on('acceptor.disable', () => this.#commands.tell([]));
    actor.subscribe({
      next: (snapshot) => this.#onSnapshot(running, snapshot),
      error: (error) => this.#abandon(running, error),
    });
    this.#cashIn.setPolicy(this.#notes.policyFor(running));
    this.#modes.transactionStarted();
    actor.start();
    actor.send({ type: 'START' });
    this.#log.info('top-up started');
    return this.#view(running);
  }

  async enterAccount(account: string): Promise<TopUpView> {
    const running = this.#requireRunning();
    if (!isCnMobileNumber(account)) {
      throw new KioskError(
        ErrorCode.ApiBadRequest,
        // Masked like an accepted number: this reason is logged at info, and a near-miss (a
        // +86 prefix, a stray space) is as much a customer's number as a valid one.
        `account: expected a CN mobile number (11 digits, 1 then 3-9, e.g. 13800138000), got ${JSON.stringify(maskAccount(account))}`,
        { details: { messageCode: 'invalidAccount', field: 'account' } },
      );
    }
    this.#requireState(
      running,
      ['enteringAccount'],
      'the account can only be entered once, at the first step',
    );
    running.actor.send({ type: 'ACCOUNT_ENTERED', account });
    const check = this.#config.transaction.accountCheck;
    await this.#settle(
      running,
      ['checkingAccount', 'openingTransaction'],
      check.enabled ? check.timeoutMs + SETTLE_MS : SETTLE_MS,
    );
    // The daemon could not serve a valid request: its failure, not a customer's cancellation.
    if (running.journalFault !== undefined) throw running.journalFault;
    return this.#view(running);
  }

  async confirm(): Promise<TopUpView> {
    const running = this.#requireRunning();
    this.#requireState(running, ['insertingCash'], 'confirm is only possible while inserting cash');
    const context = running.actor.getSnapshot().context;
    if (context.noteInProgress) throw conflict('noteInProgress', 'noteInProgress');
    if (context.notes.length === 0)
      throw conflict('no note has been credited yet; nothing to confirm', 'noNotes');
    running.actor.send({ type: 'CONFIRM' });
    await this.#settle(running, ['committing', 'printing'], SETTLE_MS);
    return this.#view(running);
  }

  async cancel(): Promise<TopUpView> {
    const running = this.#running;
    if (!running) throw conflict('no top-up is active', 'noTopUp');
    this.#requireState(
      running,
      ['idle', 'enteringAccount', 'checkingAccount', 'openingTransaction', 'insertingCash'],
      'the top-up is already completing',
    );
    running.actor.send({ type: 'CANCEL' });
    // A note in the acceptor's path settles first (a few seconds at most): then the machine ends.
    await this.#settle(
      running,
      ['insertingCash', 'openingTransaction', 'committing', 'printing'],
      SETTLE_MS * 3,
    );
    return this.#view(running);
  }

  /**
   * The kiosk is entering maintenance (a technician logged in, XFS4IoT VendorMode): a top-up
   * with no cash in (nothing credited, no note in escrow) ends now, cancelled, and its customer
   * sees "under maintenance"; one with cash in carries on to its end, and the kiosk enters
   * maintenance after it. A customer with cash in is never cut off.
   */
  endForMaintenance(): 'ended' | 'waiting' | 'none' {
    const running = this.#running;
    if (!running) return 'none';
    const snapshot = running.actor.getSnapshot();
    if (!snapshot.can({ type: 'END_FOR_MAINTENANCE' })) {
      this.#log.info(
        { state: topUpStateName(snapshot), notes: snapshot.context.notes.length },
        'top-up with cash in (or completing) finishes before maintenance',
      );
      return 'waiting';
    }
    running.actor.send({ type: 'END_FOR_MAINTENANCE' });
    this.#log.info({ txId: snapshot.context.txId }, 'top-up with no cash in ended for maintenance');
    return 'ended';
  }

  /**
   * Stops taking customers, lets a top-up that is writing to the journal finish (bounded: the
   * journal already holds every note, and start-up recovery completes what is left), and
   * leaves the acceptor refusing notes. A top-up stopped mid-way keeps its persisted snapshot.
   */
  async stop(budgetMs: number): Promise<void> {
    this.#stopping = true;
    this.#journalWatch.stop();
    const running = this.#running;
    if (running) {
      await this.#settle(running, ['openingTransaction', 'committing', 'printing'], budgetMs, true);
      if (this.#running === running) {
        this.#log.info({ state: topUpStateName(running.actor.getSnapshot()) }, 'top-up interrupted by stop');
        running.actor.stop();
        this.#running = undefined;
        this.#releaseSlot();
      }
    }
    this.#cashIn.setPolicy(refuseAllNotes);
    for (const detach of this.#detach.splice(0)) detach();
    this.#listeners.clear();
    await this.#commands.drained();
  }

  // ---------------------------------------------------------------- the machine's life

  #onSnapshot(running: RunningTopUp, snapshot: TopUpSnapshot): void {
    const name = topUpStateName(snapshot);
    this.#records.persist(running, snapshot, name);
    this.#publishView(running);
    if (snapshot.status === 'done') this.#finish(running, snapshot.output as TopUpOutput);
    else running.wake();
  }

  #finish(running: RunningTopUp, output: TopUpOutput): void {
    if (this.#running !== running) return;
    this.#last = this.#view(running);
    this.#running = undefined;
    this.#releaseSlot();
    this.#cashIn.setPolicy(refuseAllNotes);
    this.#commands.tell([]);
    this.#records.deleteSnapshot();
    if (output.outcome === 'done') {
      const { txId, paymentId, amount, kind, receipt } = output;
      this.#log.info({ txId, paymentId, amount, kind, receipt }, 'top-up done');
      this.#emit({ type: 'topup.done', data: { txId, paymentId, amount, kind, receipt } });
    } else {
      this.#log.info({ txId: output.txId, reason: output.reason }, 'top-up cancelled');
      if (output.txId !== null) this.#records.closeCancelled(output.txId);
      if (output.reason === 'accountCheckUnavailable' || output.reason === 'journalUnavailable') {
        this.#emit({
          type: 'topup.error',
          data: {
            code: output.reason === 'journalUnavailable' ? 'internalError' : 'accountCheckUnavailable',
            reason: running.actor.getSnapshot().context.error?.detail ?? output.reason,
          },
        });
      }
    }
    this.#modes.transactionEnded();
    running.wake();
  }

  /**
   * The machine itself failed (a bug, not a customer or device event). The kiosk must not stay
   * stuck with a dead transaction: it is closed in the journal like a cancel (credited notes
   * become a partial payment), and the next customer can start.
   */
  #abandon(running: RunningTopUp, error: unknown): void {
    this.#log.error({ err: error }, 'top-up machine failed');
    if (this.#running !== running) return;
    const context = running.actor.getSnapshot().context;
    this.#last = {
      ...this.#view(running),
      state: 'cancelled',
      acceptedDenominations: [],
      message: 'internalError',
    };
    this.#running = undefined;
    this.#releaseSlot();
    this.#cashIn.setPolicy(refuseAllNotes);
    this.#commands.tell([]);
    if (context.txId !== null) this.#records.closeCancelled(context.txId);
    this.#emit({ type: 'topup.error', data: { code: 'internalError', reason: String(error) } });
    this.#modes.transactionEnded();
    running.wake();
  }

  // ---------------------------------------------------------------- views and events

  #view(running: RunningTopUp): TopUpView {
    return {
      ...runningTopUpView(running, this.#commands.enabled, this.#acceptor.status),
      receiptAvailable: this.#receiptAvailable(),
    };
  }

  #receiptAvailable(): boolean {
    return this.#receipts?.available() ?? false;
  }

  #publishView(running: RunningTopUp): void {
    const view = this.#view(running);
    const key = JSON.stringify(view);
    if (key === running.lastView) return;
    running.lastView = key;
    this.#emit({ type: 'topup.state', data: view });
  }

  #emit(event: KioskEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        this.#log.warn({ err: error, event: event.type }, 'event listener failed');
      }
    }
  }

  // ---------------------------------------------------------------- helpers

  #listen<E extends keyof CashAcceptorEvents>(
    event: E,
    listener: (...args: CashAcceptorEvents[E]) => void,
  ): void {
    const safe = (...args: CashAcceptorEvents[E]) => {
      try {
        listener(...args);
      } catch (error) {
        this.#log.error({ err: error, event }, 'acceptor event handling failed');
      }
    };
    this.#acceptor.on(event, safe);
    this.#detach.push(() => this.#acceptor.off(event, safe));
  }

  #requireRunning(): RunningTopUp {
    const running = this.#running;
    if (!running) throw conflict('no top-up is active', 'noTopUp');
    return running;
  }

  #requireState(running: RunningTopUp, allowed: readonly TopUpStateName[], reason: string): void {
    const name = topUpStateName(running.actor.getSnapshot());
    if (!allowed.includes(name))
      throw conflict(`${reason} (the top-up is ${screenState(name)})`, 'wrongStep');
  }

  #settle(
    running: RunningTopUp,
    states: readonly TopUpStateName[],
    timeoutMs: number,
    untilQuiet = false,
  ): Promise<void> {
    return running.settle(() => this.#running === running, states, timeoutMs, untilQuiet);
  }
}
