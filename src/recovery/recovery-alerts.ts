import { EventEmitter } from 'node:events';

/**
 * Alerts raised while reconciling money: what a technician or the fleet must look at. The fleet
 * link publishes them on `kiosk/v1/{id}/alert` once it exists; until then the daemon logs them.
 * `alertId` is stable for the same fact (an orphan's id), so a receiver can drop repeats.
 */
export interface RecoveryAlert {
  alertId: string;
  device: string;
  kind:
    | 'orphanCredit'
    | 'countersInaccurate'
    | 'moneyInvariant'
    | 'journalUnwritable'
    | 'collectionDiscrepancy';
  action: 'maintenance';
  message: string;
  details: Record<string, unknown>;
  /** true when the condition has gone (the alert with this kind and device is closed). */
  cleared?: boolean;
}

export interface AlertSink {
  raise(alert: RecoveryAlert): void;
}

/** How many alerts are kept for a late reader; the journal keeps the durable facts behind them. */
const KEPT_ALERTS = 200;

/** The daemon's alert list: keeps the recent ones for status pages and tells listeners of each. */
export class AlertList extends EventEmitter<{ alert: [RecoveryAlert] }> implements AlertSink {
  readonly #alerts: RecoveryAlert[] = [];

  raise(alert: RecoveryAlert): void {
    this.#alerts.push({ ...alert, details: { ...alert.details } });
    if (this.#alerts.length > KEPT_ALERTS) this.#alerts.splice(0, this.#alerts.length - KEPT_ALERTS);
    this.emit('alert', alert);
  }

  /** Oldest first. */
  recent(): RecoveryAlert[] {
    return this.#alerts.map((a) => ({ ...a, details: { ...a.details } }));
  }
}
