import { EventEmitter } from 'node:events';
import type { DeviceDiagnostics } from '../device.js';
import type { DeviceIdentity, DeviceStatus } from '../device-status.js';
import type { SerialTransport } from './serial-transport.js';

/** What a protocol driver offers the device it runs on a line (see TransportFollower). */
export interface LineDriver<Status extends DeviceStatus> {
  readonly name: string;
  readonly status: Status;
  readonly counters: Readonly<Record<string, number>>;
  start(): Promise<void>;
  stop(): Promise<void>;
  reset(): Promise<void>;
  readIdentity(): Promise<DeviceIdentity>;
  on(event: string, listener: (...args: never[]) => void): unknown;
}

/**
 * A driver and the serial line its `create` opened for it, as one Device: start follows the line
 * and opens it, stop ends the session then closes the line, the driver's events are relayed, and
 * the diagnostics see the line's state and counters beside the driver's. A kind's class adds its
 * own calls (print, pinEntry...) on `driver`.
 */
export abstract class DeviceOnLine<
  Status extends DeviceStatus,
  Driver extends LineDriver<Status>,
  // biome-ignore lint/suspicious/noExplicitAny: node's EventEmitter event map is keyed by any listener args
  Events extends Record<keyof Events, any[]>,
> extends EventEmitter<Events> {
  protected readonly driver: Driver;
  readonly #transport: SerialTransport;
  readonly #unanswered: DeviceIdentity;

  /** `relayed`: the driver events the device re-emits; `unanswered`: its identity when it does not answer. */
  constructor(
    driver: Driver,
    transport: SerialTransport,
    relayed: readonly string[],
    unanswered: DeviceIdentity,
  ) {
    super();
    this.driver = driver;
    this.#transport = transport;
    this.#unanswered = unanswered;
    const relay = this as unknown as EventEmitter<Record<string, unknown[]>>;
    for (const event of relayed) {
      driver.on(event, (...args: never[]) => relay.emit(event, ...(args as unknown[])));
    }
  }

  get name(): string {
    return this.driver.name;
  }

  get status(): Status {
    return this.driver.status;
  }

  start(): Promise<void> {
    const ready = this.driver.start();
    // A stopped device refuses through the driver's promise; its transport cannot start again.
    if (this.#transport.state !== 'stopped') this.#transport.start();
    return ready;
  }

  async stop(): Promise<void> {
    await this.driver.stop();
    await this.#transport.stop();
  }

  reset(): Promise<void> {
    return this.driver.reset();
  }

  readIdentity(): Promise<DeviceIdentity> {
    return this.driver.readIdentity();
  }

  async diagnostics(): Promise<DeviceDiagnostics & { status: Status }> {
    let identity: DeviceIdentity;
    try {
      identity = await this.driver.readIdentity();
    } catch {
      identity = this.#unanswered;
    }
    return {
      status: this.driver.status,
      identity,
      transport: this.#transport.state,
      counters: { ...this.#transport.counters, ...this.driver.counters },
    };
  }
}
