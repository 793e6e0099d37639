import { ErrorCode, KioskError } from '../../core/errors.js';
import { DEVICE_STATES, type DeviceStatus, ERROR_ACTIONS } from '../../devices/device-status.js';
import { KIOSK_MODES } from '../fleet-protocol/index.js';
import type { FleetLinkContext, KioskMode, PaperLevel } from './fleet-link-context.js';

const PAPER_LEVELS: readonly PaperLevel[] = ['ok', 'nearEnd', 'out', 'unknown'];
const DEVICE_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,31}$/;

function sameStatus(a: DeviceStatus | undefined, b: DeviceStatus): boolean {
  return a !== undefined && a.state === b.state && a.action === b.action && a.reason === b.reason;
}

/**
 * The kiosk's reportable state in one place: the mode, each device's status, the paper level.
 * Drivers' status events and the mode holder write it; the fleet link (and anything else that
 * reports) reads it and is told when it changed. Setting the value it already holds is not a
 * change, so a driver repeating its status does not make the link publish again.
 */
export class KioskStatusBoard implements FleetLinkContext {
  #mode: KioskMode;
  #paper: PaperLevel = 'unknown';
  readonly #devices = new Map<string, DeviceStatus>();
  readonly #listeners = new Set<() => void>();

  constructor(initial: { mode?: KioskMode } = {}) {
    this.#mode = initial.mode === undefined ? 'starting' : checkMode(initial.mode);
  }

  mode(): KioskMode {
    return this.#mode;
  }

  deviceStatuses(): Readonly<Record<string, DeviceStatus>> {
    return Object.fromEntries([...this.#devices].map(([name, status]) => [name, { ...status }]));
  }

  paperLevel(): PaperLevel {
    return this.#paper;
  }

  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  setMode(mode: KioskMode): void {
    const value = checkMode(mode);
    if (value === this.#mode) return;
    this.#mode = value;
    this.#notify();
  }

  setDeviceStatus(device: string, status: DeviceStatus): void {
    if (typeof device !== 'string' || !DEVICE_NAME.test(device)) {
      throw new KioskError(
        ErrorCode.FleetBadPayload,
        `device name ${JSON.stringify(device)} must be 1 to 32 letters, digits, "_" or "-", starting with a letter`,
        { details: { field: 'device' } },
      );
    }
    const value = checkStatus(device, status);
    if (sameStatus(this.#devices.get(device), value)) return;
    this.#devices.set(device, value);
    this.#notify();
  }

  setPaperLevel(level: PaperLevel): void {
    if (!PAPER_LEVELS.includes(level)) {
      throw new KioskError(
        ErrorCode.FleetBadPayload,
        `paper level ${JSON.stringify(level)} is not one of ${PAPER_LEVELS.join(', ')}`,
        { details: { field: 'paper' } },
      );
    }
    if (level === this.#paper) return;
    this.#paper = level;
    this.#notify();
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) listener();
  }
}

function checkMode(mode: unknown): KioskMode {
  if (!(KIOSK_MODES as readonly unknown[]).includes(mode)) {
    throw new KioskError(
      ErrorCode.FleetBadPayload,
      `kiosk mode ${JSON.stringify(mode)} is not one of ${KIOSK_MODES.join(', ')}`,
      { details: { field: 'mode' } },
    );
  }
  return mode as KioskMode;
}

function checkStatus(device: string, status: unknown): DeviceStatus {
  const s = (typeof status === 'object' && status !== null ? status : {}) as Record<string, unknown>;
  const bad = (field: string, expected: string): KioskError =>
    new KioskError(ErrorCode.FleetBadPayload, `status of ${device}: ${field} must be ${expected}`, {
      details: { device, field },
    });
  if (!(DEVICE_STATES as readonly unknown[]).includes(s['state'])) {
    throw bad('state', `one of ${DEVICE_STATES.join(', ')}`);
  }
  if (s['action'] !== undefined && !(ERROR_ACTIONS as readonly unknown[]).includes(s['action'])) {
    throw bad('action', `one of ${ERROR_ACTIONS.join(', ')}`);
  }
  if (s['reason'] !== undefined && (typeof s['reason'] !== 'string' || s['reason'].length > 64)) {
    throw bad('reason', 'a string of at most 64 characters');
  }
  const result: DeviceStatus = { state: s['state'] as DeviceStatus['state'] };
  if (s['action'] !== undefined) result.action = s['action'] as DeviceStatus['action'] & string;
  if (s['reason'] !== undefined) result.reason = s['reason'] as string;
  return result;
}
