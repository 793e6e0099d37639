import type { Journal } from '../../src/journal/journal.js';

/**
 * Payments made the way the daemon makes them (open the transaction, journal the escrow
 * intent, commit the credit, commit the payment with its outbox row), so the fleet link sends
 * exactly what a kiosk would. No vitest here: the kiosk child process uses it too.
 */
export const DEVICE = 'cashAcceptor';
const DENOMINATIONS = [1_000, 2_000, 5_000, 10_000] as const;

/** Makes one payment of one note; returns its seq. */
export function makePayment(journal: Journal, index: number): number {
  const tx = journal.transactions.open({ account: '13800138000', limits: { maxAmount: 100_000 } });
  const denomination = DENOMINATIONS[index % DENOMINATIONS.length]!;
  const noteId = journal.notes.recordEscrowIntent({
    txId: tx.txId,
    device: DEVICE,
    escrowCode: `e${index}`,
    denomination,
  });
  journal.notes.commitCredit({ noteId });
  const result = journal.payments.commit({ txId: tx.txId, kind: 'complete', receipt: true });
  if (result.outcome !== 'committed')
    throw new Error(`payment ${index} was not committed: ${result.outcome}`);
  return result.payment.seq;
}

/**
 * What a daemon's start-up recovery does for a transaction a crash cut short: a note whose
 * intent was journaled is credited (in this rig the acceptor always stacks it), and the
 * transaction is paid. Returns how many payments it committed.
 */
export function finishInterruptedPayments(journal: Journal): number {
  let paid = 0;
  for (const tx of journal.transactions.unfinished()) {
    for (const note of tx.notes) {
      if (note.state === 'escrowIntent') journal.notes.commitCredit({ noteId: note.noteId });
    }
    const result = journal.payments.commit({ txId: tx.txId, kind: 'complete', receipt: true });
    if (result.outcome === 'committed') paid++;
  }
  return paid;
}
