import { type Clock, realClock } from '../../../core/clock.js';
import type { PrintFailureReason } from '../printer-status.js';
import type { FlowState } from './printer-line.js';

/** What a job needs of the line and the driver. */
export interface PrintJobPort {
  flow(): FlowState;
  /** Resolves once the port took the bytes; rejects when the line is gone. */
  write(bytes: Uint8Array, what: string): Promise<unknown>;
  /** Reads the printer's status; the driver fails the job if it shows a fault. */
  checkStatus(): Promise<void>;
}

export interface PrintJobOptions {
  /** Names the job in writes and logs (`print job 3`). */
  name: string;
  bytes: Uint8Array;
  /** Offsets just past each printed line's LF (from the encoder). */
  lineEnds: readonly number[];
  chunkBytes: number;
  /** Wire time of one byte at the line's settings. */
  byteTimeMs: number;
  /** Mechanism time each chunk adds (mechanism.ts), same length as the chunks. */
  mechanismMs: (chunks: readonly Uint8Array[]) => number[];
  stallTimeoutMs: number;
  statusIntervalMs: number;
  port: PrintJobPort;
  clock?: Clock;
}

export interface JobFailure {
  reason: PrintFailureReason;
  /** Lines whose bytes had been handed to the port when the job stopped. */
  linesSent: number;
  cause?: unknown;
}

/** Thrown out of run() with what the job knew when it stopped. */
export class JobStopped extends Error {
  constructor(readonly failure: JobFailure) {
    super(`job stopped: ${failure.reason}`);
  }
}

/** Allowance over the mechanism's nominal time before the final status read. */
const FINISH_MARGIN = 0.03;
const FINISH_MARGIN_MS = 40;

function splitChunks(bytes: Uint8Array, size: number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
  return chunks;
}

/**
 * One receipt on its way to paper. Bytes go out in chunks paced at the wire's speed (never more
 * than one chunk ahead, so little waits in OS buffers when the printer says XOFF), never while the
 * printer holds XOFF, with a status read at least every statusIntervalMs. Once everything is sent
 * it waits until the mechanism must have printed and cut it all, then reads the status once more.
 * The driver calls fail() when the printer reports a fault or the line goes; the job never writes
 * again after that, and nothing of it is ever resent.
 */
export class PrintJob {
  readonly #o: PrintJobOptions;
  readonly #clock: Clock;
  /** Bytes handed to the port: once written they may reach the printer, whatever comes next. */
  #taken = 0;
  #failure: Omit<JobFailure, 'linesSent'> | undefined;
  #wake: (() => void) | undefined;

  constructor(options: PrintJobOptions) {
    this.#o = options;
    this.#clock = options.clock ?? realClock;
  }

  /** Printed lines whose bytes were handed to the port. */
  get linesSent(): number {
    let lines = 0;
    for (const end of this.#o.lineEnds) if (end <= this.#taken) lines++;
    return lines;
  }

  get bytesTaken(): number {
    return this.#taken;
  }

  /** Stops the job at its next step (or at once, if it is waiting); the first reason stays. */
  fail(reason: PrintFailureReason, cause?: unknown): void {
    this.#failure ??= { reason, ...(cause === undefined ? {} : { cause }) };
    this.#wakeUp();
  }

  /** XON or XOFF came: a job waiting on the printer's buffer looks again. */
  flowChanged(): void {
    this.#wakeUp();
  }

  /** Resolves with the number of printed lines; throws JobStopped. */
  async run(): Promise<number> {
    const o = this.#o;
    const now = (): number => this.#clock.now();
    const chunks = splitChunks(o.bytes, o.chunkBytes);
    const mechanism = o.mechanismMs(chunks);
    const started = now();
    let lastProgress = started;
    let lastStatus = now();
    let wireFreeAt = now();
    let mechanismFreeAt = now();
    for (let i = 0; i < chunks.length; ) {
      this.#check();
      const t = now();
      if (t - lastProgress >= o.stallTimeoutMs) this.fail('timeout');
      else if (o.port.flow() === 'xoff') await this.#sleep(lastProgress + o.stallTimeoutMs - t);
      else if (t - lastStatus >= o.statusIntervalMs) {
        await this.#checkStatus();
        lastStatus = now();
      } else if (wireFreeAt - t > chunks[i]!.length * o.byteTimeMs) {
        await this.#sleep(wireFreeAt - t - chunks[i]!.length * o.byteTimeMs);
      } else {
        const chunk = chunks[i]!;
        const from = i * o.chunkBytes;
        this.#taken = from + chunk.length;
        try {
          await o.port.write(chunk, `${o.name} bytes ${from}-${from + chunk.length}`);
        } catch (error) {
          this.fail('offline', error);
          continue;
        }
        lastProgress = now();
        wireFreeAt = Math.max(wireFreeAt, lastProgress) + chunk.length * o.byteTimeMs;
        // A line prints once its bytes are in; the mechanism runs one item at a time.
        mechanismFreeAt = Math.max(mechanismFreeAt, wireFreeAt) + mechanism[i]!;
        i++;
      }
    }
    // The model is the printer's nominal speed; a real one (or a busy simulator host) runs a
    // little late, and a verdict before the cut would miss a jam.
    const doneAt = mechanismFreeAt + (mechanismFreeAt - started) * FINISH_MARGIN + FINISH_MARGIN_MS;
    for (;;) {
      this.#check();
      const t = now();
      if (t >= doneAt) break;
      if (t - lastStatus >= o.statusIntervalMs) {
        await this.#checkStatus();
        lastStatus = now();
      } else {
        await this.#sleep(Math.min(doneAt - t, lastStatus + o.statusIntervalMs - t));
      }
    }
    // The verdict needs an answer: a printer that cannot say it has no error has not printed.
    try {
      await o.port.checkStatus();
    } catch (error) {
      this.fail('timeout', error);
    }
    this.#check();
    return o.lineEnds.length;
  }

  #check(): void {
    if (this.#failure) throw new JobStopped({ ...this.#failure, linesSent: this.linesSent });
  }

  /** A status read that goes unanswered is not a verdict: the stall timeout and the line decide. */
  async #checkStatus(): Promise<void> {
    try {
      await this.#o.port.checkStatus();
    } catch {
      // The driver has logged it; a job whose printer never answers again fails by the stall rule.
    }
  }

  #sleep(ms: number): Promise<void> {
    if (this.#failure) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = this.#clock.setTimer(() => this.#wakeUp(), Math.max(1, ms));
      this.#wake = () => {
        timer.cancel();
        this.#wake = undefined;
        resolve();
      };
    });
  }

  #wakeUp(): void {
    this.#wake?.();
  }
}
