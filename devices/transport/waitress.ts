import { ErrorCode, KioskError } from '../../core/errors.js';

/** A pending wait: await `promise`, or `cancel()` when the reply is no longer wanted. */
export interface Wait<T> {
  promise: Promise<T>;
  /**
   * Withdraws the wait: its timer stops and no later value reaches it. The promise stays
   * pending, because whoever cancels has stopped awaiting and a rejection would go unheard.
   */
  cancel(): void;
}

interface Waiter<T> {
  matcher: (value: T) => boolean;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
  timer: NodeJS.Timeout;
}

/**
 * Matches replies to the requests waiting for them (after zigbee-herdsman's Waitress).
 * A driver registers what it expects before writing the request, then feeds every decoded
 * frame to `resolve`; each waiter takes the first value its matcher accepts.
 */
export class Waitress<T> {
  readonly #waiters = new Set<Waiter<T>>();

  /** Number of waits still pending. */
  get size(): number {
    return this.#waiters.size;
  }

  /**
   * Waits for the first value `matcher` accepts; rejects with KioskError DeviceTimeout after
   * `timeoutMs`. `what` names the awaited reply in the timeout message.
   */
  waitFor(matcher: (value: T) => boolean, timeoutMs: number, what = 'reply'): Wait<T> {
    if (typeof matcher !== 'function') {
      throw new KioskError(ErrorCode.DeviceBadState, 'waitFor needs a matcher function');
    }
    if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new KioskError(
        ErrorCode.DeviceBadState,
        `waitFor timeoutMs must be a positive number, got ${timeoutMs}`,
      );
    }
    let waiter!: Waiter<T>;
    const promise = new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(
          new KioskError(ErrorCode.DeviceTimeout, `no ${what} within ${timeoutMs} ms`, {
            details: { timeoutMs, what },
          }),
        );
      }, timeoutMs);
      waiter = { matcher, resolve, reject, timer };
    });
    // A driver racing the wait against something else may never await it; the rejection is
    // still delivered to anyone who does.
    promise.catch(() => undefined);
    this.#waiters.add(waiter);
    return {
      promise,
      cancel: () => {
        if (this.#waiters.delete(waiter)) clearTimeout(waiter.timer);
      },
    };
  }

  /**
   * Offers `value` to every pending waiter; each whose matcher accepts it is resolved and
   * removed. A matcher that throws rejects its own waiter with that error (a bug in the
   * matcher must not look like a timeout) and does not disturb the others.
   * Returns whether any waiter took the value, so unsolicited frames can be logged.
   */
  resolve(value: T): boolean {
    let taken = false;
    for (const waiter of [...this.#waiters]) {
      let accepted: boolean;
      try {
        accepted = waiter.matcher(value);
      } catch (error) {
        this.#settle(waiter);
        waiter.reject(error);
        continue;
      }
      if (accepted) {
        this.#settle(waiter);
        waiter.resolve(value);
        taken = true;
      }
    }
    return taken;
  }

  /** Rejects every pending waiter with `error`, e.g. when the transport goes offline. */
  rejectAll(error: KioskError): void {
    for (const waiter of [...this.#waiters]) {
      this.#settle(waiter);
      waiter.reject(error);
    }
  }

  #settle(waiter: Waiter<T>): void {
    this.#waiters.delete(waiter);
    clearTimeout(waiter.timer);
  }
}
