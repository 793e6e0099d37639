import { ErrorCode, KioskError } from '../../core/errors.js';
import type { CollectionRecord } from '../journal/collection-types.js';
import type { Journal } from '../journal/journal.js';
import type { CashboxCounters } from '../journal/journal-types.js';
import type { Logger } from '../log.js';
import type { AlertSink, RecoveryAlert } from '../recovery/recovery-alerts.js';

/**
 * The alerts that say "the counters may be wrong: count the box": a collection's discrepancy,
 * and start-up recovery's unsettled notes. A reconcile answers both. An orphan credit's alert
 * is about money not yet in a payment, which no count settles, so it stays.
 */
const COUNTER_ALERT_KINDS: ReadonlySet<RecoveryAlert['kind']> = new Set([
  'collectionDiscrepancy',
  'countersInaccurate',
]);

/** The daemon's alert list: raises alerts and remembers the ones raised since start. */
export interface RememberedAlerts extends AlertSink {
  recent(): RecoveryAlert[];
}

export interface CashboxReconciliationOptions {
  journal: Journal;
  /** The cash acceptor whose cashbox is reconciled (the journal's device name). */
  device: string;
  /** The notes the acceptor takes (config currency.denominations), fen. */
  denominations: readonly number[];
  alerts: RememberedAlerts;
  /** The open cash collection, if any: its box is out, and its own count settles it. */
  openCollection: () => CollectionRecord | null;
  logger: Logger;
}

export interface ReconcileOutcome {
  counters: CashboxCounters;
  accuracyBefore: CashboxCounters['accuracy'];
  /** The alertIds cleared because the counters are accurate again. */
  clearedAlerts: string[];
}

/**
 * A technician recounted the cashbox (after a discrepancy, or when start-up recovery could
 * not account for a note): their counts become the counters (Journal cashbox.reconcile, which
 * keeps the adjustment and audits it), the counters are accurate again, and the open alerts
 * that said they might be wrong are cleared, each with its own alertId, so the fleet's set of
 * open alerts loses them.
 */
export class CashboxReconciliation {
  readonly #o: CashboxReconciliationOptions;
  readonly #log: Logger;

  constructor(options: CashboxReconciliationOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: 'cashbox-reconcile' });
  }

  reconcile(
    counts: ReadonlyArray<{ denomination: number; count: number }>,
    technician: string,
  ): ReconcileOutcome {
    const { journal, device, alerts } = this.#o;
    const open = this.#o.openCollection();
    if (open !== null) {
      throw new KioskError(
        ErrorCode.JournalConflict,
        `cash collection ${open.collectionId} is open: its count settles the box; end it before reconciling`,
        { details: { collectionId: open.collectionId } },
      );
    }
    const before = journal.cashbox.counters(device);
    const taken = new Set([...this.#o.denominations, ...before.denominations.map((d) => d.denomination)]);
    for (const [i, entry] of counts.entries()) {
      if (!taken.has(entry.denomination)) {
        throw new KioskError(
          ErrorCode.JournalBadInput,
          `counts[${i}]: this cashbox takes no note of ${entry.denomination} fen (it takes ${[...taken].sort((a, b) => a - b).join(', ')})`,
          { details: { field: `counts[${i}].denomination`, denomination: entry.denomination } },
        );
      }
    }
    const counters = journal.cashbox.reconcile(device, counts, technician);
    const clearedAlerts: string[] = [];
    for (const alert of openCounterAlerts(alerts.recent(), device)) {
      alerts.raise({
        ...alert,
        cleared: true,
        message: `the cashbox counters were reconciled by ${technician}`,
        details: { ...alert.details, reconciledBy: technician },
      });
      clearedAlerts.push(alert.alertId);
    }
    if (clearedAlerts.length > 0) {
      journal.audit.append(technician, 'cashbox.alertsCleared', { device, alertIds: clearedAlerts });
    }
    this.#log.info(
      { device, technician, accuracyBefore: before.accuracy, totalValue: counters.totalValue, clearedAlerts },
      'cashbox reconciled',
    );
    return { counters, accuracyBefore: before.accuracy, clearedAlerts };
  }
}

/** The counter alerts of `device` raised and not cleared since, oldest first. */
function openCounterAlerts(history: readonly RecoveryAlert[], device: string): RecoveryAlert[] {
  const open = new Map<string, RecoveryAlert>();
  for (const alert of history) {
    if (alert.device !== device || !COUNTER_ALERT_KINDS.has(alert.kind)) continue;
    if (alert.cleared === true) open.delete(alert.alertId);
    else open.set(alert.alertId, alert);
  }
  return [...open.values()];
}
