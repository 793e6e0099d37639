import { spreadToColumns, wrapText } from '../../devices/printer/escpos/codec/line-wrap.js';
import { textColumns, toPrintableChars } from '../../devices/printer/escpos/codec/printable-text.js';
import type { Alignment, PaperColumns, TextBlock } from '../../devices/printer/printer-document.js';

/*
 * A receipt is laid out here, line by line, rather than left to the encoder's wrapping: two
 * columns on one line need the widths counted (CJK takes two), and a document whose every text
 * block is exactly one printed line reads on the virtual paper as it reads in the document.
 */

/** `text` with the printer's substitutions made (`¥` → `￥`, unprintable → `?`), as the paper will show it. */
export function printable(text: string): string {
  return toPrintableChars(text)
    .map((c) => c.char)
    .join('');
}

export interface LineStyle {
  align?: Alignment;
  bold?: boolean;
}

function block(text: string, style: LineStyle): TextBlock {
  return { kind: 'text', text, align: style.align ?? 'left', bold: style.bold === true, size: 'normal' };
}

/** `text` as printed lines of at most `columns`, broken where the encoder would break it. */
export function lines(text: string, columns: PaperColumns, style: LineStyle = {}): TextBlock[] {
  return wrapText(text, columns).map((line) => block(line, style));
}

/**
 * A heading: double width and height when it fits on one line at half the columns, normal
 * size (wrapped) when not, so a long name never breaks in the middle of a double-size word.
 */
export function heading(text: string, columns: PaperColumns): TextBlock[] {
  const halves = wrapText(text, columns / 2);
  if (halves.length === 1) {
    return [{ kind: 'text', text: halves[0]!, align: 'center', bold: true, size: 'double' }];
  }
  return lines(text, columns, { align: 'center', bold: true });
}

/**
 * `label` flush left and `value` flush right on one line when both fit with a space between;
 * otherwise the label on its own line and the value on the next, right-aligned (wrapped if
 * it is wider than the paper), so nothing is cut off.
 */
export function labelled(
  label: string,
  value: string,
  columns: PaperColumns,
  style: LineStyle = {},
): TextBlock[] {
  if (textColumns(label) + textColumns(value) + 1 <= columns) {
    return [block(spreadToColumns(printable(label), printable(value), columns), style)];
  }
  return [...lines(label, columns, style), ...lines(value, columns, { ...style, align: 'right' })];
}
