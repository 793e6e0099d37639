import type { DeviceIdentity, DeviceStatus } from './device-status.js';

/**
 * The contract every device keeps, whatever its kind and protocol: the daemon starts, stops,
 * resets and diagnoses devices through this alone, and follows their status in the DESIGN.md
 * vocabulary. A kind's interface (CashAcceptor, the printer, the PIN pad) extends it with what
 * only that kind does.
 */

/** Events every device emits; a kind adds its own. */
export interface DeviceEvents {
  status: [DeviceStatus];
}

/** What a technician or the fleet's runDiagnostics reads about a device. */
export interface DeviceDiagnostics {
  status: DeviceStatus;
  identity: DeviceIdentity;
  /** The line's state (online, offline, connecting...), apart from what the device says. */
  transport: string;
  /** The driver's running counts (polls, retries, timeouts...), named by the protocol. */
  counters: Readonly<Record<string, number>>;
}

type Listener<Events, E extends keyof Events> = (
  ...args: Events[E] extends unknown[] ? Events[E] : never
) => void;

/** A device's life and status: what a protocol driver offers on a line its `create` opens for it. */
export interface DeviceControl<Events extends DeviceEvents = DeviceEvents> {
  /** The instance's name in logs and the journal (a DeviceName in the daemon). */
  readonly name: string;
  readonly status: DeviceStatus;
  /** Runs the start-up sequence; resolves once the device is ready or has reported a fault. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Resets the unit and sets it up again as after a power-up. */
  reset(): Promise<void>;
  readIdentity(): Promise<DeviceIdentity>;
  on<E extends keyof Events>(event: E, listener: Listener<Events, E>): this;
  off<E extends keyof Events>(event: E, listener: Listener<Events, E>): this;
}

/**
 * The device as the daemon runs it: `start` also opens the line and `stop` closes it after
 * the session ends, and the diagnostics see both the device and the line.
 */
export interface Device<Events extends DeviceEvents = DeviceEvents> extends DeviceControl<Events> {
  diagnostics(): Promise<DeviceDiagnostics>;
}
