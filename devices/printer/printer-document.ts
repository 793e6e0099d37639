/**
 * A receipt as data, not bytes: what to print, never how a protocol says it. A driver for any
 * printer language encodes it; a simulator decodes its own wire format back into the same words,
 * so tests compare the document with the paper.
 */

export const ALIGNMENTS = ['left', 'center', 'right'] as const;
export type Alignment = (typeof ALIGNMENTS)[number];

export const TEXT_SIZES = ['normal', 'double'] as const;
/** `double` is twice the width and twice the height: half as many columns fit. */
export type TextSize = (typeof TEXT_SIZES)[number];

/** QR error correction: L 7 %, M 15 %, Q 25 %, H 30 % of the symbol can be lost. */
export const QR_ERROR_LEVELS = ['L', 'M', 'Q', 'H'] as const;
export type QrErrorLevel = (typeof QR_ERROR_LEVELS)[number];

/** Paper widths in character columns of the standard font: 58 mm rolls give 32, 80 mm give 42 or 48. */
export const PAPER_COLUMNS = [32, 42, 48] as const;
export type PaperColumns = (typeof PAPER_COLUMNS)[number];

export interface TextBlock {
  kind: 'text';
  /** One paragraph; the encoder wraps it to the paper width. No control characters. */
  text: string;
  align?: Alignment;
  bold?: boolean;
  size?: TextSize;
}

/** A line across the full width of the paper. */
export interface RuleBlock {
  kind: 'rule';
}

export interface QrBlock {
  kind: 'qr';
  payload: string;
  /** Width of one module in dots, 1–16. */
  moduleSize: number;
  errorLevel: QrErrorLevel;
  align?: Alignment;
}

export interface FeedBlock {
  kind: 'feed';
  /** Blank lines to advance, 0–255. */
  lines: number;
}

/** Feed the last printed line past the cutter, then cut: the receipt is complete. */
export interface CutBlock {
  kind: 'cut';
}

export type PrinterBlock = TextBlock | RuleBlock | QrBlock | FeedBlock | CutBlock;

export interface PrinterDocument {
  blocks: readonly PrinterBlock[];
}
