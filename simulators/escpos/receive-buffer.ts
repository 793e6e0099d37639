import { LF, XOFF, XON } from '../../devices/printer/escpos/codec/index.js';

export type FlowSignal = typeof XON | typeof XOFF;

export interface ReceiveBufferStats {
  bytesIn: number;
  /** Bytes that arrived with the buffer full: a host that ignored XOFF loses them, as on a real printer. */
  overflowedBytes: number;
  xoffSent: number;
  xonSent: number;
}

/**
 * The printer's receive buffer: bytes wait here until the mechanism takes them. With room for
 * at most `xoffAtFree` more bytes it asks the host to stop (XOFF) and, once `xonAtFree` bytes
 * are free again, to go on (XON). A hold (`xoff.hold`) keeps the host stopped regardless.
 * Bytes beyond the capacity are dropped and counted: the buffer never grows.
 */
export class ReceiveBuffer {
  private chunks: Uint8Array[] = [];
  private head = 0;
  private held = 0;
  private stopped = false;
  private holds = 0;
  private readonly counters: ReceiveBufferStats = { bytesIn: 0, overflowedBytes: 0, xoffSent: 0, xonSent: 0 };

  constructor(
    readonly capacity: number,
    private readonly xoffAtFree: number,
    private readonly xonAtFree: number,
  ) {}

  get length(): number {
    return this.held;
  }

  get free(): number {
    return this.capacity - this.held;
  }

  /** Whether the host was last told XOFF. */
  get xoff(): boolean {
    return this.stopped;
  }

  get stats(): ReceiveBufferStats {
    return { ...this.counters };
  }

  /** Stores what fits; returns the flow signal to send now, if any. */
  push(bytes: Uint8Array): FlowSignal | undefined {
    this.counters.bytesIn += bytes.length;
    const fits = Math.min(bytes.length, this.free);
    this.counters.overflowedBytes += bytes.length - fits;
    if (fits > 0) {
      this.chunks.push(bytes.slice(0, fits));
      this.held += fits;
    }
    return this.signal();
  }

  /**
   * Takes up to `max` bytes for the mechanism, stopping after the first LF so one line at a
   * time leaves the buffer (a printer's line buffer holds one line). Returns the bytes and the
   * flow signal their leaving makes due.
   */
  takeLine(max: number): { bytes: Uint8Array; signal: FlowSignal | undefined } {
    const out: number[] = [];
    while (out.length < max && this.chunks.length > 0) {
      const chunk = this.chunks[0]!;
      const byte = chunk[this.head++]!;
      out.push(byte);
      if (this.head >= chunk.length) {
        this.chunks.shift();
        this.head = 0;
      }
      if (byte === LF) break;
    }
    this.held -= out.length;
    return { bytes: Uint8Array.from(out), signal: this.signal() };
  }

  /** Power loss: the buffer is RAM. Also forgets that XOFF was sent: the host sees a fresh printer. */
  clear(): void {
    this.chunks = [];
    this.head = 0;
    this.held = 0;
    this.stopped = false;
    this.holds = 0;
  }

  /** Empties the buffer on the host's order; says XON if the host was stopped for want of room. */
  discard(): FlowSignal | undefined {
    this.chunks = [];
    this.head = 0;
    this.held = 0;
    return this.signal();
  }

  /** Keeps the host stopped until {@link release}; returns XOFF when it was not stopped already. */
  hold(): FlowSignal | undefined {
    this.holds++;
    return this.signal();
  }

  release(): FlowSignal | undefined {
    if (this.holds > 0) this.holds--;
    return this.signal();
  }

  private signal(): FlowSignal | undefined {
    if (!this.stopped && (this.holds > 0 || this.free <= this.xoffAtFree)) {
      this.stopped = true;
      this.counters.xoffSent++;
      return XOFF;
    }
    if (this.stopped && this.holds === 0 && this.free >= this.xonAtFree) {
      this.stopped = false;
      this.counters.xonSent++;
      return XON;
    }
    return undefined;
  }
}
