import { ErrorCode, KioskError } from '../../../../core/errors.js';
import type { Alignment, QrErrorLevel, TextSize } from '../../printer-document.js';
import { DLE, EOT, ESC, FS, GS, LF } from './commands.js';

/** What an ESC/POS printer does with the bytes it receives, in the order it does it. */
export type PrintedItem =
  | { kind: 'line'; text: string; align: Alignment; bold: boolean; size: TextSize }
  | { kind: 'qr'; payload: string; moduleSize: number; errorLevel: QrErrorLevel; align: Alignment }
  | { kind: 'feed'; lines: number }
  | { kind: 'cut' }
  | { kind: 'initialize' }
  | { kind: 'statusQuery'; query: number }
  | { kind: 'enableAsb'; bits: number }
  /** Bytes a printer would act on or ignore in ways this decoder does not model; skipped. */
  | { kind: 'unknown'; bytes: Uint8Array };

export interface PrintStreamDecoderOptions {
  /** Columns of the standard font; a longer line wraps to the next, as on paper (default 48). */
  columns?: number;
  /** Whether the printer is in Chinese mode at power-up and after `ESC @` (default false). */
  chineseModeAtInit?: boolean;
}

const REPLACEMENT = '\ufffd';

/**
 * Parameter counts of common commands this decoder does not act on, so their parameters are
 * skipped with them instead of printing as text. Anything else after ESC, GS or FS is taken
 * as a two-byte command.
 */
const IGNORED_PARAMETERS: Readonly<Record<number, ReadonlyMap<number, number>>> = {
  [ESC]: new Map([
    [0x20, 1], // ESC SP n: right-side character spacing
    [0x21, 1], // ESC ! n: print mode
    [0x24, 2], // ESC $ nL nH: absolute position
    [0x2d, 1], // ESC - n: underline
    [0x32, 0], // ESC 2: default line spacing
    [0x33, 1], // ESC 3 n: line spacing
    [0x47, 1], // ESC G n: double strike
    [0x4a, 1], // ESC J n: feed n dots
    [0x4d, 1], // ESC M n: font
    [0x52, 1], // ESC R n: international character set
    [0x56, 1], // ESC V n: rotate
    [0x74, 1], // ESC t n: code table
    [0x7b, 1], // ESC { n: upside down
  ]),
  [GS]: new Map([
    [0x42, 1], // GS B n: reverse
    [0x48, 1], // GS H n: HRI position
    [0x4c, 2], // GS L nL nH: left margin
    [0x57, 2], // GS W nL nH: print area width
    [0x66, 1], // GS f n: HRI font
    [0x68, 1], // GS h n: barcode height
    [0x72, 1], // GS r n: transmit status
    [0x77, 1], // GS w n: barcode width
  ]),
  [FS]: new Map([
    [0x21, 1], // FS ! n: Chinese print mode
    [0x2d, 1], // FS - n: Chinese underline
    [0x53, 2], // FS S n1 n2: Chinese character spacing
    [0x57, 1], // FS W n: Chinese quadruple size
  ]),
};
/** `GS ( k` parameter counts above the largest QR store (7089 numeric digits + 3) are line noise. */
const MAX_SYMBOL_PARAMETERS = 7092;
const QR_LEVELS: readonly QrErrorLevel[] = ['L', 'M', 'Q', 'H'];
const ALIGN_BY_BYTE: readonly Alignment[] = ['left', 'center', 'right'];

/** A byte ≥ 0x81 in Chinese mode starts a two-byte character. */
const isLeadByte = (b: number): boolean => b >= 0x81 && b <= 0xfe;
/** GBK trail bytes; a 4-byte GB18030 code has a digit here and prints as garbage on a GBK font. */
const isTrailByte = (b: number): boolean => b >= 0x40 && b <= 0xfe && b !== 0x7f;

interface Segment {
  text: string;
  columns: number;
}

/**
 * Turns the bytes sent to an ESC/POS printer back into what it prints: lines of text with
 * their modes, QR payloads, feeds and cuts, plus the status commands. It models a GBK printer:
 * in Chinese mode a lead byte takes the next byte with it, a four-byte GB18030 code prints as
 * two garbage glyphs (shown as U+FFFD), and outside Chinese mode bytes ≥ 0x80 are code-page
 * glyphs this decoder shows as U+FFFD too. Never throws on content; holds at most one command.
 */
export class PrintStreamDecoder {
  private readonly columns: number;
  private readonly chineseModeAtInit: boolean;
  private readonly gb18030 = new TextDecoder('gb18030');
  private pending = new Uint8Array(0);
  private chinese: boolean;
  private align: Alignment = 'left';
  private bold = false;
  private size: TextSize = 'normal';
  private line: Segment[] = [];
  private lineColumns = 0;
  private qrModuleSize = 3;
  private qrLevel: QrErrorLevel = 'L';
  private qrData: Uint8Array | undefined;

  constructor(options: PrintStreamDecoderOptions = {}) {
    const columns = options.columns ?? 48;
    if (!Number.isInteger(columns) || columns < 2 || columns > 255) {
      throw new KioskError(
        ErrorCode.DeviceBadArgument,
        `columns must be an integer from 2 to 255, got ${columns}`,
        {
          details: { columns },
        },
      );
    }
    this.columns = columns;
    this.chineseModeAtInit = options.chineseModeAtInit === true;
    this.chinese = this.chineseModeAtInit;
  }

  /** Text received but not yet printed (no LF yet). */
  get pendingText(): string {
    return this.line.map((s) => s.text).join('');
  }

  push(chunk: Uint8Array): PrintedItem[] {
    if (!(chunk instanceof Uint8Array)) {
      throw new KioskError(
        ErrorCode.DeviceBadArgument,
        'print stream decoder accepts only Uint8Array chunks',
        {
          details: { got: typeof chunk },
        },
      );
    }
    const bytes = new Uint8Array(this.pending.length + chunk.length);
    bytes.set(this.pending);
    bytes.set(chunk, this.pending.length);
    const out: PrintedItem[] = [];
    let at = 0;
    while (at < bytes.length) {
      const used = this.step(bytes, at, out);
      if (used === 0) break;
      at += used;
    }
    this.pending = bytes.slice(at);
    return out;
  }

  /** Decodes one thing at `at`; returns the bytes it took, 0 when it needs more. */
  private step(b: Uint8Array, at: number, out: PrintedItem[]): number {
    const first = b[at]!;
    const left = b.length - at;
    const arg = (i: number): number => b[at + i]!;
    const unknown = (n: number): number => {
      out.push({ kind: 'unknown', bytes: b.slice(at, at + n) });
      return n;
    };
    if (first === LF) {
      this.printLine(out);
      return 1;
    }
    if (first === DLE) {
      if (left < 3) return left >= 2 && arg(1) !== EOT ? unknown(1) : 0;
      if (arg(1) !== EOT) return unknown(1);
      out.push({ kind: 'statusQuery', query: arg(2) });
      return 3;
    }
    if (first === ESC || first === GS || first === FS) {
      if (left < 2) return 0;
      const ignored = IGNORED_PARAMETERS[first]!.get(arg(1));
      if (ignored !== undefined) return left < 2 + ignored ? 0 : unknown(2 + ignored);
    }
    if (first === ESC) {
      const command = arg(1);
      if (command === 0x40) {
        this.initialize(out);
        return 2;
      }
      if (command !== 0x61 && command !== 0x45 && command !== 0x64) return unknown(2);
      if (left < 3) return 0;
      const n = arg(2);
      if (command === 0x61) this.align = ALIGN_BY_BYTE[n % 48] ?? 'left';
      else if (command === 0x45) this.bold = (n & 1) === 1;
      else {
        this.printLine(out, true);
        out.push({ kind: 'feed', lines: n });
      }
      return 3;
    }
    if (first === FS) {
      if (arg(1) === 0x26) this.chinese = true;
      else if (arg(1) === 0x2e) this.chinese = false;
      else return unknown(2);
      return 2;
    }
    if (first === GS) return this.stepGs(b, at, out, unknown);
    if (first < 0x20 || first === 0x7f) return unknown(1);
    return this.stepText(b, at, out);
  }

  private stepGs(b: Uint8Array, at: number, out: PrintedItem[], unknown: (n: number) => number): number {
    const left = b.length - at;
    if (left < 2) return 0;
    const command = b[at + 1]!;
    if (command === 0x21 || command === 0x61) {
      if (left < 3) return 0;
      const n = b[at + 2]!;
      // Any enlargement counts as double: the encoder sends only 0x00 and 0x11.
      if (command === 0x21) this.size = n === 0 ? 'normal' : 'double';
      else out.push({ kind: 'enableAsb', bits: n });
      return 3;
    }
    if (command === 0x56) {
      if (left < 3) return 0;
      const m = b[at + 2]!;
      const length = m === 0 || m === 1 || m === 48 || m === 49 ? 3 : 4;
      if (left < length) return 0;
      this.printLine(out, true);
      out.push({ kind: 'cut' });
      return length;
    }
    if (command !== 0x28) return unknown(2);
    if (left < 3) return 0;
    if (b[at + 2] !== 0x6b) return unknown(3);
    if (left < 5) return 0;
    const count = b[at + 3]! | (b[at + 4]! << 8);
    if (count < 2 || count > MAX_SYMBOL_PARAMETERS) return unknown(3);
    if (left < 5 + count) return 0;
    const p = b.subarray(at + 5, at + 5 + count);
    if (p[0] === 0x31) this.qrFunction(p, out);
    else out.push({ kind: 'unknown', bytes: b.slice(at, at + 5 + count) });
    return 5 + count;
  }

  private qrFunction(p: Uint8Array, out: PrintedItem[]): void {
    const fn = p[1];
    if (fn === 0x43 && p.length === 3) this.qrModuleSize = p[2]!;
    else if (fn === 0x45 && p.length === 3) this.qrLevel = QR_LEVELS[p[2]! - 0x30] ?? this.qrLevel;
    else if (fn === 0x50 && p.length >= 3) this.qrData = p.slice(3);
    else if (fn === 0x51) {
      this.printLine(out, true);
      if (this.qrData !== undefined && this.qrData.length > 0) {
        out.push({
          kind: 'qr',
          payload: new TextDecoder().decode(this.qrData),
          moduleSize: this.qrModuleSize,
          errorLevel: this.qrLevel,
          align: this.align,
        });
      }
    }
  }

  /** One character; a line full to the paper's width prints before it, as the printer wraps. */
  private stepText(b: Uint8Array, at: number, out: PrintedItem[]): number {
    const first = b[at]!;
    let segment: Segment;
    let used = 1;
    if (!this.chinese || !isLeadByte(first)) {
      segment =
        first < 0x80 ? { text: String.fromCharCode(first), columns: 1 } : { text: REPLACEMENT, columns: 1 };
    } else {
      if (b.length - at < 2) return 0;
      const trail = b[at + 1]!;
      used = 2;
      segment = {
        text: isTrailByte(trail) ? this.gb18030.decode(b.subarray(at, at + 2)) : REPLACEMENT,
        columns: 2,
      };
    }
    const scale = this.size === 'double' ? 2 : 1;
    if (this.lineColumns + segment.columns * scale > this.columns && this.line.length > 0)
      this.printLine(out);
    this.line.push(segment);
    this.lineColumns += segment.columns * scale;
    return used;
  }

  /** LF prints the buffer (an empty one as a blank line); feed, cut and QR print only what is there. */
  private printLine(out: PrintedItem[], onlyIfPending = false): void {
    if (onlyIfPending && this.line.length === 0) return;
    out.push({ kind: 'line', text: this.pendingText, align: this.align, bold: this.bold, size: this.size });
    this.line = [];
    this.lineColumns = 0;
  }

  private initialize(out: PrintedItem[]): void {
    this.line = [];
    this.lineColumns = 0;
    this.chinese = this.chineseModeAtInit;
    this.align = 'left';
    this.bold = false;
    this.size = 'normal';
    this.qrModuleSize = 3;
    this.qrLevel = 'L';
    this.qrData = undefined;
    out.push({ kind: 'initialize' });
  }
}

/** Everything `bytes` prints, decoded in one go (see {@link PrintStreamDecoder}). */
export function decodePrintStream(bytes: Uint8Array, options: PrintStreamDecoderOptions = {}): PrintedItem[] {
  return new PrintStreamDecoder(options).push(bytes);
}
