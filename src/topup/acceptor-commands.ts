import { ErrorCode, isKioskError } from '../../core/errors.js';
import type { Logger } from '../log.js';
import type { ServiceAcceptor } from './service-ports.js';

const ACCEPTOR_RETRY_MS = 150;
const ACCEPTOR_RETRIES = 20;

export interface AcceptorCommandsOptions {
  acceptor: ServiceAcceptor;
  logger: Logger;
  /** True once the service stops: a busy unit is then not waited for. */
  stopping: () => boolean;
  /** The device took a new setting: what the screen offers may have changed. */
  applied: () => void;
  /** The device did not take a setting that enables notes (offline, or busy too long). */
  enableFailed: (error: unknown) => void;
}

/**
 * Tells the acceptor what to take, in the order the machine asked. Until the device confirms,
 * the screen shows only what both the old and the new setting take: a note outside that
 * might come back. A refusal while a note is in the path is retried; a newer request wins.
 */
export class AcceptorCommands {
  readonly #options: AcceptorCommandsOptions;
  /** Acceptor commands run one after another, in the order the machine asked for them. */
  #queue: Promise<void> = Promise.resolve();
  /** What the acceptor took, as last confirmed by the device: the screen shows only what will work. */
  #enabled: number[] = [];
  /** The latest acceptor request; an older one still retrying gives way to it. */
  #ticket = 0;

  constructor(options: AcceptorCommandsOptions) {
    this.#options = options;
  }

  get enabled(): readonly number[] {
    return this.#enabled;
  }

  tell(denominations: readonly number[]): void {
    const wanted = [...denominations];
    this.#enabled = this.#enabled.filter((d) => wanted.includes(d));
    const ticket = ++this.#ticket;
    this.#queue = this.#queue.then(() => this.#apply(wanted, ticket));
  }

  /** Settles once every command asked for so far has been sent (or given up). */
  drained(): Promise<void> {
    return this.#queue;
  }

  async #apply(wanted: number[], ticket: number): Promise<void> {
    const { acceptor } = this.#options;
    for (let attempt = 1; ticket === this.#ticket; attempt++) {
      try {
        if (wanted.length === 0) await acceptor.disable();
        else await acceptor.enable(wanted);
        this.#enabled = wanted;
        this.#options.applied();
        return;
      } catch (error) {
        // The unit refuses settings while a note is in its path: try again once it is done.
        const busy =
          isKioskError(error, ErrorCode.DeviceRejectedCommand) || isKioskError(error, ErrorCode.DeviceBusy);
        if (busy && attempt < ACCEPTOR_RETRIES && !this.#options.stopping()) {
          await new Promise((resolve) => setTimeout(resolve, ACCEPTOR_RETRY_MS));
          continue;
        }
        // Offline: the kiosk goes out of service, and the escrow policy refuses any note anyway.
        this.#options.logger.warn(
          { err: error, denominations: wanted },
          'acceptor did not take the enable state',
        );
        if (wanted.length > 0) this.#options.enableFailed(error);
        return;
      }
    }
  }
}
