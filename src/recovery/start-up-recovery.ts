import { ErrorCode, isKioskError, KioskError } from '../../core/errors.js';
import type { CashAcceptorEvents } from '../../devices/cash-acceptor/cash-acceptor.js';
import type { DeviceStatus } from '../../devices/device-status.js';
import type { Journal } from '../journal/journal.js';
import type { ConservationViolation, NoteRecord, PaymentKind } from '../journal/journal-types.js';
import type { Logger } from '../log.js';
import { type OrphanSettlement, settleOrphans } from './orphan-settlement.js';
import type { AlertSink } from './recovery-alerts.js';

/** What recovery needs of the acceptor: its `ready` event (first contact) and `credited` (new orphans). */
export interface RecoveringAcceptor {
  readonly status: DeviceStatus;
  on<E extends 'ready' | 'credited'>(event: E, listener: (...args: CashAcceptorEvents[E]) => void): unknown;
  off<E extends 'ready' | 'credited'>(event: E, listener: (...args: CashAcceptorEvents[E]) => void): unknown;
}

/** How an interrupted transaction ended, as recovery decided it from the journal. */
export type RecoveredOutcome =
  | { outcome: 'committed'; txId: string; kind: PaymentKind; paymentId: string; amount: number }
  | { outcome: 'cancelled'; txId: string };

/**
 * The top-up machine's side of recovery: its persisted snapshot says how far the customer got,
 * and once the journal has settled the transaction, the restored machine is told the outcome so
 * machine and journal agree. Kept as an interface so recovery knows no machine internals.
 */
export interface InterruptedTopUps {
  /** The payment kind the machine had chosen for `txId` when it stopped (it was committing), else null. */
  kind(txId: string): PaymentKind | null;
  /** Called once per transaction recovery closed, after the journal write. */
  settled(outcome: RecoveredOutcome): void | Promise<void>;
}

export interface StartUpRecoveryOptions {
  journal: Journal;
  /** The journal's name for the acceptor's notes and counters. */
  device: string;
  acceptor: RecoveringAcceptor;
  alerts: AlertSink;
  logger: Logger;
  /** How long the acceptor may take to report for duty before recovery treats it as offline. */
  firstContactTimeoutMs: number;
  topUps?: InterruptedTopUps;
}

export interface RecoveryReport {
  /** `ready`: the device reported and everything it decided is settled; `offline`: it did not, in time. */
  device: 'ready' | 'offline';
  closed: RecoveredOutcome[];
  /** Escrow intents settled as "never reached the cashbox". */
  voided: string[];
  /** Escrow intents still waiting for the device (it was offline); their transactions stay open. */
  waiting: string[];
  orphans: OrphanSettlement;
  countersInaccurate: boolean;
  violations: ConservationViolation[];
}

export interface StartUpRecovery {
  /** The journal-only pass, done synchronously by startStartUpRecovery. */
  readonly initial: RecoveryReport;
  /** After the acceptor's first contact, or the timeout: the kiosk may leave `starting` then. */
  readonly firstContact: Promise<RecoveryReport>;
  /** Once nothing is left waiting for the device (may be much later, or never if it never returns). */
  readonly settled: Promise<RecoveryReport>;
  stop(): void;
}

const ACTOR = 'kioskd';
const VOID_REASON = 'never reached the cashbox: the acceptor reported no note in its path at start-up';

function emptySettlement(): OrphanSettlement {
  return { paid: [], alerted: [], unpaid: [] };
}

function mergeSettlement(a: OrphanSettlement, b: OrphanSettlement): OrphanSettlement {
  return {
    paid: [...a.paid, ...b.paid],
    alerted: [...a.alerted, ...b.alerted],
    unpaid: b.unpaid,
  };
}

/**
 * Reconciles the journal with the acceptor at daemon start (DESIGN.md invariant 1).
 *
 * At once, from the journal alone: every open transaction with no escrow intent pending is
 * finished — credited notes become a partial payment (a complete one if the customer had
 * confirmed), nothing credited cancels it — and orphan credits are paid out and alerted.
 *
 * An escrow intent needs the device's word. The driver settles what the device reports at
 * start-up through the money hooks before it reports `ready`: a power-up with the note in the
 * stacker or a pending VEND VALID credits the intent once, a note in the acceptor is returned.
 * So an intent still pending at the first `ready` is a note the device does not hold: it is
 * voided, and its transaction finished. Until that `ready` the intent waits; if it does not come
 * within the timeout the counters are marked inaccurate, because what is in the box is not known.
 */
export function startStartUpRecovery(options: StartUpRecoveryOptions): StartUpRecovery {
  const { journal, device, acceptor, alerts, topUps } = options;
  if (!Number.isSafeInteger(options.firstContactTimeoutMs) || options.firstContactTimeoutMs < 0) {
    throw new KioskError(
      ErrorCode.ConfigInvalid,
      `recovery: firstContactTimeoutMs must be a whole number of milliseconds >= 0, got ${String(options.firstContactTimeoutMs)}`,
      { details: { field: 'firstContactTimeoutMs' } },
    );
  }
  const log = options.logger.child({ component: 'recovery' });
  let stopped = false;
  let orphans = emptySettlement();
  const raisedOrphans = new Set<string>();
  const closed: RecoveredOutcome[] = [];
  const voided: string[] = [];
  let countersInaccurate = false;

  const report = (state: RecoveryReport['device'], check: boolean): RecoveryReport => ({
    device: state,
    closed: [...closed],
    voided: [...voided],
    waiting: journal.notes
      .pendingEscrowIntents()
      .filter((n) => n.device === device)
      .map((n) => n.noteId),
    orphans,
    countersInaccurate,
    violations: check ? checkMoney() : [],
  });

  const checkMoney = (): ConservationViolation[] => {
    const violations = journal.checkConservation();
    if (violations.length > 0) {
      log.error({ violations }, 'journal breaks money conservation after recovery');
      alerts.raise({
        alertId: `conservation-${Date.now()}`,
        device,
        kind: 'moneyInvariant',
        action: 'maintenance',
        message:
          'the journal does not account for every note: do not collect the cashbox before it is checked',
        details: { violations: violations.slice(0, 10).map((v) => v.message) },
      });
    }
    return violations;
  };

  const finishTransactions = (): void => {
    const pending = new Set(journal.notes.pendingEscrowIntents().map((n) => n.txId));
    for (const tx of journal.transactions.unfinished()) {
      if (pending.has(tx.txId)) continue;
      const credited = tx.notes.filter((n) => n.state === 'credited');
      const kind: PaymentKind = topUps?.kind(tx.txId) ?? 'partial';
      const result = journal.payments.commit({ txId: tx.txId, kind, receipt: false });
      const outcome: RecoveredOutcome =
        result.outcome === 'committed'
          ? {
              outcome: 'committed',
              txId: tx.txId,
              kind,
              paymentId: result.payment.paymentId,
              amount: result.payment.amount,
            }
          : { outcome: 'cancelled', txId: tx.txId };
      journal.audit.append(ACTOR, 'recovery.transactionClosed', {
        ...outcome,
        creditedNotes: credited.length,
      });
      log.warn(outcome, 'interrupted transaction closed by start-up recovery');
      closed.push(outcome);
      const told = topUps?.settled(outcome);
      if (told instanceof Promise) {
        told.catch((error: unknown) =>
          log.error({ err: error, txId: tx.txId }, 'top-up machine refused its recovered outcome'),
        );
      }
    }
  };

  const sweepOrphans = (): void => {
    orphans = mergeSettlement(orphans, settleOrphans(journal, alerts, log, raisedOrphans));
  };

  const markInaccurate = (waiting: NoteRecord[], why: string): void => {
    if (countersInaccurate) return;
    countersInaccurate = true;
    const reason = `${why}; notes ${waiting.map((n) => n.noteId).join(', ')} unsettled at start-up`;
    journal.cashbox.setCounterAccuracy(device, 'inaccurate', reason);
    alerts.raise({
      alertId: `counters-${device}-${waiting[0]?.noteId ?? 'unknown'}`,
      device,
      kind: 'countersInaccurate',
      action: 'maintenance',
      message: 'the cashbox counters may be wrong: count the cashbox and reconcile it',
      details: { reason, noteIds: waiting.map((n) => n.noteId) },
    });
    log.warn({ reason }, 'cashbox counters marked inaccurate');
  };

  /** Runs one step; a journal failure is logged and leaves the rest for the next pass. */
  const guarded = (what: string, step: () => void): void => {
    try {
      step();
    } catch (error) {
      log.error({ err: error }, `recovery: ${what} failed`);
      if (!isKioskError(error)) throw error;
    }
  };

  /**
   * Counters an earlier boot left inaccurate (a collection's discrepancy, notes recovery could not
   * settle) stay so until a technician reconciles them. The fleet's set of open alerts lives in
   * memory, so each start says it again; a reconcile clears it with the others.
   */
  const reraiseInaccurateCounters = (): void => {
    const counters = journal.cashbox.counters(device);
    if (counters.accuracy !== 'inaccurate') return;
    alerts.raise({
      alertId: `counters-${device}-inaccurate`,
      device,
      kind: 'countersInaccurate',
      action: 'maintenance',
      message: 'the cashbox counters may be wrong: count the cashbox and reconcile it',
      details: { reason: counters.accuracyReason, since: 'an earlier start' },
    });
    log.warn({ reason: counters.accuracyReason }, 'cashbox counters still inaccurate from before');
  };

  // Journal-only pass: nothing here depends on what the device says.
  guarded('closing transactions', finishTransactions);
  guarded('settling orphan credits', sweepOrphans);
  guarded('re-raising inaccurate counters', reraiseInaccurateCounters);
  const initial = report('offline', false);

  let timer: NodeJS.Timeout | undefined;
  let resolveFirst!: (r: RecoveryReport) => void;
  let resolveSettled!: (r: RecoveryReport) => void;
  let rejectBoth!: (error: unknown) => void;
  const firstContact = new Promise<RecoveryReport>((resolve, reject) => {
    resolveFirst = resolve;
    rejectBoth = (error) => reject(error);
  });
  const settled = new Promise<RecoveryReport>((resolve, reject) => {
    resolveSettled = resolve;
    const rejectFirst = rejectBoth;
    rejectBoth = (error) => {
      rejectFirst(error);
      reject(error);
    };
  });
  // Whoever waits hears of a failure; an unobserved `settled` must not crash the daemon.
  settled.catch(() => {});

  /**
   * A pass that cannot finish (the journal failed under it) leaves the kiosk `starting`: no
   * customer is served on money that is not accounted for.
   */
  const pass = (what: string, run: () => void) => (): void => {
    try {
      run();
    } catch (error) {
      log.error({ err: error }, `start-up recovery failed while ${what}`);
      rejectBoth(error);
    }
  };

  const onCredited = (): void => {
    // A credit with no transaction (a note the device finished for a journal that never knew it)
    // is journaled as an orphan by the money hook; pay it out and alert at once.
    if (!stopped) guarded('settling orphan credits', sweepOrphans);
  };
  acceptor.on('credited', onCredited);

  const settleWithDevice = pass('settling with the acceptor', () => {
    if (stopped) return;
    acceptor.off('ready', onReady);
    if (timer) clearTimeout(timer);
    guarded('voiding escrow intents', () => {
      for (const intent of journal.notes.pendingEscrowIntents()) {
        if (intent.device !== device) continue;
        // The driver may have settled it between the event and now (a note it handed back).
        if (journal.notes.get(intent.noteId).state !== 'escrowIntent') continue;
        journal.notes.voidIntent({ noteId: intent.noteId, reason: VOID_REASON });
        voided.push(intent.noteId);
        log.warn(
          { noteId: intent.noteId, txId: intent.txId },
          'escrow intent voided: the note is not in the device',
        );
      }
    });
    guarded('closing transactions', finishTransactions);
    guarded('settling orphan credits', sweepOrphans);
    const done = report('ready', true);
    log.info(
      { closed: done.closed.length, voided: done.voided.length, orphans: done.orphans.alerted.length },
      'start-up recovery settled',
    );
    resolveFirst(done);
    resolveSettled(done);
  });

  // The driver settles its own start-up findings before emitting `ready`, and hands a returned
  // note back to the journal just after: let that run before judging what is left.
  const onReady = (): void => {
    setImmediate(settleWithDevice);
  };
  acceptor.on('ready', onReady);

  timer = setTimeout(
    pass('waiting for the acceptor', () => {
      timer = undefined;
      if (stopped) return;
      const waiting = journal.notes.pendingEscrowIntents().filter((n) => n.device === device);
      if (waiting.length > 0) {
        guarded('marking counters', () =>
          markInaccurate(
            waiting,
            `the acceptor did not report within ${options.firstContactTimeoutMs} ms (${acceptor.status.state})`,
          ),
        );
        log.warn(
          { waiting: waiting.map((n) => n.noteId) },
          'acceptor offline at start-up: escrow intents wait for it',
        );
      }
      resolveFirst(report('offline', true));
    }),
    options.firstContactTimeoutMs,
  );

  return {
    initial,
    firstContact,
    settled,
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      acceptor.off('ready', onReady);
      acceptor.off('credited', onCredited);
    },
  };
}
