import { performance } from 'node:perf_hooks';
import { ErrorCode, KioskError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { Waitress } from './waitress.js';

/** The part of SerialTransport a command line uses; structural, so a test can stand in for it. */
export interface LinePort {
  write(bytes: Uint8Array): Promise<void>;
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  off(event: 'data', listener: (chunk: Buffer) => void): unknown;
}

/** Splits the byte stream into frames; reset() drops a half frame. */
export interface FrameSplitter<F> {
  push(chunk: Uint8Array): F[];
  reset(): void;
}

/**
 * What one protocol tells the command line. C: a command the host sends; F: a raw frame as the
 * protocol's parser cuts it; R: a decoded frame from the device (an answer or an unsolicited
 * report). The line knows nothing else of the protocol.
 */
export interface LineRules<C, F, R> {
  /** Names the line in errors and logs (`id003`, `escpos`, `epp`). */
  name: string;
  /** Names a command in errors, logs and error details (`stack1`, `print job 12`). */
  describe(command: C): string;
  /** Throws a KioskError for a command that cannot be encoded; nothing is queued then. */
  encode(command: C): Uint8Array;
  createParser(): FrameSplitter<F>;
  decode(frame: F): R;
  /**
   * Whether `reply` can be the answer to `command`. Checking more than "a frame came" keeps a
   * late answer to an earlier, timed-out attempt from being taken for the next command's.
   */
  answers(command: C, reply: R): boolean;
  /** The device saw a damaged frame and did nothing: sending again is safe. */
  isGarbled(reply: R): boolean;
  /** The device understood and refused `command` in its present state (rejects DeviceRejectedCommand). */
  refuses?(command: C, reply: R): boolean;
  /**
   * Commands that move money or paper and do not name what they act on: a timed-out attempt may
   * have been late rather than lost, so it is never sent again blindly; the driver decides from
   * the device's next report.
   */
  neverResendBlindly(command: C): boolean;
}

/**
 * Optional protocol hooks around the queue, for rules that depend on what was written before
 * (ID-003's host ACK, whose answer, if any, cannot be told from another command's).
 */
export interface LineGate<C, R> {
  /** Milliseconds `command` must wait before it may be written (0: now); it is asked again then. */
  holdMs(command: C, now: number): number;
  /** Takes a received frame before any waiter sees it; true when it is consumed. */
  claim(reply: R, index: number, at: number): boolean;
}

/**
 * Which queue a command waits in: commands whose timing the device cares about (money, paper)
 * first, then settings and requests, and a poll only when nothing else waits.
 */
export type Lane = 'urgent' | 'normal' | 'poll';

export interface LineAnswer<R> {
  reply: R;
  /** performance.now() just before the command's last attempt was handed to the port. */
  writtenAt: number;
  /** performance.now() at the data event that completed the reply frame. */
  receivedAt: number;
  /** 1 when the first attempt was answered. */
  attempts: number;
}

export interface LineStats {
  commands: number;
  /** Attempts that timed out or were answered "garbled". */
  retries: number;
  /** Commands that failed after every attempt. */
  failures: number;
  /** Frames that arrived while nothing waited for them, or did not fit the command waiting. */
  unsolicited: number;
}

export interface UnansweredWriteHooks {
  /** Just before the bytes go to the port, with the write time: a quick device may answer before write() returns. */
  beforeWrite?(writtenAt: number): void;
  onWriteFailed?(): void;
}

export interface CommandLineOptions<C, F, R> {
  port: LinePort;
  rules: LineRules<C, F, R>;
  answerTimeoutMs: number;
  /** Further attempts after the first one goes unanswered. */
  retries: number;
  logger: Logger;
  /** Every decoded frame no waiting command took: a printer's status push, a PIN pad's key press. */
  onUnsolicited?: (reply: R, receivedAt: number) => void;
  gate?: LineGate<C, R>;
}

interface Received<R> {
  reply: R;
  at: number;
}

interface Job<C> {
  command: C;
  bytes: Uint8Array;
  /** Written, not waited on: resolves with its write time. */
  unanswered: UnansweredWriteHooks | undefined;
  resolve: (answer: never) => void;
  reject: (error: unknown) => void;
}

/**
 * One command at a time on a request/answer serial line: writes a frame, waits (Waitress) for
 * the answer for answerTimeoutMs, and tries again up to `retries` times, except a command the
 * rules never resend blindly. A timed-out attempt resets the frame parser, so a half frame left
 * from it cannot swallow the next answer. Commands queue in three lanes (see Lane); the next is
 * written only once the previous one is answered or has failed.
 */
export class CommandLine<C, F, R> {
  readonly #port: LinePort;
  readonly #rules: LineRules<C, F, R>;
  readonly #answerTimeoutMs: number;
  readonly #retries: number;
  readonly #log: Logger;
  readonly #onUnsolicited: ((reply: R, receivedAt: number) => void) | undefined;
  readonly #gate: LineGate<C, R> | undefined;
  readonly #parser: FrameSplitter<F>;
  readonly #waitress = new Waitress<Received<R>>();
  readonly #lanes: Record<Lane, Job<C>[]> = { urgent: [], normal: [], poll: [] };
  readonly #stats: LineStats = { commands: 0, retries: 0, failures: 0, unsolicited: 0 };
  #busy = false;
  #holdTimer: NodeJS.Timeout | undefined;
  /** Set while closed: what every command is refused with. */
  #closedWith: KioskError | undefined;
  /** Bumped by close(), so an attempt loop still running from before knows to stop. */
  #epoch = 0;
  readonly #onData = (chunk: Buffer): void => this.#receive(chunk);

  constructor(options: CommandLineOptions<C, F, R>) {
    this.#port = options.port;
    this.#rules = options.rules;
    this.#answerTimeoutMs = options.answerTimeoutMs;
    this.#retries = options.retries;
    this.#log = options.logger;
    this.#onUnsolicited = options.onUnsolicited;
    this.#gate = options.gate;
    this.#parser = options.rules.createParser();
    this.#closedWith = new KioskError(ErrorCode.DeviceOffline, `the ${options.rules.name} line is not open`);
  }

  get busy(): boolean {
    return this.#busy;
  }

  get stats(): Readonly<LineStats> {
    return { ...this.#stats };
  }

  /** Starts taking commands and listening to the port: the line came online. */
  open(): void {
    if (this.#closedWith === undefined) return;
    this.#closedWith = undefined;
    this.#parser.reset();
    this.#port.on('data', this.#onData);
  }

  /**
   * Stops at once: the command on the wire and every queued one reject with `error`, and
   * nothing more is written until open() again.
   */
  close(error: KioskError): void {
    if (this.#closedWith !== undefined) return;
    this.#closedWith = error;
    this.#epoch++;
    this.#port.off('data', this.#onData);
    const queued = [...this.#lanes.urgent, ...this.#lanes.normal, ...this.#lanes.poll];
    this.#lanes.urgent = [];
    this.#lanes.normal = [];
    this.#lanes.poll = [];
    this.#waitress.rejectAll(error);
    for (const job of queued) job.reject(error);
    this.#parser.reset();
    this.#clearHold();
  }

  /**
   * Sends `command` once its turn comes and resolves with the answer. Rejects with
   * DeviceRejectedCommand when the rules say the device refused it, DeviceTimeout when no
   * attempt was answered, and with the close() error when the line goes away meanwhile.
   */
  send(command: C, lane: Lane = 'normal'): Promise<LineAnswer<R>> {
    return this.#enqueue<LineAnswer<R>>(command, lane, undefined);
  }

  /**
   * Writes `command` in its turn without waiting for an answer (a print job's data, a protocol's
   * acknowledgement) and resolves with the performance.now() of the write.
   */
  sendUnanswered(command: C, lane: Lane, hooks: UnansweredWriteHooks = {}): Promise<number> {
    return this.#enqueue<number>(command, lane, hooks);
  }

  #enqueue<T>(command: C, lane: Lane, unanswered: UnansweredWriteHooks | undefined): Promise<T> {
    if (this.#closedWith) return Promise.reject(this.#closedWith);
    let bytes: Uint8Array;
    try {
      bytes = this.#rules.encode(command);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<T>((resolve, reject) => {
      this.#lanes[lane].push({ command, bytes, unanswered, resolve: resolve as (a: never) => void, reject });
      this.#next();
    });
  }

  #next(): void {
    if (this.#busy || this.#closedWith) return;
    const lane =
      this.#lanes.urgent.length > 0
        ? this.#lanes.urgent
        : this.#lanes.normal.length > 0
          ? this.#lanes.normal
          : this.#lanes.poll;
    const job = lane[0];
    if (!job) return;
    const holdMs = this.#gate ? this.#gate.holdMs(job.command, performance.now()) : 0;
    if (holdMs > 0) {
      this.#hold(holdMs);
      return;
    }
    this.#clearHold();
    lane.shift();
    this.#busy = true;
    this.#stats.commands++;
    const run = job.unanswered ? this.#writeUnanswered(job, job.unanswered) : this.#run(job, this.#epoch);
    run.then(
      (answer) => {
        this.#busy = false;
        job.resolve(answer as never);
        this.#next();
      },
      (error: unknown) => {
        this.#busy = false;
        job.reject(error);
        this.#next();
      },
    );
  }

  #hold(ms: number): void {
    if (this.#holdTimer) return;
    this.#holdTimer = setTimeout(() => {
      this.#holdTimer = undefined;
      this.#next();
    }, Math.ceil(ms));
  }

  #clearHold(): void {
    if (this.#holdTimer) clearTimeout(this.#holdTimer);
    this.#holdTimer = undefined;
  }

  async #writeUnanswered(job: Job<C>, hooks: UnansweredWriteHooks): Promise<number> {
    const writtenAt = performance.now();
    hooks.beforeWrite?.(writtenAt);
    try {
      await this.#port.write(job.bytes);
    } catch (error) {
      hooks.onWriteFailed?.();
      throw error;
    }
    return writtenAt;
  }

  async #run(job: Job<C>, epoch: number): Promise<LineAnswer<R>> {
    const rules = this.#rules;
    const what = rules.describe(job.command);
    const attempts = this.#retries + 1;
    for (let attempt = 1; ; attempt++) {
      if (epoch !== this.#epoch) throw this.#closedWith;
      const wait = this.#waitress.waitFor(
        (received) => rules.answers(job.command, received.reply),
        this.#answerTimeoutMs,
        `answer to ${what}`,
      );
      const writtenAt = performance.now();
      try {
        await this.#port.write(job.bytes);
      } catch (error) {
        wait.cancel();
        throw error;
      }
      let received: Received<R>;
      try {
        received = await wait.promise;
      } catch (error) {
        if (
          epoch !== this.#epoch ||
          !(error instanceof KioskError) ||
          error.code !== ErrorCode.DeviceTimeout
        ) {
          throw error;
        }
        // Whatever half frame is buffered belongs to the lost answer.
        this.#parser.reset();
        if (attempt >= attempts || rules.neverResendBlindly(job.command)) {
          this.#stats.failures++;
          throw new KioskError(
            ErrorCode.DeviceTimeout,
            `no answer to ${what} after ${attempt} attempt${attempt === 1 ? '' : 's'} of ${this.#answerTimeoutMs} ms`,
            { details: { command: what, attempts: attempt, answerTimeoutMs: this.#answerTimeoutMs } },
          );
        }
        this.#stats.retries++;
        continue;
      }
      if (rules.isGarbled(received.reply)) {
        if (attempt >= attempts) {
          this.#stats.failures++;
          throw new KioskError(ErrorCode.DeviceProtocol, `${what} arrived garbled ${attempts} times`, {
            details: { command: what, attempts },
          });
        }
        this.#stats.retries++;
        continue;
      }
      if (rules.refuses?.(job.command, received.reply)) {
        throw new KioskError(
          ErrorCode.DeviceRejectedCommand,
          `the ${rules.name} device refused ${what} now`,
          {
            details: { command: what, attempt },
          },
        );
      }
      return { reply: received.reply, writtenAt, receivedAt: received.at, attempts: attempt };
    }
  }

  #receive(chunk: Buffer): void {
    const frames = this.#parser.push(chunk);
    if (frames.length === 0) return;
    const at = performance.now();
    for (const [index, frame] of frames.entries()) {
      const reply = this.#rules.decode(frame);
      if (this.#gate?.claim(reply, index, at)) continue;
      if (this.#waitress.resolve({ reply, at })) continue;
      this.#stats.unsolicited++;
      if (this.#onUnsolicited) {
        try {
          this.#onUnsolicited(reply, at);
        } catch (error) {
          this.#log.error({ err: error }, `${this.#rules.name} unsolicited-frame handler threw`);
        }
      }
    }
    // A command held back by the gate may go now that a frame has come.
    if (this.#holdTimer) this.#next();
  }
}
