import type { Journal } from '../journal/journal.js';
import type { Logger } from '../log.js';

/** One audit row per kind and reason per window, however many refusals it stands for. */
export const REFUSAL_WINDOW_MS = 60_000;
/** Refusals whose own work (an answer, a log line) is done per second; the rest are only counted. */
export const REFUSAL_ANSWER_RATE_PER_S = 10;
export const REFUSAL_ANSWER_BURST = 20;

/** What was refused: a command (on `cmd`) or a payment ack (on `payment/ack`). */
export type RefusedKind = 'command' | 'ack';

interface Tally {
  kind: RefusedKind;
  reason: string;
  count: number;
  /** Refusals beyond the answer rate: counted here, not answered or logged one by one. */
  unanswered: number;
  firstSeen: string;
  lastSeen: string;
  maxBytes: number;
  lastMessage: string;
}

export interface RefusalTallyOptions {
  journal: Journal;
  logger: Logger;
  clock: () => Date;
  windowMs?: number;
  answerRatePerS?: number;
  answerBurst?: number;
  /** Monotonic milliseconds, for the answer rate. */
  now?: () => number;
}

/**
 * Counts refused input that anyone on the broker can send (junk, unsigned or forged commands
 * and acks) instead of writing an audit row for each: a flood of it would otherwise grow the
 * audit log and take the journal's time without bound. Per kind and reason it keeps a count
 * and the first and last time seen, and writes one `<kind>.refusals` audit row when the
 * window closes (and on stop). The work a refusal itself causes (its answer on `cmd/result`,
 * a warn line) is allowed at a bounded rate; beyond it refusals are counted as `unanswered`.
 */
export class RefusalTally {
  readonly #journal: Journal;
  readonly #log: Logger;
  readonly #clock: () => Date;
  readonly #now: () => number;
  readonly #windowMs: number;
  readonly #ratePerMs: number;
  readonly #burst: number;
  readonly #open = new Map<string, Tally>();
  readonly #totals = new Map<string, number>();
  #tokens: number;
  #refilledAt: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: RefusalTallyOptions) {
    this.#journal = options.journal;
    this.#log = options.logger;
    this.#clock = options.clock;
    this.#now = options.now ?? (() => performance.now());
    this.#windowMs = options.windowMs ?? REFUSAL_WINDOW_MS;
    this.#ratePerMs = (options.answerRatePerS ?? REFUSAL_ANSWER_RATE_PER_S) / 1000;
    this.#burst = options.answerBurst ?? REFUSAL_ANSWER_BURST;
    this.#tokens = this.#burst;
    this.#refilledAt = this.#now();
  }

  /**
   * Counts one refusal; true when its answer and log line fit within the rate, false when the
   * caller must drop them (the refusal is counted either way).
   */
  record(kind: RefusedKind, reason: string, details: { bytes: number; message: string }): boolean {
    const key = `${kind}:${reason}`;
    const ts = this.#clock().toISOString();
    let tally = this.#open.get(key);
    if (tally === undefined) {
      tally = {
        kind,
        reason,
        count: 0,
        unanswered: 0,
        firstSeen: ts,
        lastSeen: ts,
        maxBytes: 0,
        lastMessage: '',
      };
      this.#open.set(key, tally);
    }
    tally.count++;
    tally.lastSeen = ts;
    tally.maxBytes = Math.max(tally.maxBytes, details.bytes);
    tally.lastMessage = details.message;
    this.#totals.set(key, (this.#totals.get(key) ?? 0) + 1);
    this.#timer ??= setTimeout(() => this.flush(), this.#windowMs).unref();
    const answered = this.#take();
    if (!answered) tally.unanswered++;
    return answered;
  }

  /** Refusals counted since start, by `kind:reason` (for health and tests). */
  totals(): ReadonlyMap<string, number> {
    return this.#totals;
  }

  /** Writes the open window's rows now. */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const tallies = [...this.#open.values()];
    this.#open.clear();
    for (const { kind, ...row } of tallies) {
      this.#log.warn({ kind, ...row }, `${kind}s refused`);
      try {
        this.#journal.audit.append('fleet', `${kind}.refusals`, { ...row });
      } catch (error) {
        this.#log.error({ err: error, kind, reason: row.reason }, 'cannot audit refused input');
      }
    }
  }

  #take(): boolean {
    const now = this.#now();
    this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#refilledAt) * this.#ratePerMs);
    this.#refilledAt = now;
    if (this.#tokens < 1) return false;
    this.#tokens--;
    return true;
  }
}
