import type { DeviceStatus, ErrorAction } from '../../devices/device-status.js';
import { type AlertPayload, FLEET_PAYLOAD_VERSION } from '../fleet-protocol/index.js';
import type { PaperLevel } from './fleet-link-context.js';

const KIND = /^[a-zA-Z][a-zA-Z0-9.]{0,63}$/;

/** States that are a fault even when the driver named no action. */
const FAULT_STATES: ReadonlySet<DeviceStatus['state']> = new Set([
  'hardwareError',
  'userError',
  'fraudAttempt',
  'potentialFraud',
  'noDevice',
  'offline',
  'powerOff',
]);

/** The device whose paper level the kiosk reports, and its warning. */
const PAPER_DEVICE = 'printer';
const PAPER_NEAR_END = { kind: 'paperNearEnd', action: 'clear' } as const satisfies {
  kind: string;
  action: ErrorAction;
};

/** What clears a fault the driver reported without an action: a person has to look at it. */
const DEFAULT_ACTION: ErrorAction = 'maintenance';

interface OpenAlert {
  alertId: string;
  kind: string;
  action: ErrorAction;
}

/** States in which a device is not there to talk to, whatever the driver's reason. */
const UNREACHABLE: ReadonlySet<DeviceStatus['state']> = new Set(['offline', 'noDevice', 'powerOff']);

/**
 * Devices whose unreachable states are one alert kind for the fleet (DESIGN.md's
 * `printerOffline`): a monitor pages on the kind, and the driver's reason (noAnswer, ENOENT, the
 * printer's own offline bit) stays in the details.
 */
const UNREACHABLE_KIND: Readonly<Record<string, string>> = { printer: 'printerOffline' };

/** A fault as an alert names it: the driver's reason (jamInStacker, stackerFull...), else the state. */
function faultOf(device: string, status: DeviceStatus): { kind: string; action: ErrorAction } | undefined {
  if (status.action === undefined && !FAULT_STATES.has(status.state)) return undefined;
  // Busy while recovering by itself is not a fault worth a page (pause, suspend).
  if (status.action === 'suspend') return undefined;
  const unreachable = UNREACHABLE.has(status.state) ? UNREACHABLE_KIND[device] : undefined;
  const kind =
    unreachable ?? (status.reason !== undefined && KIND.test(status.reason) ? status.reason : status.state);
  return { kind, action: status.action ?? DEFAULT_ACTION };
}

/**
 * Turns device status changes into `alert` messages: one when a device enters a fault, with
 * its `action`, and the same alertId with `cleared: true` when the fault is gone (or replaced
 * by another, which opens its own). Statuses the kiosk had before the link started count as
 * changes too, so a kiosk that starts with a jam reports it.
 */
export class DeviceAlertTracker {
  readonly #open = new Map<string, OpenAlert>();
  readonly #kioskId: string;
  readonly #newId: () => string;

  constructor(options: { kioskId: string; newId: () => string }) {
    this.#kioskId = options.kioskId;
    this.#newId = options.newId;
  }

  /**
   * The alerts the new statuses call for; devices missing from `statuses` keep their alerts.
   * `paper` is the printer's roll: near end is a warning, not a fault (the printer still
   * prints), but someone must bring paper, so it is an alert of its own beside any fault.
   */
  update(statuses: Readonly<Record<string, DeviceStatus>>, now: Date, paper?: PaperLevel): AlertPayload[] {
    const alerts: AlertPayload[] = [];
    for (const [device, status] of Object.entries(statuses)) {
      this.#settle(device, device, faultOf(device, status), status, now, alerts);
    }
    const printer = statuses[PAPER_DEVICE];
    if (printer !== undefined && paper !== undefined) {
      const warning = paper === 'nearEnd' ? PAPER_NEAR_END : undefined;
      this.#settle(`${PAPER_DEVICE}.paper`, PAPER_DEVICE, warning, printer, now, alerts);
    }
    return alerts;
  }

  #settle(
    key: string,
    device: string,
    fault: { kind: string; action: ErrorAction } | undefined,
    status: DeviceStatus,
    now: Date,
    alerts: AlertPayload[],
  ): void {
    const open = this.#open.get(key);
    if (open !== undefined && open.kind === fault?.kind && open.action === fault.action) return;
    if (open !== undefined) {
      this.#open.delete(key);
      alerts.push(this.#payload(device, open, true, now, status));
    }
    if (fault !== undefined) {
      const raised: OpenAlert = { alertId: this.#newId(), ...fault };
      this.#open.set(key, raised);
      alerts.push(this.#payload(device, raised, false, now, status));
    }
  }

  #payload(
    device: string,
    alert: OpenAlert,
    cleared: boolean,
    now: Date,
    status: DeviceStatus,
  ): AlertPayload {
    return {
      v: FLEET_PAYLOAD_VERSION,
      kioskId: this.#kioskId,
      ts: now.toISOString(),
      alertId: alert.alertId,
      device,
      kind: alert.kind,
      action: alert.action,
      cleared,
      details: { state: status.state, ...(status.reason === undefined ? {} : { reason: status.reason }) },
    };
  }
}
