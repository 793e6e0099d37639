import { type PrintedItem, PrintStreamDecoder, XON } from '../../devices/printer/escpos/codec/index.js';
import type { EscPosModelConfig } from './options.js';
import { qrHeightMm } from './qr-size.js';
import { type FlowSignal, ReceiveBuffer } from './receive-buffer.js';
import { asbMessage, asbWatchedBits, type PrinterSensors } from './status-reply.js';
import { travelMs } from './timing.js';
import { VirtualPaper } from './virtual-paper.js';

/** Most bytes the mechanism takes from the receive buffer at once (it stops earlier at an LF). */
const TAKE_BYTES = 64;

type Motion = Extract<PrintedItem, { kind: 'line' | 'feed' | 'qr' | 'cut' }>;

interface InMotion {
  item: Motion;
  /** Paper it moves. */
  mm: number;
  doneAt: number;
}

export interface PrinterUnitCounters {
  linesPrinted: number;
  qrPrinted: number;
  cuts: number;
  cutterJams: number;
  asbSent: number;
}

/**
 * The printer's mechanism and sensors: a paper roll, a cover, a cutter, the receive buffer the
 * mechanism drains line by line through the codec's print-stream decoder, and the status the
 * sensors give. Time moves only through `settle(now)`; what the printer transmits of its own
 * accord (ASB, XON/XOFF) goes to `transmit` stamped with the instant it became due.
 *
 * When the printer goes offline (cover open, paper end, cutter jam, FEED button, the offline
 * switch) it stops before the next line: what is printed stays on the paper, and everything not
 * yet printed stays in the receive buffer and prints once the cause is gone. That is what Epson's
 * TM printers do, and it is the honest choice for a simulator: a driver that does not want
 * the rest of a failed receipt printed later clears the buffers (`DLE DC4 8`), as it must with
 * real hardware.
 */
export class PrinterUnit {
  now: number;
  powered = true;
  bootUntil: number | undefined;
  coverOpen = false;
  paperRemainingMm: number;
  /** `paper.outAfter`: text lines still to print before the roll ends. */
  linesUntilEnd: number | undefined;
  cutterJammed = false;
  /** `cutter.jam`: the next cut jams. */
  jamArmed = false;
  /** The panel's (or a fault's) offline, independent of the sensors. */
  offlineSwitch = false;
  /** `button.feed`: when the FEED button is let go. */
  buttonFeedUntil: number | undefined;
  /** `xoff.hold`: when the held XOFF ends. */
  holdUntil: number | undefined;
  /** `GS a n`: which changes push an ASB message; 0 is off (the power-on value). */
  asbEnabled = 0;

  readonly buffer: ReceiveBuffer;
  readonly paper: VirtualPaper;
  readonly counters: PrinterUnitCounters = {
    linesPrinted: 0,
    qrPrinted: 0,
    cuts: 0,
    cutterJams: 0,
    asbSent: 0,
  };

  private decoder: PrintStreamDecoder;
  private jobs: PrintedItem[] = [];
  private motion: InMotion | undefined;
  private asbWatched = 0;

  constructor(
    private readonly config: EscPosModelConfig,
    now: number,
    private readonly transmit: (bytes: Uint8Array, at: number) => void,
  ) {
    this.now = now;
    this.paperRemainingMm = config.paperLengthMm;
    this.buffer = new ReceiveBuffer(config.bufferBytes, config.xoffAtFree, config.xonAtFree);
    this.paper = new VirtualPaper(config.maxReceipts);
    this.decoder = this.newDecoder();
  }

  /** Whether the printer takes bytes and answers: powered and booted. */
  get ready(): boolean {
    return this.powered && this.bootUntil === undefined;
  }

  get sensors(): PrinterSensors {
    const paperEnd = this.paperRemainingMm <= 0;
    const feeding = this.buttonFeedUntil !== undefined;
    return {
      offline:
        !this.ready || this.coverOpen || paperEnd || this.cutterJammed || this.offlineSwitch || feeding,
      coverOpen: this.coverOpen,
      feedingByButton: feeding,
      paperNearEnd: this.paperRemainingMm <= this.config.nearEndMm,
      paperEnd,
      cutterError: this.cutterJammed,
      waitingForRecovery: this.cutterJammed,
    };
  }

  /** Bytes received and not yet printed, plus the line being printed. */
  get busy(): boolean {
    return this.motion !== undefined || this.jobs.length > 0 || this.buffer.length > 0;
  }

  /** Runs every event due by `now` in time order. */
  settle(now: number): void {
    // Whatever can start at the present instant starts before time moves on to the next event.
    for (;;) {
      if (!this.startNext()) {
        const next = this.nextEvent();
        if (next === undefined || next > now) break;
        this.now = Math.max(this.now, next);
        this.runEvent();
      }
      this.checkAsb();
    }
    this.now = Math.max(this.now, now);
  }

  /** The earliest time something happens without new input. */
  nextEvent(): number | undefined {
    if (!this.powered) return undefined;
    if (this.bootUntil !== undefined) return this.bootUntil;
    const times = [this.motion?.doneAt, this.holdUntil, this.buttonFeedUntil].filter(
      (t): t is number => t !== undefined,
    );
    return times.length === 0 ? undefined : Math.min(...times);
  }

  /** Bytes for the buffer (queries already taken out); lost while off or booting. */
  receive(bytes: Uint8Array): boolean {
    if (!this.ready) return false;
    this.signal(this.buffer.push(bytes));
    this.settle(this.now);
    return true;
  }

  holdXoff(ms: number): void {
    if (this.holdUntil === undefined) this.signal(this.buffer.hold());
    this.holdUntil = Math.max(this.holdUntil ?? -Infinity, this.now + ms);
  }

  /**
   * Someone holds the FEED button for `ms`: the paper moves on by the distance the print speed
   * gives (blank, onto the receipt under the head) and the printer reports feeding, offline,
   * until the button is let go. The line being printed, if any, finishes first.
   */
  feedByButton(ms: number): void {
    const mm = Math.min(this.paperRemainingMm, (ms * this.config.timing.printSpeedMmPerS) / 1000);
    this.buttonFeedUntil = this.now + ms;
    this.paperRemainingMm -= mm;
    const lines = Math.round(mm / this.config.timing.lineHeightMm);
    if (lines > 0) this.paper.print({ kind: 'feed', lines }, this.now);
  }

  /**
   * Power gone: RAM is lost (buffer, modes, ASB setting, the line being printed), the paper,
   * cover and a jammed blade are physical and stay as they are.
   */
  powerCut(): void {
    this.powered = false;
    this.bootUntil = undefined;
    this.holdUntil = undefined;
    this.buttonFeedUntil = undefined;
    this.buffer.clear();
    this.decoder = this.newDecoder();
    this.jobs = [];
    this.motion = undefined;
    this.asbEnabled = 0;
    this.asbWatched = 0;
  }

  powerOn(): void {
    if (this.powered) return;
    this.powered = true;
    this.bootUntil = this.now + this.config.timing.bootMs;
  }

  /**
   * `DLE DC4 8`: the receive buffer, what was decoded but not printed, and the line being
   * composed are gone; the line under the head finishes. The decoder starts afresh, so print
   * modes go back to their power-on values too (the codec's decoder keeps no line without its modes).
   */
  clearBuffers(): void {
    this.signal(this.buffer.discard());
    this.decoder = this.newDecoder();
    this.jobs = [];
  }

  /** After any change made from outside (a control): sends the ASB it causes and resumes printing. */
  changed(): void {
    this.checkAsb();
    this.settle(this.now);
  }

  private newDecoder(): PrintStreamDecoder {
    return new PrintStreamDecoder({
      columns: this.config.columns,
      chineseModeAtInit: this.config.chineseModeAtInit,
    });
  }

  private signal(signal: FlowSignal | undefined): void {
    if (signal !== undefined && this.config.flowControl === 'xonxoff') {
      this.transmit(Uint8Array.of(signal), this.now);
    }
  }

  private runEvent(): void {
    if (this.bootUntil !== undefined && this.bootUntil <= this.now) {
      this.bootUntil = undefined;
      // Ready to receive: a host that saw XOFF before the power went may send again.
      this.signal(XON);
      return;
    }
    if (this.motion !== undefined && this.motion.doneAt <= this.now) {
      const motion = this.motion;
      this.motion = undefined;
      this.finish(motion);
      return;
    }
    if (this.buttonFeedUntil !== undefined && this.buttonFeedUntil <= this.now) {
      this.buttonFeedUntil = undefined;
      return;
    }
    if (this.holdUntil !== undefined && this.holdUntil <= this.now) {
      this.holdUntil = undefined;
      this.signal(this.buffer.release());
    }
  }

  /** Starts the next thing the mechanism can do now; false when it has to wait. */
  private startNext(): boolean {
    if (this.motion !== undefined || !this.ready || this.sensors.offline) return false;
    const item = this.jobs[0];
    if (item === undefined) {
      if (this.buffer.length === 0) return false;
      const { bytes, signal } = this.buffer.takeLine(TAKE_BYTES);
      this.signal(signal);
      this.jobs.push(...this.decoder.push(bytes));
      return true;
    }
    switch (item.kind) {
      case 'line':
      case 'feed':
      case 'qr': {
        if (item.kind === 'line' && this.linesUntilEnd === 0) {
          // The roll ends under this line: nothing of it is printed.
          this.linesUntilEnd = undefined;
          this.paperRemainingMm = 0;
          return true;
        }
        const mm = this.heightMm(item);
        if (this.paperRemainingMm < mm) {
          this.paperRemainingMm = 0;
          return true;
        }
        this.jobs.shift();
        this.motion = { item, mm, doneAt: this.now + travelMs(this.config.timing, mm) };
        return true;
      }
      case 'cut': {
        this.jobs.shift();
        const mm = this.config.timing.cutterDistanceMm;
        this.motion = {
          item,
          mm,
          doneAt: this.now + travelMs(this.config.timing, mm) + this.config.timing.cutMs,
        };
        return true;
      }
      case 'enableAsb':
        this.jobs.shift();
        this.asbEnabled = item.bits;
        // Epson: enabling sends the current status at once, whatever changed or not.
        if (item.bits !== 0) this.sendAsb();
        return true;
      default:
        // ESC @ resets the decoder's modes itself; status queries never reach here (taken on
        // arrival); the rest is a command this printer ignores.
        this.jobs.shift();
        return true;
    }
  }

  private finish({ item, mm }: InMotion): void {
    this.paperRemainingMm = Math.max(0, this.paperRemainingMm - mm);
    if (item.kind === 'cut') {
      if (this.jamArmed) {
        this.jamArmed = false;
        this.cutterJammed = true;
        this.counters.cutterJams++;
        return;
      }
      this.paper.cut(this.now);
      this.counters.cuts++;
      return;
    }
    this.paper.print(item, this.now);
    if (item.kind === 'line') {
      this.counters.linesPrinted++;
      if (this.linesUntilEnd !== undefined) this.linesUntilEnd--;
    } else if (item.kind === 'qr') {
      this.counters.qrPrinted++;
    }
  }

  private heightMm(item: Extract<Motion, { kind: 'line' | 'feed' | 'qr' }>): number {
    const line = this.config.timing.lineHeightMm;
    if (item.kind === 'line') return item.size === 'double' ? 2 * line : line;
    if (item.kind === 'feed') return item.lines * line;
    const bytes = new TextEncoder().encode(item.payload).length;
    return qrHeightMm(bytes, item.errorLevel, item.moduleSize);
  }

  private checkAsb(): void {
    if (this.asbEnabled === 0 || !this.ready) return;
    const watched = asbWatchedBits(asbMessage(this.sensors), this.asbEnabled);
    if (watched !== this.asbWatched) this.sendAsb();
  }

  private sendAsb(): void {
    const message = asbMessage(this.sensors);
    this.asbWatched = asbWatchedBits(message, this.asbEnabled);
    this.counters.asbSent++;
    this.transmit(message, this.now);
  }
}
