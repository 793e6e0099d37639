import { ErrorCode, isKioskError, KioskError } from '../../../../core/errors.js';
import {
  ALIGNMENTS,
  type Alignment,
  PAPER_COLUMNS,
  type PaperColumns,
  type PrinterBlock,
  type PrinterDocument,
  QR_ERROR_LEVELS,
  TEXT_SIZES,
  type TextSize,
} from '../../printer-document.js';
import {
  CHARACTER_SIZE_DOUBLE,
  CHARACTER_SIZE_NORMAL,
  ENTER_CHINESE_MODE,
  FEED_AND_CUT,
  FEED_LINES,
  INITIALIZE,
  LEAVE_CHINESE_MODE,
  LF,
  SELECT_CHARACTER_SIZE,
  SELECT_EMPHASIS,
  SELECT_JUSTIFICATION,
} from './commands.js';
import { wrapChars } from './line-wrap.js';
import { type PrintableChar, toPrintableChars, type UnprintablePolicy } from './printable-text.js';
import { encodeQrCode } from './qr-code.js';

export interface EscPosEncodeOptions {
  /** Characters per line of the standard font on this printer's paper. */
  columns: PaperColumns;
  /** Default `replace`; see printable-text.ts. */
  unprintable?: UnprintablePolicy;
  /** Largest encoded document accepted (default {@link DEFAULT_MAX_DOCUMENT_BYTES}). */
  maxBytes?: number;
}

/** About 34 s of wire time at 9600 baud, ten times a long receipt. */
export const DEFAULT_MAX_DOCUMENT_BYTES = 32 * 1024;
export const MAX_FEED_LINES = 255;

const JUSTIFICATION: Readonly<Record<Alignment, number>> = { left: 0, center: 1, right: 2 };
const RULE_CHAR = '-';

function bad(message: string, details: Record<string, unknown>): KioskError {
  return new KioskError(ErrorCode.DeviceBadArgument, message, { details });
}

/** The same refusal, saying which block it is about. */
function inBlock(err: unknown, at: number): unknown {
  if (!isKioskError(err)) return err;
  return new KioskError(err.code, `block ${at}: ${err.message}`, { details: { at, ...err.details } });
}

/** Print modes as the printer holds them; `ESC @` sets these values. */
interface PrintModes {
  align: Alignment;
  bold: boolean;
  size: TextSize;
}

class ByteSink {
  private readonly bytes: number[] = [];
  /** Byte offset just past each printed line's LF. */
  readonly lineEnds: number[] = [];
  constructor(private readonly maxBytes: number) {}

  endLine(): void {
    this.push(LF);
    this.lineEnds.push(this.bytes.length);
  }

  push(...parts: (number | Uint8Array)[]): void {
    for (const v of parts) {
      if (typeof v === 'number') this.bytes.push(v);
      else for (const b of v) this.bytes.push(b);
    }
    if (this.bytes.length > this.maxBytes) {
      throw bad(`document encodes to more than ${this.maxBytes} bytes`, { maxBytes: this.maxBytes });
    }
  }

  result(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

function pushModes(sink: ByteSink, current: PrintModes, wanted: PrintModes): void {
  if (wanted.align !== current.align) {
    sink.push(...SELECT_JUSTIFICATION, JUSTIFICATION[wanted.align]);
    current.align = wanted.align;
  }
  if (wanted.bold !== current.bold) {
    sink.push(...SELECT_EMPHASIS, wanted.bold ? 1 : 0);
    current.bold = wanted.bold;
  }
  if (wanted.size !== current.size) {
    sink.push(
      ...SELECT_CHARACTER_SIZE,
      wanted.size === 'double' ? CHARACTER_SIZE_DOUBLE : CHARACTER_SIZE_NORMAL,
    );
    current.size = wanted.size;
  }
}

/** One printed line: every run of double-byte characters between `FS &` and `FS .`, then LF. */
function pushLine(sink: ByteSink, line: readonly PrintableChar[]): void {
  let chinese = false;
  for (const c of line) {
    const wide = c.bytes.length === 2;
    if (wide !== chinese) {
      sink.push(wide ? ENTER_CHINESE_MODE : LEAVE_CHINESE_MODE);
      chinese = wide;
    }
    sink.push(c.bytes);
  }
  if (chinese) sink.push(LEAVE_CHINESE_MODE);
  sink.endLine();
}

function checkAlign(align: unknown, at: number): Alignment {
  if (align === undefined) return 'left';
  if (!(ALIGNMENTS as readonly unknown[]).includes(align)) {
    throw bad(`block ${at}: align must be one of ${ALIGNMENTS.join(', ')}, got ${String(align)}`, {
      at,
      align,
    });
  }
  return align as Alignment;
}

function encodeBlock(
  sink: ByteSink,
  modes: PrintModes,
  block: PrinterBlock,
  at: number,
  options: Required<EscPosEncodeOptions>,
): void {
  switch (block?.kind) {
    case 'text': {
      const size = block.size ?? 'normal';
      if (!(TEXT_SIZES as readonly unknown[]).includes(size)) {
        throw bad(`block ${at}: size must be normal or double, got ${String(size)}`, { at, size });
      }
      if (block.bold !== undefined && typeof block.bold !== 'boolean') {
        throw bad(`block ${at}: bold must be true or false, got ${String(block.bold)}`, { at });
      }
      if (typeof block.text !== 'string' || block.text.length > options.maxBytes) {
        throw bad(`block ${at}: text must be a string of at most ${options.maxBytes} characters`, { at });
      }
      let chars: PrintableChar[];
      try {
        chars = toPrintableChars(block.text, options.unprintable);
      } catch (err) {
        throw inBlock(err, at);
      }
      pushModes(sink, modes, { align: checkAlign(block.align, at), bold: block.bold === true, size });
      const width = size === 'double' ? options.columns / 2 : options.columns;
      for (const line of wrapChars(chars, width)) pushLine(sink, line);
      return;
    }
    case 'rule':
      pushModes(sink, modes, { align: 'left', bold: false, size: 'normal' });
      pushLine(sink, toPrintableChars(RULE_CHAR.repeat(options.columns)));
      return;
    case 'qr': {
      if (!(QR_ERROR_LEVELS as readonly unknown[]).includes(block.errorLevel)) {
        throw bad(`block ${at}: QR error level must be L, M, Q or H, got ${String(block.errorLevel)}`, {
          at,
        });
      }
      if (typeof block.payload !== 'string') throw bad(`block ${at}: QR payload must be a string`, { at });
      let qr: Uint8Array;
      try {
        qr = encodeQrCode(block.payload, block.moduleSize, block.errorLevel);
      } catch (err) {
        throw inBlock(err, at);
      }
      pushModes(sink, modes, { ...modes, align: checkAlign(block.align, at) });
      sink.push(qr);
      return;
    }
    case 'feed':
      if (!Number.isInteger(block.lines) || block.lines < 0 || block.lines > MAX_FEED_LINES) {
        throw bad(
          `block ${at}: feed lines must be an integer from 0 to ${MAX_FEED_LINES}, got ${block.lines}`,
          {
            at,
            lines: block.lines,
          },
        );
      }
      sink.push(...FEED_LINES, block.lines);
      return;
    case 'cut':
      sink.push(...FEED_AND_CUT, 0);
      return;
    default:
      throw bad(`block ${at}: unknown kind ${String((block as { kind?: unknown })?.kind)}`, { at });
  }
}

export interface EncodedDocument {
  bytes: Uint8Array;
  /**
   * Offset just past the LF of each printed text or rule line, in order: a driver that knows how
   * many bytes the printer took can say after which line it stopped.
   */
  lineEnds: number[];
}

/** The bytes of {@link encodeDocumentWithLineEnds}. */
export function encodeDocument(document: PrinterDocument, options: EscPosEncodeOptions): Uint8Array {
  return encodeDocumentWithLineEnds(document, options).bytes;
}

/**
 * Encodes a receipt for an ESC/POS printer: `ESC @`, then each block, changing a print mode
 * only when a block needs another value. Bytes ≥ 0x80 only ever appear between `FS &` and
 * `FS .`, so the result prints the same whether or not the printer powered up in Chinese mode.
 * Throws DeviceBadArgument, naming the block, for anything it cannot print faithfully.
 */
export function encodeDocumentWithLineEnds(
  document: PrinterDocument,
  options: EscPosEncodeOptions,
): EncodedDocument {
  if (!(PAPER_COLUMNS as readonly unknown[]).includes(options?.columns)) {
    throw bad(`columns must be one of ${PAPER_COLUMNS.join(', ')}, got ${String(options?.columns)}`, {
      columns: options?.columns,
    });
  }
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_DOCUMENT_BYTES;
  if (!Number.isInteger(maxBytes) || maxBytes < INITIALIZE.length) {
    throw bad(`maxBytes must be a positive integer, got ${maxBytes}`, { maxBytes });
  }
  const unprintable = options.unprintable ?? 'replace';
  if (unprintable !== 'replace' && unprintable !== 'refuse') {
    throw bad(`unprintable must be replace or refuse, got ${String(unprintable)}`, { unprintable });
  }
  if (!Array.isArray(document?.blocks)) throw bad('document.blocks must be an array', {});
  const resolved = { columns: options.columns, unprintable, maxBytes };
  const sink = new ByteSink(maxBytes);
  sink.push(INITIALIZE);
  const modes: PrintModes = { align: 'left', bold: false, size: 'normal' };
  document.blocks.forEach((block, at) => {
    encodeBlock(sink, modes, block, at, resolved);
  });
  return { bytes: sink.result(), lineEnds: sink.lineEnds };
}
