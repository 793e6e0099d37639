import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { SerialPortStream } from '@serialport/stream';
import { ErrorCode, KioskError } from '../../core/errors.js';
import { type LineSettings, lineSettingsProblem } from '../../core/line-settings.js';
import type { Logger } from '../../core/logger.js';
import { emitSafely } from '../../core/safe-emitter.js';
import { assertBackoffPolicy, type BackoffPolicy, backoffDelayMs } from './backoff.js';
import { type TraceDirection, traceEntry } from './byte-trace.js';
import { openFailureErrno } from './open-failure.js';
import type { BindingInterface } from './serial-binding.js';

export type TransportState = 'idle' | 'connecting' | 'online' | 'offline' | 'stopped';

/** Why the line went away; `code` is what callers branch on. */
export interface TransportLossReason {
  code: ErrorCode;
  message: string;
  /** A failed open: the OS error name (`ENOENT`, `EACCES`, `ENOTTY`…) when it could be told. */
  errno?: string;
}

export interface ReconnectPolicy extends BackoffPolicy {
  /**
   * Once a connection has been online this long and the device has answered, the next loss
   * starts again from initialDelayMs. Default 10 000 ms.
   */
  resetAfterMs?: number;
}

export interface SerialTransportOptions {
  /** Names the transport in logs, e.g. `acceptor`. */
  name: string;
  path: string;
  line: LineSettings;
  /** Real bindings (`autoDetect()` from @serialport/bindings-cpp) or an in-process simulator binding. */
  binding: BindingInterface;
  /**
   * A write unanswered for this long means the device is gone (a pulled cable often leaves
   * the port itself looking healthy). 0 turns the watchdog off, for devices that never reply.
   */
  silenceTimeoutMs: number;
  reconnect: ReconnectPolicy;
  logger: Logger;
  /** One debug line per chunk in each direction. Off by default: it is loud at 9600 baud polling. */
  byteTrace?: boolean;
  /** Source of randomness for backoff jitter, in [0, 1); tests pin it. */
  random?: () => number;
}

export interface TransportCounters {
  /** Times the line came back online after having been online before. */
  reconnects: number;
  bytesIn: number;
  bytesOut: number;
}

export interface RetryInfo {
  /** 0 for the first retry after a loss or failed open, counting up while retries keep failing. */
  attempt: number;
  delayMs: number;
  reason: TransportLossReason;
}

export interface SerialTransportEvents {
  online: [];
  offline: [reason: TransportLossReason];
  data: [chunk: Buffer];
  /** A reopen has been scheduled, after a loss or after a failed open. */
  retry: [info: RetryInfo];
}

/** Errors as node-serialport flags them; never matched by message text. */
interface FlaggedError extends Error {
  disconnected?: boolean;
  canceled?: boolean;
  code?: string;
}

interface Connection {
  readonly stream: SerialPortStream;
  /** Settles once the open attempt has finished: true when the port opened. */
  readonly opened: Promise<boolean>;
  /** Resolves when the stream reports 'close'. */
  readonly closed: Promise<void>;
  openedAt: number;
}

interface PendingWrite {
  resolve: () => void;
  reject: (error: KioskError) => void;
}

const DEFAULT_RESET_AFTER_MS = 10_000;
/** A binding whose open never settles must not leave the transport 'connecting' for ever. */
const OPEN_TIMEOUT_MS = 5_000;
/** stop() must finish well inside the daemon's 2 s SIGTERM budget even if a close hangs. */
const CLOSE_BOUND_MS = 1_000;

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/**
 * A serial line to one device that keeps itself connected: it opens the port, notices when
 * the device disappears (disconnect, I/O error, or unanswered writes), and reopens with
 * exponential backoff until stopped. Writes are never queued across a loss: a command
 * replayed to a device that came back (a STACK, say) could move money.
 */
export class SerialTransport extends EventEmitter<SerialTransportEvents> {
  readonly name: string;
  readonly path: string;
  readonly line: LineSettings;

  readonly #binding: BindingInterface;
  readonly #silenceTimeoutMs: number;
  readonly #policy: BackoffPolicy;
  readonly #resetAfterMs: number;
  readonly #log: Logger;
  readonly #byteTrace: boolean;
  readonly #random: () => number;

  #state: TransportState = 'idle';
  #conn: Connection | undefined;
  /** The previous connection's close; a reopen waits for it so a locked port is free again. */
  #lastClose: Promise<void> = Promise.resolve();
  #attempt = 0;
  /** The errno (or `unknown`) of the last failed open since the line was last online: what was warned about. */
  #openFailureWarned: string | undefined;
  #everOnline = false;
  #onlineSince = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  #openTimer: NodeJS.Timeout | undefined;
  #watchdog: NodeJS.Timeout | undefined;
  /**
   * performance.now() of the first write no byte has come in since, or undefined. The watchdog
   * timer reads it when it fires instead of being re-armed on every write and cleared on every
   * answer: an idle poll then costs no timer of its own (issue 11, item 8).
   */
  #unansweredSince: number | undefined;
  readonly #pending = new Set<PendingWrite>();
  #stopping: Promise<void> | undefined;
  readonly #counters: TransportCounters = { reconnects: 0, bytesIn: 0, bytesOut: 0 };

  constructor(options: SerialTransportOptions) {
    super();
    const bad = (message: string): KioskError => new KioskError(ErrorCode.ConfigInvalid, message);
    if (typeof options !== 'object' || options === null) throw bad('transport options must be an object');
    if (typeof options.name !== 'string' || options.name === '')
      throw bad('transport name must be a non-empty string');
    const where = `transport ${options.name}`;
    if (typeof options.path !== 'string' || options.path === '') {
      throw bad(`${where}: path must be a non-empty string`);
    }
    const lineProblem = lineSettingsProblem(options.line);
    if (lineProblem) throw bad(`${where}: ${lineProblem}`);
    if (
      typeof options.binding !== 'object' ||
      options.binding === null ||
      typeof options.binding.open !== 'function'
    ) {
      throw bad(`${where}: binding must implement open()`);
    }
    const silence = options.silenceTimeoutMs;
    if (typeof silence !== 'number' || !Number.isFinite(silence) || silence < 0) {
      throw bad(`${where}: silenceTimeoutMs must be a finite number >= 0, got ${String(silence)}`);
    }
    assertBackoffPolicy(options.reconnect, `${where}: reconnect`);
    const resetAfter = options.reconnect.resetAfterMs ?? DEFAULT_RESET_AFTER_MS;
    if (typeof resetAfter !== 'number' || !Number.isFinite(resetAfter) || resetAfter < 0) {
      throw bad(`${where}: reconnect.resetAfterMs must be a finite number >= 0, got ${String(resetAfter)}`);
    }
    if (typeof options.logger !== 'object' || options.logger === null)
      throw bad(`${where}: logger is required`);
    if (options.byteTrace !== undefined && typeof options.byteTrace !== 'boolean') {
      throw bad(`${where}: byteTrace must be a boolean`);
    }
    if (options.random !== undefined && typeof options.random !== 'function') {
      throw bad(`${where}: random must be a function`);
    }

    this.name = options.name;
    this.path = options.path;
    this.line = { ...options.line };
    this.#binding = options.binding;
    this.#silenceTimeoutMs = silence;
    const { initialDelayMs, maxDelayMs, factor, jitter } = options.reconnect;
    this.#policy = { initialDelayMs, maxDelayMs, factor, jitter };
    this.#resetAfterMs = resetAfter;
    this.#log = options.logger.child({ transport: options.name, path: options.path });
    this.#byteTrace = options.byteTrace ?? false;
    this.#random = options.random ?? Math.random;
  }

  get state(): TransportState {
    return this.#state;
  }

  get counters(): Readonly<TransportCounters> {
    return { ...this.#counters };
  }

  /** Begins connecting in the background; calling it again while running does nothing. */
  start(): void {
    if (this.#state === 'stopped') {
      throw new KioskError(
        ErrorCode.TransportStopped,
        `transport ${this.name} was stopped and cannot be restarted`,
      );
    }
    if (this.#state !== 'idle') return;
    this.#connect();
  }

  /**
   * Closes the port, cancels every timer and stops reconnecting. Pending writes reject with
   * TransportStopped. Resolves once the port is closed (or after a bounded wait if the OS
   * does not answer). Does not emit `offline`: stopping is not a loss.
   */
  stop(): Promise<void> {
    if (this.#stopping) return this.#stopping;
    this.#state = 'stopped';
    this.#clearTimers();
    this.#failPending(new KioskError(ErrorCode.TransportStopped, `transport ${this.name} stopped`));
    const conn = this.#conn;
    this.#conn = undefined;
    const closing = conn ? this.#closeConnection(conn) : this.#lastClose;
    this.#stopping = closing.then(() => {
      this.#log.info('transport stopped');
    });
    return this.#stopping;
  }

  /**
   * Hands `bytes` to the OS. Rejects at once with TransportNotOpen while not online and with
   * TransportStopped after stop(): nothing is kept for a later connection.
   */
  write(bytes: Uint8Array): Promise<void> {
    if (this.#state === 'stopped') {
      return Promise.reject(new KioskError(ErrorCode.TransportStopped, `transport ${this.name} stopped`));
    }
    if (!(bytes instanceof Uint8Array)) {
      return Promise.reject(
        new KioskError(ErrorCode.TransportWriteFailed, 'write needs a Uint8Array of bytes'),
      );
    }
    if (bytes.length === 0) {
      return Promise.reject(new KioskError(ErrorCode.TransportWriteFailed, 'write needs at least one byte'));
    }
    const conn = this.#conn;
    if (this.#state !== 'online' || !conn) {
      return Promise.reject(
        new KioskError(ErrorCode.TransportNotOpen, `transport ${this.name} is ${this.#state}, not online`, {
          details: { state: this.#state },
        }),
      );
    }
    // Copy: the caller may reuse its buffer before the OS has taken the bytes.
    const chunk = Buffer.from(bytes);
    this.#trace(conn, 'tx', chunk);
    this.#armWatchdog(conn);
    return new Promise<void>((resolve, reject) => {
      const pending: PendingWrite = { resolve, reject };
      this.#pending.add(pending);
      try {
        conn.stream.write(chunk, (error) => {
          if (!this.#pending.delete(pending)) return;
          if (error) {
            const message = `write failed: ${describe(error)}`;
            reject(new KioskError(ErrorCode.TransportWriteFailed, message, { cause: error }));
            this.#lose(conn, { code: this.#classify(error, ErrorCode.TransportWriteFailed), message });
            return;
          }
          this.#counters.bytesOut += chunk.length;
          resolve();
        });
      } catch (error) {
        this.#pending.delete(pending);
        const message = `write failed: ${describe(error)}`;
        reject(new KioskError(ErrorCode.TransportWriteFailed, message, { cause: error }));
        this.#lose(conn, { code: ErrorCode.TransportWriteFailed, message });
      }
    });
  }

  #connect(): void {
    this.#retryTimer = undefined;
    if (this.#state === 'stopped') return;
    this.#state = 'connecting';
    void this.#lastClose.then(() => this.#open());
  }

  #open(): void {
    if (this.#state !== 'connecting') return;
    let stream: SerialPortStream;
    try {
      stream = new SerialPortStream({
        binding: this.#binding,
        path: this.path,
        baudRate: this.line.baudRate,
        dataBits: this.line.dataBits,
        parity: this.line.parity,
        stopBits: this.line.stopBits,
        rtscts: this.line.rtscts,
        xon: this.line.xonxoff,
        xoff: this.line.xonxoff,
        autoOpen: false,
      });
    } catch (error) {
      this.#openFailed(error);
      return;
    }
    let settleOpen!: (opened: boolean) => void;
    let markClosed!: () => void;
    const conn: Connection = {
      stream,
      opened: new Promise<boolean>((resolve) => {
        settleOpen = resolve;
      }),
      closed: new Promise<void>((resolve) => {
        markClosed = resolve;
      }),
      openedAt: 0,
    };
    this.#conn = conn;
    // Listeners stay on a stream for its whole life: a late 'error' on a stream nobody
    // listens to would crash the process.
    stream.on('error', (error: FlaggedError) => this.#onStreamError(conn, error));
    stream.on('close', (error: FlaggedError | null) => {
      markClosed();
      this.#onStreamClose(conn, error);
    });
    stream.on('end', () =>
      this.#lose(conn, { code: ErrorCode.TransportDisconnected, message: 'port reported end of input' }),
    );
    stream.on('data', (chunk: Buffer) => this.#onData(conn, chunk));

    this.#openTimer = setTimeout(() => {
      this.#openTimer = undefined;
      if (this.#conn !== conn || this.#state !== 'connecting') return;
      this.#conn = undefined;
      this.#lastClose = this.#closeConnection(conn);
      this.#openFailed(new Error(`open did not finish within ${OPEN_TIMEOUT_MS} ms`));
    }, OPEN_TIMEOUT_MS);

    stream.open((error) => {
      settleOpen(!error);
      if (this.#conn !== conn || this.#state !== 'connecting') return;
      clearTimeout(this.#openTimer);
      this.#openTimer = undefined;
      if (error) {
        this.#conn = undefined;
        this.#openFailed(error);
        return;
      }
      this.#goOnline(conn);
    });
  }

  #goOnline(conn: Connection): void {
    conn.openedAt = performance.now();
    if (this.#everOnline) this.#counters.reconnects++;
    this.#everOnline = true;
    this.#onlineSince = conn.openedAt;
    this.#state = 'online';
    this.#openFailureWarned = undefined;
    this.#log.info({ reconnects: this.#counters.reconnects }, 'transport online');
    this.#emitSafe('online');
  }

  #openFailed(error: unknown): void {
    void openFailureErrno(this.path, error).then((errno) => {
      // stop() may have come while the path was looked at.
      if (this.#state !== 'connecting') return;
      const reason: TransportLossReason = {
        code: ErrorCode.TransportOpenFailed,
        message: `cannot open ${this.path}: ${describe(error)}`,
        ...(errno === undefined ? {} : { errno }),
      };
      this.#state = 'offline';
      // A missing or wrong port must be visible, but retries every few seconds must not fill
      // the log: warn on the first failure and whenever the reason changes.
      const key = errno ?? 'unknown';
      if (key !== this.#openFailureWarned) {
        this.#openFailureWarned = key;
        this.#log.warn(
          { path: this.path, errno: key, reason },
          `cannot open serial port ${this.path} (${key}); retrying until it appears`,
        );
      } else {
        this.#log.debug({ reason }, 'open failed');
      }
      this.#scheduleRetry(reason);
    });
  }

  /** The current connection is gone: report once, drop it, and start reconnecting. */
  #lose(conn: Connection, reason: TransportLossReason): void {
    if (this.#conn !== conn || this.#state !== 'online') return;
    this.#conn = undefined;
    this.#clearWatchdog();
    this.#failPending(new KioskError(reason.code, `transport ${this.name} lost: ${reason.message}`));
    this.#lastClose = this.#closeConnection(conn);
    this.#state = 'offline';
    this.#log.warn(
      { reason, onlineMs: Math.round(performance.now() - this.#onlineSince) },
      'transport offline',
    );
    this.#emitSafe('offline', reason);
    // A listener may have stopped the transport while handling the loss.
    if (this.#state === 'offline') this.#scheduleRetry(reason);
  }

  #scheduleRetry(reason: TransportLossReason): void {
    const attempt = this.#attempt;
    const delayMs = backoffDelayMs(this.#policy, attempt, this.#random);
    this.#attempt = attempt + 1;
    this.#retryTimer = setTimeout(() => this.#connect(), delayMs);
    this.#emitSafe('retry', { attempt, delayMs, reason });
  }

  #onData(conn: Connection, chunk: Buffer): void {
    if (this.#conn !== conn || this.#state !== 'online') return;
    this.#unansweredSince = undefined;
    this.#counters.bytesIn += chunk.length;
    if (this.#attempt > 0 && performance.now() - this.#onlineSince >= this.#resetAfterMs) this.#attempt = 0;
    this.#trace(conn, 'rx', chunk);
    this.#emitSafe('data', chunk);
  }

  #onStreamError(conn: Connection, error: FlaggedError): void {
    // A canceled read or write is the echo of our own close, not a fault.
    if (error?.canceled) return;
    if (this.#conn !== conn || this.#state !== 'online') {
      this.#log.debug({ err: error }, 'error on a connection no longer in use');
      return;
    }
    this.#lose(conn, {
      code: this.#classify(error, ErrorCode.TransportDisconnected),
      message: describe(error),
    });
  }

  #onStreamClose(conn: Connection, error: FlaggedError | null): void {
    if (this.#conn !== conn) return;
    const message = error?.disconnected
      ? `device disconnected: ${error.message}`
      : 'port closed unexpectedly';
    this.#lose(conn, { code: ErrorCode.TransportDisconnected, message });
  }

  #classify(error: unknown, fallback: ErrorCode): ErrorCode {
    const flagged = error as FlaggedError | undefined;
    if (flagged?.disconnected) return ErrorCode.TransportDisconnected;
    return fallback;
  }

  #armWatchdog(conn: Connection): void {
    if (this.#silenceTimeoutMs === 0) return;
    this.#unansweredSince ??= performance.now();
    if (!this.#watchdog) this.#watchAfter(conn, this.#silenceTimeoutMs);
  }

  /** Checks after `ms` whether the oldest unanswered write has waited the silence timeout. */
  #watchAfter(conn: Connection, ms: number): void {
    const timeoutMs = this.#silenceTimeoutMs;
    this.#watchdog = setTimeout(() => {
      this.#watchdog = undefined;
      const since = this.#unansweredSince;
      if (since === undefined || this.#conn !== conn) return;
      const waited = performance.now() - since;
      if (waited < timeoutMs) {
        this.#watchAfter(conn, timeoutMs - waited);
        return;
      }
      this.#lose(conn, {
        code: ErrorCode.TransportSilence,
        message: `no byte received within ${timeoutMs} ms after a write`,
      });
    }, ms);
  }

  #clearWatchdog(): void {
    if (this.#watchdog) clearTimeout(this.#watchdog);
    this.#watchdog = undefined;
    this.#unansweredSince = undefined;
  }

  #clearTimers(): void {
    this.#clearWatchdog();
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    if (this.#openTimer) clearTimeout(this.#openTimer);
    this.#openTimer = undefined;
  }

  #failPending(error: KioskError): void {
    const pending = [...this.#pending];
    this.#pending.clear();
    for (const write of pending) write.reject(error);
  }

  /** Closes a connection's port, waiting for an open still in flight; never rejects, never hangs. */
  #closeConnection(conn: Connection): Promise<void> {
    const work = (async () => {
      if (!(await conn.opened)) return;
      const { stream } = conn;
      if (stream.isOpen) {
        await new Promise<void>((resolve) => stream.close(() => resolve()));
      } else if (stream.closing) {
        await conn.closed;
      }
    })().catch((error: unknown) => {
      this.#log.warn({ err: error }, 'closing the port failed');
    });
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.#log.warn({ boundMs: CLOSE_BOUND_MS }, 'port did not close in time; continuing');
        resolve();
      }, CLOSE_BOUND_MS);
      void work.then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  #trace(conn: Connection, dir: TraceDirection, bytes: Buffer): void {
    if (!this.#byteTrace || !this.#log.isLevelEnabled('debug')) return;
    this.#log.debug(traceEntry(dir, bytes, performance.now() - conn.openedAt), 'bytes');
  }

  #emitSafe<K extends keyof SerialTransportEvents>(event: K, ...args: SerialTransportEvents[K]): void {
    emitSafely(this, this.#log, 'transport', event, ...args);
  }
}
