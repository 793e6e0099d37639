import { type Actor, createActor } from 'xstate';
import { ErrorCode, isKioskError, KioskError } from '../../core/errors.js';
import type {
  CashAcceptorEvents,
  EscrowedNote,
  NoteCredit,
} from '../../devices/cash-acceptor/cash-acceptor.js';
import type { DeviceStatus } from '../../devices/device-status.js';
import { isCnMobileNumber } from '../../fsm/top-up/account-number.js';
import { topUpInputFromConfig } from '../../fsm/top-up/top-up-context.js';
import {
  type CheckAccountInput,
  type CheckAccountOutput,
  type CommitPaymentInput,
  type CommitPaymentOutput,
  createTopUpMachine,
  decideEscrow,
  type OpenTransactionInput,
  type OpenTransactionOutput,
  remainingLimit,
  type TopUpMachine,
  type TopUpOutput,
  type TopUpSnapshot,
  type TopUpStateName,
  topUpStateName,
} from '../../fsm/top-up/top-up-machine.js';
import { persistTopUp, TOP_UP_SNAPSHOT_VERSION } from '../../fsm/top-up/top-up-snapshot.js';
import type { KioskConfig } from '../config/index.js';
import type { MessageCode } from '../i18n/messages.js';
import type { Journal } from '../journal/journal.js';
import { type Logger, maskAccount } from '../log.js';
import { type EscrowPolicy, type JournalCashIn, refuseAllNotes } from '../money/journal-cash-in.js';
import type { AlertSink } from '../recovery/recovery-alerts.js';
import { type AccountChecker, httpAccountChecker } from './account-check.js';
import { JournalWriteWatch } from './journal-write-watch.js';
import { localMidnight } from './local-midnight.js';
import { rejectMessage, returnMessage } from './reject-message.js';
import { screenState, topUpMessage } from './top-up-messages.js';
import type {
  KioskEvent,
  KioskEventListener,
  KioskMode,
  KioskService,
  KioskStateView,
  TopUpView,
} from './top-up-view.js';

/** The journal's key for the running top-up's persisted snapshot (start-up recovery reads it). */
export const TOP_UP_SNAPSHOT_KEY = 'topUp';

/** What the service needs of the acceptor: the protocol-neutral interface, nothing more. */
export interface ServiceAcceptor {
  readonly status: DeviceStatus;
  enable(denominations: readonly number[]): Promise<void>;
  disable(): Promise<void>;
  on<E extends keyof CashAcceptorEvents>(
    event: E,
    listener: (...args: CashAcceptorEvents[E]) => void,
  ): unknown;
  off<E extends keyof CashAcceptorEvents>(
    event: E,
    listener: (...args: CashAcceptorEvents[E]) => void,
  ): unknown;
}

/** Where the kiosk's mode comes from; the service only asks and listens. */
export interface KioskModeSource {
  readonly mode: KioskMode;
  /** Why a top-up may not start now, as the customer's message; null when it may. */
  refusal(): MessageCode | null;
  transactionStarted(): void;
  transactionEnded(): void;
  /** The journal failed a write (false) or writes again (true): no customer while it cannot. */
  journalWritable(writable: boolean): void;
  onModeChange(listener: (mode: KioskMode) => void): () => void;
}

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
  clock?: () => Date;
}

/** How long a request waits for the machine to leave a step that does I/O (journal, lookup). */
const SETTLE_MS = 2_000;
const CANCEL_CLOSE_RETRY_MS = 500;
const CANCEL_CLOSE_ATTEMPTS = 20;
const ACCEPTOR_RETRY_MS = 150;
const ACCEPTOR_RETRIES = 20;

interface Running {
  actor: Actor<TopUpMachine>;
  /** Why the journal could not open this top-up's transaction, if it could not. */
  journalFault?: unknown;
  /** The last note event's word for the customer, cleared by the next credit. */
  notice: MessageCode | null;
  /** Why the policy refused the note now in the acceptor's path, for the returned event. */
  refusal: string | undefined;
  persistedKey: string | undefined;
  lastView: string | undefined;
  settled: Array<() => void>;
}

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
  readonly #device: string;
  readonly #modes: KioskModeSource;
  readonly #log: Logger;
  readonly #clock: () => Date;
  readonly #checker: AccountChecker | undefined;
  readonly #machine: TopUpMachine;
  readonly #listeners = new Set<KioskEventListener>();
  readonly #detach: Array<() => void> = [];
  #running: Running | undefined;
  /** The last top-up's view, kept after it ended so the screen can show the outcome. */
  #last: TopUpView | null = null;
  /** Acceptor commands run one after another, in the order the machine asked for them. */
  #acceptorQueue: Promise<void> = Promise.resolve();
  /** What the acceptor took, as last confirmed by the device: the screen shows only what will work. */
  #enabled: number[] = [];
  /** The latest acceptor request; an older one still retrying gives way to it. */
  #acceptorTicket = 0;
  #stopping = false;
  readonly #journalWatch: JournalWriteWatch;

  constructor(options: TopUpServiceOptions) {
    this.#config = options.config;
    this.#journal = options.journal;
    this.#acceptor = options.acceptor;
    this.#cashIn = options.cashIn;
    this.#device = options.device;
    this.#modes = options.modes;
    this.#log = options.logger.child({ component: 'top-up' });
    this.#clock = options.clock ?? (() => new Date());
    const check = this.#config.transaction.accountCheck;
    this.#checker = options.accountChecker ?? (check.enabled ? httpAccountChecker(check) : undefined);
    this.#journalWatch = new JournalWriteWatch({
      journal: this.#journal,
      onChange: (writable) => this.#modes.journalWritable(writable),
      ...(options.alerts === undefined ? {} : { alerts: options.alerts }),
      logger: this.#log,
    });
    this.#machine = this.#createMachine();

    this.#listen('credited', (credit) => this.#onCredited(credit));
    this.#listen('returned', () => this.#onReturned());
    this.#listen('rejected', (event) => this.#onRejected(event.reason));
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
    let tx: ReturnType<Journal['transactions']['get']>;
    try {
      tx = this.#journal.transactions.get(txId);
    } catch (error) {
      if (isKioskError(error, ErrorCode.JournalNotFound)) {
        throw new KioskError(ErrorCode.ApiNotFound, `no top-up ${txId}`, {
          details: { messageCode: 'topUpNotFound', txId },
        });
      }
      throw error;
    }
    if (tx.state === 'open') {
      throw new KioskError(ErrorCode.ApiNotFound, `top-up ${txId} has not finished`, {
        details: { messageCode: 'topUpNotFound', txId },
      });
    }
    const notes = this.#journal.transactions
      .notes(txId)
      .filter((n) => n.state === 'credited' && n.denomination !== null)
      .map((n) => ({ noteId: n.noteId, denomination: n.denomination as number }));
    const payment = this.#journal.payments.ofTransaction(txId);
    const receipt = payment?.receipt ?? null;
    return {
      txId,
      state: tx.state === 'committed' ? 'done' : 'cancelled',
      account: tx.account,
      notes,
      total: notes.reduce((sum, n) => sum + n.denomination, 0),
      remaining: 0,
      acceptedDenominations: [],
      noteInProgress: false,
      paymentId: payment?.paymentId ?? null,
      kind: tx.kind,
      receipt,
      message:
        tx.state === 'cancelled'
          ? 'topUpCancelled'
          : receipt === true
            ? tx.kind === 'partial'
              ? 'topUpPartial'
              : 'topUpDone'
            : 'receiptUnavailable',
    };
  }

  subscribe(listener: KioskEventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  // ---------------------------------------------------------------- what the screen asks

  start(): TopUpView {
    if (this.#running) throw conflict('a top-up is already active', 'topUpActive');
    const refusal = this.#stopping ? 'kioskOutOfService' : this.#modes.refusal();
    if (refusal !== null) {
      throw conflict(
        `the kiosk is ${this.#stopping ? 'stopping' : this.#modes.mode}; no top-up can start`,
        refusal,
      );
    }
    const actor = createActor(this.#machine, { input: topUpInputFromConfig(this.#config) });
    const running: Running = {
      actor,
      notice: null,
      refusal: undefined,
      persistedKey: undefined,
      lastView: undefined,
      settled: [],
    };
    this.#running = running;
    this.#last = null;
    actor.on('acceptor.enable', (event) => this.#tellAcceptor(event.denominations));
    actor.on('acceptor.disable', () => this.#tellAcceptor([]));
    actor.subscribe({
      next: (snapshot) => this.#onSnapshot(running, snapshot),
      error: (error) => this.#abandon(running, error),
    });
    this.#cashIn.setPolicy(this.#policyFor(running));
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
      }
    }
    this.#cashIn.setPolicy(refuseAllNotes);
    for (const detach of this.#detach.splice(0)) detach();
    this.#listeners.clear();
    await this.#acceptorQueue;
  }

  // ---------------------------------------------------------------- the machine and its I/O

  #createMachine(): TopUpMachine {
    const journal = this.#journal;
    const limits = this.#config.limits;
    const checker = this.#checker;
    return createTopUpMachine({
      checkAccount: async (input: CheckAccountInput, signal: AbortSignal): Promise<CheckAccountOutput> => {
        if (!checker) throw new KioskError(ErrorCode.ConfigInvalid, 'no account check is configured');
        return checker(input.account, signal);
      },
      openTransaction: async (input: OpenTransactionInput): Promise<OpenTransactionOutput> => {
        const dailyTotalSoFar = journal.transactions.creditedTotalForAccount(
          input.account,
          localMidnight(this.#clock()),
        );
        const maxAmount = Math.max(
          0,
          Math.min(limits.maxPerTransaction, limits.maxPerAccountPerDay - dailyTotalSoFar),
        );
        try {
          const tx = journal.transactions.open({
            account: input.account,
            limits: { maxAmount, maxNotes: limits.maxNotesPerTransaction },
          });
          return { txId: tx.txId, dailyTotalSoFar };
        } catch (error) {
          // The account PUT answers with this (5xx), not with a cancelled top-up.
          if (this.#running) this.#running.journalFault = error;
          this.#journalWatch.writeFailed(error);
          throw error;
        }
      },
      commitPayment: async (input: CommitPaymentInput): Promise<CommitPaymentOutput> => {
        // No printer in this build: the payment says so, and the screen shows the payment id.
        const result = journal.payments.commit({ txId: input.txId, kind: input.kind, receipt: false });
        if (result.outcome !== 'committed') {
          throw new KioskError(
            ErrorCode.JournalConflict,
            `transaction ${input.txId} holds no credited note`,
            {
              details: { txId: input.txId },
            },
          );
        }
        const { paymentId, amount, seq } = result.payment;
        return { paymentId, amount, seq };
      },
    });
  }

  /** Synchronous, from the machine's context alone (invariant 2); an accepted note is announced at once. */
  #policyFor(running: Running): EscrowPolicy {
    return {
      decide: (note: EscrowedNote) => {
        if (this.#running !== running) return { accept: false, reason: 'noTransaction' };
        const context = running.actor.getSnapshot().context;
        const verdict = decideEscrow(context, note);
        if (!verdict.accept || context.txId === null) {
          running.refusal = verdict.accept ? 'notInsertingCash' : verdict.reason;
          this.#log.info(
            { denomination: note.denomination, reason: running.refusal },
            'note refused in escrow',
          );
          return { accept: false, reason: running.refusal };
        }
        running.refusal = undefined;
        running.actor.send({
          type: 'NOTE_ESCROWED',
          escrowId: note.escrowId,
          denomination: note.denomination,
        });
        return { accept: true, txId: context.txId };
      },
    };
  }

  #onCredited(credit: NoteCredit): void {
    const running = this.#running;
    if (!running) return;
    const context = running.actor.getSnapshot().context;
    if (context.txId === null) return;
    // A credit recovered without its id is the journal's latest note for this device, if any.
    const note =
      credit.noteId !== undefined
        ? this.#journal.notes.get(credit.noteId)
        : this.#journal.notes.latest(this.#device);
    if (
      note === null ||
      note.txId !== context.txId ||
      note.state !== 'credited' ||
      note.denomination === null
    )
      return;
    if (context.notes.some((n) => n.noteId === note.noteId)) return;
    running.notice = null;
    running.actor.send({ type: 'NOTE_CREDITED', noteId: note.noteId, denomination: note.denomination });
    const after = running.actor.getSnapshot().context;
    this.#emit({
      type: 'topup.note',
      data: {
        txId: context.txId,
        noteId: note.noteId,
        denomination: note.denomination,
        total: after.total,
        remaining: this.#remaining(after),
      },
    });
  }

  #onReturned(): void {
    const running = this.#running;
    const message = returnMessage(running?.refusal);
    if (running) {
      running.refusal = undefined;
      running.notice = message;
      running.actor.send({ type: 'NOTE_RETURNED' });
    }
    this.#emit({
      type: 'topup.noteReturned',
      data: { txId: running?.actor.getSnapshot().context.txId ?? null, message },
    });
    if (running) this.#publishView(running);
  }

  #onRejected(reason: string): void {
    const running = this.#running;
    const message = rejectMessage(reason);
    if (running) {
      running.notice = message;
      running.actor.send({ type: 'NOTE_REJECTED', reason });
    }
    this.#emit({
      type: 'topup.noteRejected',
      data: { txId: running?.actor.getSnapshot().context.txId ?? null, reason, message },
    });
    if (running) this.#publishView(running);
  }

  #onSnapshot(running: Running, snapshot: TopUpSnapshot): void {
    const name = topUpStateName(snapshot);
    this.#persist(running, snapshot, name);
    this.#publishView(running);
    if (snapshot.status === 'done') this.#finish(running, snapshot.output as TopUpOutput);
    else this.#wake(running);
  }

  /** Persisted on every change of step, and of the notes: what recovery needs, not every escrow. */
  #persist(running: Running, snapshot: TopUpSnapshot, name: TopUpStateName): void {
    const context = snapshot.context;
    if (context.txId === null || snapshot.status === 'done') return;
    const key = JSON.stringify([
      name,
      context.txId,
      context.notes.length,
      context.kind,
      context.paymentId,
      context.cancelRequested,
    ]);
    if (key === running.persistedKey) return;
    try {
      const persisted = persistTopUp(running.actor);
      this.#journal.snapshots.save(TOP_UP_SNAPSHOT_KEY, {
        version: TOP_UP_SNAPSHOT_VERSION,
        snapshot: persisted as unknown as Record<string, unknown>,
      });
      running.persistedKey = key;
    } catch (error) {
      // The journal's notes and payments are the truth; a missing snapshot only costs recovery a guess.
      this.#log.error({ err: error, txId: context.txId }, 'top-up snapshot not persisted');
    }
  }

  #finish(running: Running, output: TopUpOutput): void {
    if (this.#running !== running) return;
    this.#last = this.#view(running);
    this.#running = undefined;
    this.#cashIn.setPolicy(refuseAllNotes);
    this.#tellAcceptor([]);
    try {
      this.#journal.snapshots.delete(TOP_UP_SNAPSHOT_KEY);
    } catch (error) {
      this.#log.error({ err: error }, 'top-up snapshot not deleted');
    }
    if (output.outcome === 'done') {
      const { txId, paymentId, amount, kind, receipt } = output;
      this.#log.info({ txId, paymentId, amount, kind, receipt }, 'top-up done');
      this.#emit({ type: 'topup.done', data: { txId, paymentId, amount, kind, receipt } });
    } else {
      this.#log.info({ txId: output.txId, reason: output.reason }, 'top-up cancelled');
      if (output.txId !== null) this.#closeCancelled(output.txId, 0);
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
    this.#wake(running);
  }

  /**
   * The machine itself failed (a bug, not a customer or device event). The kiosk must not stay
   * stuck with a dead transaction: it is closed in the journal like a cancel (credited notes
   * become a partial payment), and the next customer can start.
   */
  #abandon(running: Running, error: unknown): void {
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
    this.#cashIn.setPolicy(refuseAllNotes);
    this.#tellAcceptor([]);
    if (context.txId !== null) this.#closeCancelled(context.txId, 0);
    this.#emit({ type: 'topup.error', data: { code: 'internalError', reason: String(error) } });
    this.#modes.transactionEnded();
    this.#wake(running);
  }

  /**
   * The journal transaction of a cancelled top-up is closed: with no credited note it is
   * cancelled; should a credit have landed after all, it becomes a partial payment (money in
   * the cashbox is never dropped). A note still in escrow blocks the close until it settles.
   */
  #closeCancelled(txId: string, attempt: number): void {
    try {
      const result = this.#journal.payments.commit({ txId, kind: 'partial', receipt: false });
      this.#deleteSnapshotOf(txId);
      if (result.outcome === 'committed' && !result.alreadyClosed) {
        this.#log.warn(
          { txId, paymentId: result.payment.paymentId },
          'cancelled top-up held a credit: paid as partial',
        );
      }
    } catch (error) {
      if (attempt + 1 >= CANCEL_CLOSE_ATTEMPTS || !isKioskError(error, ErrorCode.JournalConflict)) {
        this.#log.error({ err: error, txId }, 'cancelled transaction left open for start-up recovery');
        return;
      }
      setTimeout(() => this.#closeCancelled(txId, attempt + 1), CANCEL_CLOSE_RETRY_MS).unref();
    }
  }

  /** Only this transaction's snapshot: a later top-up may already have saved its own. */
  #deleteSnapshotOf(txId: string): void {
    try {
      const stored = this.#journal.snapshots.get(TOP_UP_SNAPSHOT_KEY);
      const storedTxId = (stored?.snapshot['context'] as { txId?: unknown } | undefined)?.txId;
      if (storedTxId === txId) this.#journal.snapshots.delete(TOP_UP_SNAPSHOT_KEY);
    } catch (error) {
      this.#log.error({ err: error, txId }, 'top-up snapshot not deleted');
    }
  }

  /**
   * Tells the acceptor what to take, in the order the machine asked. Until the device confirms,
   * the screen shows only what both the old and the new setting take: a note outside that
   * might come back. A refusal while a note is in the path is retried; a newer request wins.
   */
  #tellAcceptor(denominations: readonly number[]): void {
    const wanted = [...denominations];
    this.#enabled = this.#enabled.filter((d) => wanted.includes(d));
    const ticket = ++this.#acceptorTicket;
    this.#acceptorQueue = this.#acceptorQueue.then(() => this.#applyAcceptor(wanted, ticket));
  }

  async #applyAcceptor(wanted: number[], ticket: number): Promise<void> {
    for (let attempt = 1; ticket === this.#acceptorTicket; attempt++) {
      try {
        if (wanted.length === 0) await this.#acceptor.disable();
        else await this.#acceptor.enable(wanted);
        this.#enabled = wanted;
        if (this.#running) this.#publishView(this.#running);
        return;
      } catch (error) {
        // The unit refuses settings while a note is in its path: try again once it is done.
        const busy =
          isKioskError(error, ErrorCode.DeviceRejectedCommand) || isKioskError(error, ErrorCode.DeviceBusy);
        if (busy && attempt < ACCEPTOR_RETRIES && !this.#stopping) {
          await new Promise((resolve) => setTimeout(resolve, ACCEPTOR_RETRY_MS));
          continue;
        }
        // Offline: the kiosk goes out of service, and the escrow policy refuses any note anyway.
        this.#log.warn({ err: error, denominations: wanted }, 'acceptor did not take the enable state');
        if (wanted.length > 0 && this.#running) {
          this.#emit({
            type: 'topup.error',
            data: { code: 'acceptorOffline', reason: (error as Error).message },
          });
        }
        return;
      }
    }
  }

  // ---------------------------------------------------------------- views and events

  #view(running: Running): TopUpView {
    const snapshot = running.actor.getSnapshot();
    const name = topUpStateName(snapshot);
    const context = snapshot.context;
    return {
      txId: context.txId,
      state: screenState(name),
      account: context.account,
      notes: context.notes.map((n) => ({ noteId: n.noteId, denomination: n.denomination })),
      total: context.total,
      remaining: name === 'done' || name === 'cancelled' ? 0 : this.#remaining(context),
      // Both told by the machine and confirmed by the device, and only while the unit is online
      // (not off, unplugged, jammed or full): a note outside these would not go in or come back.
      acceptedDenominations:
        name === 'insertingCash' && this.#acceptor.status.state === 'online'
          ? this.#enabled.filter((d) => context.acceptedDenominations.includes(d))
          : [],
      noteInProgress: context.noteInProgress,
      paymentId: context.paymentId,
      kind: context.kind,
      receipt: context.receipt,
      message: topUpMessage(name, context, running.notice),
    };
  }

  #remaining(context: TopUpSnapshot['context']): number {
    return context.notes.length >= context.limits.maxNotesPerTransaction ? 0 : remainingLimit(context);
  }

  #publishView(running: Running): void {
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

  #requireRunning(): Running {
    const running = this.#running;
    if (!running) throw conflict('no top-up is active', 'noTopUp');
    return running;
  }

  #requireState(running: Running, allowed: readonly TopUpStateName[], reason: string): void {
    const name = topUpStateName(running.actor.getSnapshot());
    if (!allowed.includes(name))
      throw conflict(`${reason} (the top-up is ${screenState(name)})`, 'wrongStep');
  }

  #wake(running: Running): void {
    for (const resolve of running.settled.splice(0)) resolve();
  }

  /**
   * Waits (at most `timeoutMs`) until the top-up is no longer in one of `states`, or has ended.
   * With `untilQuiet` it also waits for a note in the acceptor's path to settle.
   */
  async #settle(
    running: Running,
    states: readonly TopUpStateName[],
    timeoutMs: number,
    untilQuiet = false,
  ): Promise<void> {
    const pending = (): boolean => {
      if (this.#running !== running) return false;
      const snapshot = running.actor.getSnapshot();
      return states.includes(topUpStateName(snapshot)) || (untilQuiet && snapshot.context.noteInProgress);
    };
    const deadline = Date.now() + timeoutMs;
    while (pending()) {
      const left = deadline - Date.now();
      if (left <= 0) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        running.settled.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}
