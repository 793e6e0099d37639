import { ErrorCode, isKioskError, KioskError } from '../../core/errors.js';
import type { TopUpSnapshot, TopUpStateName } from '../../fsm/top-up/top-up-machine.js';
import { persistTopUp, TOP_UP_SNAPSHOT_VERSION } from '../../fsm/top-up/top-up-snapshot.js';
import type { Journal } from '../journal/journal.js';
import type { Logger } from '../log.js';
import type { RunningTopUp } from './running-top-up.js';
import type { TopUpView } from './top-up-view.js';

/** The journal's key for the running top-up's persisted snapshot (start-up recovery reads it). */
export const TOP_UP_SNAPSHOT_KEY = 'topUp';

const CANCEL_CLOSE_RETRY_MS = 500;
const CANCEL_CLOSE_ATTEMPTS = 20;

/**
 * What the service keeps of a top-up in the journal beyond the machine's own I/O: the persisted
 * snapshot start-up recovery reads, the close of a cancelled transaction, and a finished
 * top-up read back for the screen.
 */
export class TopUpRecords {
  readonly #journal: Journal;
  readonly #log: Logger;

  constructor(journal: Journal, logger: Logger) {
    this.#journal = journal;
    this.#log = logger;
  }

  /** Persisted on every change of step, and of the notes: what recovery needs, not every escrow. */
  persist(running: RunningTopUp, snapshot: TopUpSnapshot, name: TopUpStateName): void {
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

  /** The top-up ended: recovery has nothing left to finish. */
  deleteSnapshot(): void {
    try {
      this.#journal.snapshots.delete(TOP_UP_SNAPSHOT_KEY);
    } catch (error) {
      this.#log.error({ err: error }, 'top-up snapshot not deleted');
    }
  }

  /**
   * The journal transaction of a cancelled top-up is closed: with no credited note it is
   * cancelled; should a credit have landed after all, it becomes a partial payment (money in
   * the cashbox is never dropped). A note still in escrow blocks the close until it settles.
   */
  closeCancelled(txId: string, attempt = 0): void {
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
      setTimeout(() => this.closeCancelled(txId, attempt + 1), CANCEL_CLOSE_RETRY_MS).unref();
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

  /** A finished top-up as the journal holds it; ApiNotFound when there is none, or it is still open. */
  finished(txId: string): Omit<TopUpView, 'receiptAvailable'> {
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
    // The receipt as printed, when a print was tried; else whether one was due at the payment.
    const printed = payment === null ? null : this.#journal.receipts.get(payment.paymentId);
    const receipt = printed !== null ? printed.state === 'printed' : payment === null ? null : false;
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
}
