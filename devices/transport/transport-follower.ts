import { ErrorCode, KioskError } from '../../core/errors.js';
import type { RetryInfo, SerialTransport, TransportLossReason } from './serial-transport.js';

export interface TransportFollowerHandlers {
  /** The line is online (at start, or back): begin a session. */
  online(): void;
  offline(reason: TransportLossReason): void;
  /** The OS refused to open the port, naming why (ENOENT, EACCES...): the unit is not there (yet). */
  noDevice(errno: string): void;
}

/**
 * How a driver follows the transport its `create` opened for it: listens from `start()` until
 * `stop()`, begins a session whenever the line is online, and settles the start promise once
 * the driver says the device is known (ready, faulty, silent) or absent. The transport itself
 * is its owner's to open and close; a driver only follows it.
 */
export class TransportFollower {
  readonly #transport: SerialTransport;
  readonly #what: string;
  readonly #handlers: TransportFollowerHandlers;
  #started = false;
  #stopped = false;
  #startDone: (() => void) | undefined;
  #startPromise: Promise<void> | undefined;

  readonly #onOnline = (): void => {
    if (this.following) this.#handlers.online();
  };
  readonly #onOffline = (reason: TransportLossReason): void => this.#handlers.offline(reason);
  readonly #onRetry = (info: RetryInfo): void => {
    const { reason } = info;
    if (this.#stopped || reason.code !== ErrorCode.TransportOpenFailed || reason.errno === undefined) return;
    this.#handlers.noDevice(reason.errno);
    this.settleStart();
  };

  /** `what` names the device in errors, e.g. `printer receipt`. */
  constructor(transport: SerialTransport, what: string, handlers: TransportFollowerHandlers) {
    this.#transport = transport;
    this.#what = what;
    this.#handlers = handlers;
  }

  /** Started and not stopped: sessions may begin. */
  get following(): boolean {
    return this.#started && !this.#stopped;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /** Idempotent; resolves when settleStart() is called, or at stop(). */
  start(): Promise<void> {
    if (this.#stopped) {
      return Promise.reject(new KioskError(ErrorCode.DeviceBadState, `${this.#what} was stopped`));
    }
    if (this.#startPromise) return this.#startPromise;
    this.#started = true;
    this.#startPromise = new Promise<void>((resolve) => {
      this.#startDone = resolve;
    });
    this.#transport.on('online', this.#onOnline);
    this.#transport.on('offline', this.#onOffline);
    this.#transport.on('retry', this.#onRetry);
    if (this.#transport.state === 'online') this.#handlers.online();
    return this.#startPromise;
  }

  /** Stops listening; false when it was stopped already. The caller ends its session. */
  stop(): boolean {
    if (this.#stopped) return false;
    this.#stopped = true;
    this.#transport.off('online', this.#onOnline);
    this.#transport.off('offline', this.#onOffline);
    this.#transport.off('retry', this.#onRetry);
    this.settleStart();
    return true;
  }

  settleStart(): void {
    const done = this.#startDone;
    this.#startDone = undefined;
    done?.();
  }
}
