/**
 * The device status vocabulary of DESIGN.md, borrowed from XFS4IoT. Every driver reports in
 * these words whatever its protocol says, so the kiosk machine and the fleet read one language.
 */
export const DEVICE_STATES = [
  'starting',
  'online',
  'offline',
  'powerOff',
  'noDevice',
  'hardwareError',
  'userError',
  'deviceBusy',
  'fraudAttempt',
  'potentialFraud',
] as const;
export type DeviceState = (typeof DEVICE_STATES)[number];

/**
 * What it takes to clear an error: `reset` (the host resets the device), `softwareError`,
 * `configuration`, `clear` (staff can fix it, e.g. replace paper or empty the cashbox),
 * `maintenance` (needs a technician), `suspend` (the device is recovering by itself).
 */
export const ERROR_ACTIONS = [
  'reset',
  'softwareError',
  'configuration',
  'clear',
  'maintenance',
  'suspend',
] as const;
export type ErrorAction = (typeof ERROR_ACTIONS)[number];

export interface DeviceStatus {
  state: DeviceState;
  /** Present when the state is an error: what clears it. */
  action?: ErrorAction;
  /** A stable machine-readable reason (e.g. `jamInStacker`, `stackerFull`); words for people are the UI's job. */
  reason?: string;
}

export interface DeviceIdentity {
  model: string;
  firmware: string;
  serialNumber?: string;
}
