import {
  type AlertPayload,
  type AlertSetPayload,
  FLEET_PAYLOAD_VERSION,
  MAX_ALERTS_IN_SET,
  type OpenAlertEntry,
} from '../fleet-protocol/index.js';

/**
 * The kiosk's open alerts, as the retained `alerts` message lists them. Every alert the link
 * sends passes through `apply`: a raised one opens (or refreshes) its entry, a cleared one
 * closes the entry with its alertId or, when it names none that is open, the entries of its
 * device and kind (the rule the fleet view applies to single alerts). A monitor that starts
 * later then sees what is open now, not only what is raised after it started.
 */
export class OpenAlertSet {
  /** In the order they were raised (Map keeps insertion order). */
  readonly #open = new Map<string, OpenAlertEntry>();

  get size(): number {
    return this.#open.size;
  }

  /** Takes one alert the link sends; says whether the set changed. */
  apply(alert: AlertPayload): boolean {
    if (!alert.cleared) {
      const entry: OpenAlertEntry = {
        alertId: alert.alertId,
        device: alert.device,
        kind: alert.kind,
        action: alert.action,
        ts: alert.ts,
        ...(alert.details === undefined ? {} : { details: alert.details }),
      };
      const known = this.#open.get(alert.alertId);
      if (known !== undefined && sameEntry(known, entry)) return false;
      this.#open.set(alert.alertId, entry);
      return true;
    }
    if (this.#open.delete(alert.alertId)) return true;
    let changed = false;
    for (const [id, entry] of this.#open) {
      if (entry.device === alert.device && entry.kind === alert.kind) {
        this.#open.delete(id);
        changed = true;
      }
    }
    return changed;
  }

  /** The retained message: the newest MAX_ALERTS_IN_SET open alerts, the rest counted. */
  payload(kioskId: string, now: Date): AlertSetPayload {
    const all = [...this.#open.values()];
    const kept = all.slice(Math.max(0, all.length - MAX_ALERTS_IN_SET));
    return {
      v: FLEET_PAYLOAD_VERSION,
      kioskId,
      ts: now.toISOString(),
      alerts: kept,
      omitted: all.length - kept.length,
    };
  }
}

function sameEntry(a: OpenAlertEntry, b: OpenAlertEntry): boolean {
  return (
    a.device === b.device &&
    a.kind === b.kind &&
    a.action === b.action &&
    JSON.stringify(a.details) === JSON.stringify(b.details)
  );
}
