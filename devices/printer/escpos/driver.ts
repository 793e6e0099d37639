import { EventEmitter } from 'node:events';
import { type Clock, realClock } from '../../../core/clock.js';
import { ErrorCode, KioskError } from '../../../core/errors.js';
import { byteTimeMs } from '../../../core/line-settings.js';
import type { Logger } from '../../../core/logger.js';
import { emitSafely } from '../../../core/safe-emitter.js';
import type { DeviceIdentity } from '../../device-status.js';
import { PolledSession } from '../../transport/polled-session.js';
import type { SerialTransport, TransportLossReason } from '../../transport/serial-transport.js';
import { TransportFollower } from '../../transport/transport-follower.js';
import type { PrintFailedError as PrintFailedErrorType } from '../print-failed-error.js';
import { PrintFailedError } from '../print-failed-error.js';
import type { PrinterEvents, PrintOutcome } from '../printer.js';
import type { PrinterDocument } from '../printer-document.js';
import {
  type PrinterCondition,
  type PrinterStatus,
  type PrintFailureReason,
  printerStatusOf,
} from '../printer-status.js';
import { CLEAR_BUFFERS, encodeDocumentWithLineEnds } from './codec/index.js';
import { jobStoppingFault } from './condition.js';
import { ConditionByArrival } from './condition-by-arrival.js';
import { type EscPosDriverOptions, resolveEscPosDriverOptions } from './driver-options.js';
import { mechanismMsPerChunk } from './mechanism.js';
import { JobStopped, PrintJob } from './print-job.js';
import { PrinterLine } from './printer-line.js';
import {
  checkAsbHeard,
  newPrinterSession,
  type PrinterSession as Session,
  setUpAgain,
  setUpPrinter,
} from './printer-session.js';

export interface EscPosDriverConfig {
  name: string;
  transport: SerialTransport;
  logger: Logger;
  options: EscPosDriverOptions;
  clock?: Clock;
}

export interface EscPosDriverCounters {
  jobs: number;
  printed: number;
  failed: number;
  polls: number;
}

/** About 40 ms of wire per chunk: a job reacts to XOFF within a chunk or two at any rate. */
const CHUNK_WIRE_MS = 40;
const CHUNK_MIN_BYTES = 16;
const CHUNK_MAX_BYTES = 512;

/**
 * The ESC/POS printer on its serial line. Each connection starts with `ESC @`, Automatic Status
 * Back on, and `DLE EOT 1–4`; then a slow status poll runs beside ASB, in case ASB is off or a
 * message is lost. Jobs run one at a time (PrintJob); a job cut short by a fault or a lost line
 * fails with how far it got and is never resent.
 */
export class EscPosDriver extends EventEmitter<PrinterEvents> {
  readonly name: string;
  readonly #transport: SerialTransport;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #opts: Required<EscPosDriverOptions>;
  readonly #line: PrinterLine;
  readonly #sessions: PolledSession<void, Session>;
  readonly #chunkBytes: number;
  readonly #byteTimeMs: number;
  readonly #condition = new ConditionByArrival();
  #status: PrinterStatus = { state: 'starting', paper: 'ok' };
  #statusKey = '';
  #job: PrintJob | undefined;
  #jobs: Promise<unknown> = Promise.resolve();
  readonly #counters: EscPosDriverCounters = { jobs: 0, printed: 0, failed: 0, polls: 0 };
  readonly #follower: TransportFollower;

  constructor(config: EscPosDriverConfig) {
    super();
    this.name = config.name;
    this.#transport = config.transport;
    this.#follower = new TransportFollower(config.transport, `printer ${config.name}`, {
      online: () => this.#beginSession(),
      offline: (reason: TransportLossReason) => {
        this.#sessions.end(
          new KioskError(ErrorCode.DeviceOffline, `printer ${this.name} is offline: ${reason.message}`, {
            details: { device: this.name, transportCode: reason.code },
          }),
        );
        this.#setStatus({ state: 'offline', paper: this.#status.paper });
      },
      noDevice: (errno) => this.#setStatus({ state: 'noDevice', reason: errno, paper: this.#status.paper }),
    });
    this.#log = config.logger.child({ device: config.name, protocol: 'escpos' });
    this.#clock = config.clock ?? realClock;
    const o = resolveEscPosDriverOptions(config.options);
    this.#opts = o;
    this.#byteTimeMs = byteTimeMs(config.transport.line);
    this.#chunkBytes = Math.min(
      CHUNK_MAX_BYTES,
      Math.max(CHUNK_MIN_BYTES, Math.round(CHUNK_WIRE_MS / this.#byteTimeMs)),
    );
    this.#line = new PrinterLine({
      port: config.transport,
      name: config.name,
      answerTimeoutMs: o.answerTimeoutMs,
      logger: this.#log,
      onAsb: (condition, arrival) => {
        const session = this.#sessions.latest;
        if (session?.active) session.asbConfirmed = true;
        this.#applyCondition(condition, arrival);
      },
      onFlow: (flow) => {
        this.#log.debug({ flow }, 'printer flow control');
        this.#job?.flowChanged();
      },
    });
    this.#sessions = new PolledSession({
      device: {
        begin: (id) => this.#newSession(id),
        end: (_session, error) => {
          this.#line.close(error);
          this.#job?.fail('offline', error);
        },
        poll: () => this.#poll(),
        // Each reply was applied as it came (see #readCondition).
        handle: async () => undefined,
        noAnswer: (error) => {
          this.#log.warn({ err: error }, 'printer does not answer status queries');
          this.#setStatus({ state: 'offline', reason: 'noAnswer', paper: this.#status.paper });
          this.#follower.settleStart();
        },
        answersAgain: (silentMs) => {
          this.#log.info({ silentMs: Math.round(silentMs) }, 'printer answers again');
          // A silence short of the line's watchdog may have been a power cycle, which turns ASB off.
          const session = this.#sessions.latest;
          if (session?.active) setUpAgain(session);
        },
      },
      clock: this.#clock,
      pollIntervalMs: o.statusPollIntervalMs,
      logger: this.#log,
    });
  }

  get status(): PrinterStatus {
    return { ...this.#status };
  }

  get counters(): Readonly<Record<string, number>> {
    return { ...this.#line.stats, ...this.#counters };
  }

  /** Follows the transport; resolves once the printer's status is known, it stopped answering, or stop(). */
  start(): Promise<void> {
    return this.#follower.start();
  }

  /** Stops polling; a job still running fails `offline`. Does not stop the transport (its owner does). */
  async stop(): Promise<void> {
    if (!this.#follower.stop()) return;
    this.#sessions.end(new KioskError(ErrorCode.DeviceOffline, `printer ${this.name} stopped`));
  }

  /** After the jobs before it: `ESC @` (clears the print buffer and modes), ASB on again, a fresh status. */
  reset(): Promise<void> {
    const run = this.#jobs.then(() => this.#resetNow());
    this.#jobs = run.catch(() => undefined);
    return run;
  }

  async #resetNow(): Promise<void> {
    const session = this.#requireSession();
    setUpAgain(session);
    await this.#setUp(session);
    await this.#readCondition();
  }

  /**
   * ESC/POS's `GS I` identity replies share their bit pattern with ASB bytes, so this driver
   * does not ask; the identity is the protocol and the line.
   */
  async readIdentity(): Promise<DeviceIdentity> {
    return { model: `ESC/POS printer at ${this.#transport.line.baudRate} baud`, firmware: 'not reported' };
  }

  print(document: PrinterDocument): Promise<PrintOutcome> {
    const run = this.#jobs.then(() => this.#print(document));
    this.#jobs = run.catch(() => undefined);
    return run;
  }

  // ── jobs ─────────────────────────────────────────────────────────────────────────────────

  async #print(document: PrinterDocument): Promise<PrintOutcome> {
    const started = this.#clock.now();
    // A document the codec refuses is the caller's error (DeviceBadArgument), not a printer fault.
    const encoded = encodeDocumentWithLineEnds(document, { columns: this.#opts.columns });
    const id = ++this.#counters.jobs;
    const name = `print job ${id}`;
    const failed = (
      reason: PrintFailureReason,
      linesPrinted: number,
      cause?: unknown,
    ): PrintFailedErrorType => {
      this.#counters.failed++;
      const error = new PrintFailedError(this.name, { reason, linesPrinted, cut: false }, cause);
      this.#log.warn({ job: id, failure: error.failure }, 'print job failed');
      return error;
    };
    const session = this.#sessions.latest;
    if (!session?.active || this.#follower.stopped) throw failed('offline', 0);
    try {
      await this.#readConditionForJob();
    } catch (error) {
      throw failed(session.active ? 'timeout' : 'offline', 0, error);
    }
    const known = this.#condition.current;
    const fault = known ? jobStoppingFault(known) : undefined;
    if (fault) throw failed(fault, 0);
    if (!session.active) throw failed('offline', 0);
    const job = new PrintJob({
      name,
      bytes: encoded.bytes,
      lineEnds: encoded.lineEnds,
      chunkBytes: this.#chunkBytes,
      byteTimeMs: this.#byteTimeMs,
      mechanismMs: (chunks) => mechanismMsPerChunk(chunks, this.#opts.geometry, this.#opts.columns),
      stallTimeoutMs: this.#opts.jobStallTimeoutMs,
      statusIntervalMs: this.#opts.jobStatusIntervalMs,
      clock: this.#clock,
      port: {
        flow: () => this.#line.flow,
        write: (bytes, what) => this.#line.write(bytes, what),
        checkStatus: () => this.#readConditionForJob(),
      },
    });
    this.#job = job;
    this.#log.info({ job: id, bytes: encoded.bytes.length, lines: encoded.lineEnds.length }, 'printing');
    try {
      const linesPrinted = await job.run();
      this.#counters.printed++;
      const paper = this.#status.paper;
      const outcome: PrintOutcome = {
        linesPrinted,
        cut: true,
        paper,
        warnings: paper === 'nearEnd' ? ['paperNearEnd'] : [],
        durationMs: this.#clock.now() - started,
      };
      this.#log.info({ job: id, durationMs: Math.round(outcome.durationMs), paper }, 'printed and cut');
      return outcome;
    } catch (error) {
      if (error instanceof JobStopped) {
        await this.#dropTail(id);
        throw failed(error.failure.reason, error.failure.linesSent, error.failure.cause);
      }
      throw error;
    } finally {
      this.#job = undefined;
    }
  }

  /**
   * A failed job's lines the printer took and has not printed would come out once the paper or
   * cover is back, ahead of the next receipt: half a receipt printed blindly. Clearing the
   * buffers stops that; on a lost line, the next connection's setup does it.
   */
  async #dropTail(job: number): Promise<void> {
    if (!this.#sessions.latest?.active) return;
    try {
      await this.#line.write(CLEAR_BUFFERS, 'DLE DC4 8');
    } catch (error) {
      this.#log.warn({ err: error, job }, 'could not clear the printer buffers after a failed job');
    }
  }

  // ── sessions and status ──────────────────────────────────────────────────────────────────

  #requireSession(): Session {
    const session = this.#sessions.latest;
    if (!session?.active) {
      throw new KioskError(
        ErrorCode.DeviceOffline,
        `printer ${this.name} is ${this.#follower.stopped ? 'stopped' : 'offline'}`,
        { details: { device: this.name } },
      );
    }
    return session;
  }

  #beginSession(): void {
    if (!this.#follower.following) return;
    this.#sessions.begin(() => new KioskError(ErrorCode.DeviceOffline, `printer ${this.name} line reopened`));
  }

  #newSession(id: number): Session {
    this.#line.open();
    // What the printer said on the last connection may no longer hold (paper loaded meanwhile).
    this.#condition.reset();
    if (this.#status.state === 'offline' || this.#status.state === 'noDevice') {
      this.#setStatus({ state: 'starting', paper: this.#status.paper });
    }
    this.#log.info({ session: id }, 'line online: setting up the printer');
    return newPrinterSession(id);
  }

  /** `ESC @` would reset a running job's print modes: a pending setup waits for the job to end. */
  async #setUp(session: Session): Promise<void> {
    if (this.#job) return;
    await setUpPrinter(session, (bytes, what) => this.#line.write(bytes, what), this.#clock.now());
  }

  async #poll(): Promise<void> {
    this.#counters.polls++;
    const session = this.#sessions.latest;
    if (session) await this.#setUp(session);
    await this.#readCondition();
    if (session?.active) checkAsbHeard(session, this.#clock.now(), this.#opts.answerTimeoutMs, this.#log);
    // Started once all four replies are in: an ASB message alone may come before the setup's.
    this.#follower.settleStart();
  }

  #readCondition(): Promise<void> {
    return this.#line.readCondition((part, arrival) => this.#applyCondition(part, arrival));
  }

  /**
   * A job's verdicts rest on these reads, so one lost reply (line noise, a busy host) is asked
   * again once before the job calls the printer silent.
   */
  async #readConditionForJob(): Promise<void> {
    try {
      await this.#readCondition();
    } catch (error) {
      if (!(error instanceof KioskError) || error.code !== ErrorCode.DeviceTimeout) throw error;
      this.#log.debug({ err: error }, 'status read for a job unanswered; asking again');
      await this.#readCondition();
    }
  }

  /** What one frame said, numbered by its arrival (see ConditionByArrival). */
  #applyCondition(part: Partial<PrinterCondition>, arrival: number): void {
    const condition = this.#condition.apply(part, arrival);
    this.#setStatus(printerStatusOf(condition));
    const fault = jobStoppingFault(condition);
    if (fault) this.#job?.fail(fault);
  }

  #setStatus(status: PrinterStatus): void {
    const key = JSON.stringify(status);
    this.#status = status;
    if (key === this.#statusKey) return;
    this.#statusKey = key;
    this.#log.info({ status }, 'printer status');
    emitSafely(this, this.#log, 'printer', 'status', { ...status });
  }
}
