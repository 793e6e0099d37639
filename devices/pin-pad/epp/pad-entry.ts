import type { Clock, TimerHandle } from '../../../core/clock.js';
import type { EntryCompletion, EntryOptions } from '../pin-pad.js';
import type { EppKeyName } from './codec/index.js';

export type EntryKind = 'pin' | 'data';

/** How an entry ended, as the pad (or, for raw-key pads, the driver's own count) says. */
export interface EntryEnd {
  completion: EntryCompletion;
  /** PIN entry: how many digits the pad holds. */
  digits: number;
  /** Data entry: the digits typed (not secret). */
  value: string;
}

/**
 * One entry on the pad, from the host's side: it exists from just before the start command is
 * written (key events can come in the same read as the start's reply) until the pad's end event
 * settles it, or the line, a reset or a fault fails it. Settling is once only; whatever arrives
 * for it after is the driver's to drop.
 */
export class PadEntry {
  readonly kind: EntryKind;
  readonly session: number;
  readonly options: EntryOptions;
  readonly promise: Promise<EntryEnd>;
  /** performance.now() at the start's OK reply; a status read written after it sees the entry. */
  acknowledgedAt: number | undefined;
  #settled = false;
  #resolve!: (end: EntryEnd) => void;
  #reject!: (error: unknown) => void;

  constructor(kind: EntryKind, session: number, options: EntryOptions) {
    this.kind = kind;
    this.session = session;
    this.options = { ...options };
    this.promise = new Promise<EntryEnd>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // The caller may not be awaiting yet when a line loss fails the entry.
    this.promise.catch(() => undefined);
  }

  get settled(): boolean {
    return this.#settled;
  }

  finish(end: EntryEnd): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    this.#resolve(end);
    return true;
  }

  fail(error: unknown): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    this.#reject(error);
    return true;
  }
}

/**
 * A PIN entry on a pad that sends its keys as bare bytes and no end event (docs/devices/epp.md,
 * "raw-byte form"): the driver keeps the count the pad would, by the same rules as the pad of
 * the protocol (digits past maxLength refused, Enter refused below minLength, autoEnd, and a
 * timeout restarted by every key).
 */
export class HostKeyCount {
  readonly #options: EntryOptions;
  readonly #clock: Clock;
  readonly #onEnd: (completion: EntryCompletion, digits: number) => void;
  #digits = 0;
  #timer: TimerHandle | undefined;
  #ended = false;

  constructor(
    options: EntryOptions,
    clock: Clock,
    onEnd: (completion: EntryCompletion, digits: number) => void,
  ) {
    this.#options = options;
    this.#clock = clock;
    this.#onEnd = onEnd;
    this.#arm();
  }

  get digits(): number {
    return this.#digits;
  }

  key(key: EppKeyName): void {
    if (this.#ended) return;
    switch (key) {
      case 'digit':
        if (this.#digits < this.#options.maxLength) this.#digits++;
        if (this.#options.autoEnd && this.#digits === this.#options.maxLength) {
          this.#end('auto');
          return;
        }
        break;
      case 'backspace':
        this.#digits = Math.max(0, this.#digits - 1);
        break;
      case 'clear':
        this.#digits = 0;
        break;
      case 'enter':
        if (this.#digits >= this.#options.minLength) {
          this.#end('enter');
          return;
        }
        break;
      case 'cancel':
        this.#end('cancel');
        return;
    }
    this.#arm();
  }

  /** Stops the timeout (the entry ended some other way). */
  stop(): void {
    this.#ended = true;
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  #arm(): void {
    this.#timer?.cancel();
    this.#timer = this.#clock.setTimer(() => this.#end('timeout'), this.#options.timeoutMs);
  }

  #end(completion: EntryCompletion): void {
    this.stop();
    this.#onEnd(completion, this.#digits);
  }
}
