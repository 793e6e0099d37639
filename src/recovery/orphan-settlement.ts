import type { Journal } from '../journal/journal.js';
import type { Logger } from '../log.js';
import type { AlertSink } from './recovery-alerts.js';

export interface OrphanSettlement {
  /** Orphans that became a `kind: orphan` payment in this pass. */
  paid: string[];
  /** Orphans raised on the daemon's alert list in this pass (the fleet has not got them yet). */
  alerted: string[];
  /** Orphans still without a payment: their denomination is unknown until a technician resolves it. */
  unpaid: string[];
}

/**
 * Money the device took without a transaction to put it in (DESIGN.md invariant 1: never
 * dropped). Each orphan credit becomes an orphan payment, so it reaches the fleet through the
 * outbox like any payment, and an alert, so someone credits the right customer by hand. An
 * orphan of unknown value cannot be paid: it stays unpaid until a technician sets its value.
 *
 * The journal's `alertRaisedAt` means the fleet has the alert, so only the fleet link marks it
 * (when the broker took the message); here an orphan the fleet has not got yet is raised on the
 * daemon's own alert list once per process (`raised` remembers which), a reminder on every start
 * until it is delivered. Safe to run any number of times: a payment is made once.
 */
export function settleOrphans(
  journal: Journal,
  alerts: AlertSink,
  logger: Logger,
  raised: Set<string>,
): OrphanSettlement {
  const result: OrphanSettlement = { paid: [], alerted: [], unpaid: [] };
  for (const orphan of journal.orphans.list()) {
    let paymentId = orphan.paymentId;
    if (paymentId === null && orphan.denomination !== null) {
      const { payment } = journal.orphans.commitPayment(orphan.orphanId);
      paymentId = payment.paymentId;
      result.paid.push(orphan.orphanId);
      logger.warn(
        { orphanId: orphan.orphanId, paymentId, amount: payment.amount },
        'orphan credit paid out as an orphan payment',
      );
    }
    if (paymentId === null) result.unpaid.push(orphan.orphanId);
    if (orphan.alertRaisedAt !== null || raised.has(orphan.orphanId)) continue;
    raised.add(orphan.orphanId);
    alerts.raise({
      alertId: orphan.orphanId,
      device: orphan.device,
      kind: 'orphanCredit',
      action: 'maintenance',
      message:
        paymentId === null
          ? 'a note went into the cashbox outside any transaction and its value is unknown: count the cashbox and resolve it'
          : 'a note went into the cashbox outside any transaction: credit its owner by hand',
      details: {
        orphanId: orphan.orphanId,
        noteId: orphan.noteId,
        denomination: orphan.denomination,
        escrowCode: orphan.escrowCode,
        reason: orphan.reason,
        paymentId,
      },
    });
    result.alerted.push(orphan.orphanId);
  }
  return result;
}
