import { z } from 'zod';
import { byteTimeMs, type LineSettings } from '../../core/line-settings.js';
import { parseControl } from './control-parse.js';
import { Prng } from './prng.js';

export type LineDirection = 'toHost' | 'toDevice';

export interface LineFaults {
  /** Probability per chunk that one random bit of one random byte flips. */
  corruptRate: number;
  /** Probability per chunk that the whole chunk vanishes. */
  dropRate: number;
  /** Extra delay added to every chunk, both directions (a slow USB adapter, a long cable run). */
  latencyMs: number;
}

export interface SimLineOptions {
  line: LineSettings;
  /** PRNG seed for faults; the same seed and traffic give the same faults. Random when omitted. */
  seed?: number;
  /** Pace bytes at the line's byte time. Off in tests that only care about content. */
  wireTime?: boolean;
  faults?: Partial<LineFaults>;
}

/** One chunk as it comes out of the far end of the line. */
export interface LineDelivery {
  bytes: Uint8Array;
  /** Clock time at which the last byte has arrived. */
  at: number;
  corrupted: boolean;
}

export interface SimLineSnapshot extends LineFaults {
  seed: number;
  wireTime: boolean;
  corruptedChunks: number;
  droppedChunks: number;
}

const faultsSchema = z.strictObject({
  corruptRate: z.number().min(0).max(1).optional(),
  dropRate: z.number().min(0).max(1).optional(),
  latencyMs: z.number().min(0).max(60_000).optional(),
  wireTime: z.boolean().optional(),
});

export type LineFaultsUpdate = z.output<typeof faultsSchema>;

/**
 * The wire between host and device. Each direction is a UART transmitter that sends one byte
 * per byte time, so a chunk cannot start before the previous one in the same direction has
 * finished; noise may eat or damage a chunk but never reorders chunks. Pure: the caller says
 * what time it is, and schedules the deliveries this returns.
 */
export class SimLine {
  readonly line: LineSettings;
  readonly seed: number;
  private readonly prng: Prng;
  private readonly byteMs: number;
  private wireTime: boolean;
  private faults: LineFaults;
  private readonly busyUntil: Record<LineDirection, number> = { toHost: -Infinity, toDevice: -Infinity };
  private readonly lastDelivery: Record<LineDirection, number> = { toHost: -Infinity, toDevice: -Infinity };
  private corruptedChunks = 0;
  private droppedChunks = 0;

  constructor(options: SimLineOptions) {
    this.line = options.line;
    this.byteMs = byteTimeMs(options.line);
    this.seed = options.seed ?? Math.floor(Math.random() * 2 ** 32);
    this.prng = new Prng(this.seed);
    this.wireTime = options.wireTime ?? true;
    this.faults = { corruptRate: 0, dropRate: 0, latencyMs: 0 };
    if (options.faults) this.configure(options.faults);
  }

  /**
   * Changes faults (and wire pacing) at run time. Validates everything before changing
   * anything: a bad field throws SimBadControl naming it and leaves the line as it was.
   */
  configure(update: unknown): SimLineSnapshot {
    const parsed = parseControl(faultsSchema, update, 'line settings');
    const { wireTime, ...faults } = parsed;
    for (const [key, value] of Object.entries(faults)) {
      if (value !== undefined) this.faults[key as keyof LineFaults] = value;
    }
    if (wireTime !== undefined) this.wireTime = wireTime;
    return this.snapshot();
  }

  /**
   * Puts `chunk` on the wire at `now`. Returns what arrives and when, or undefined when noise
   * ate it. A dropped chunk still occupied the wire: the transmitter sent it.
   */
  transmit(direction: LineDirection, chunk: Uint8Array, now: number): LineDelivery | undefined {
    const start = Math.max(now, this.busyUntil[direction]);
    const end = this.wireTime ? start + chunk.length * this.byteMs : start;
    this.busyUntil[direction] = end;

    if (this.faults.dropRate > 0 && this.prng.next() < this.faults.dropRate) {
      this.droppedChunks++;
      return undefined;
    }
    let bytes = chunk;
    let corrupted = false;
    if (chunk.length > 0 && this.faults.corruptRate > 0 && this.prng.next() < this.faults.corruptRate) {
      bytes = Uint8Array.from(chunk);
      const index = this.prng.below(bytes.length);
      bytes[index] = (bytes[index] ?? 0) ^ (1 << this.prng.below(this.line.dataBits));
      corrupted = true;
      this.corruptedChunks++;
    }
    // Latency may shrink at run time; a later chunk must still not overtake an earlier one.
    const at = Math.max(end + this.faults.latencyMs, this.lastDelivery[direction]);
    this.lastDelivery[direction] = at;
    return { bytes, at, corrupted };
  }

  /** Forget what is on the wire (the cable was pulled): the next chunk starts on an idle line. */
  idle(): void {
    this.busyUntil.toHost = this.busyUntil.toDevice = -Infinity;
    this.lastDelivery.toHost = this.lastDelivery.toDevice = -Infinity;
  }

  snapshot(): SimLineSnapshot {
    return {
      ...this.faults,
      seed: this.seed,
      wireTime: this.wireTime,
      corruptedChunks: this.corruptedChunks,
      droppedChunks: this.droppedChunks,
    };
  }
}
