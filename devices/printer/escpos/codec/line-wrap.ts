import { ErrorCode, KioskError } from '../../../../core/errors.js';
import type { Alignment } from '../../printer-document.js';
import { columnsOf, type PrintableChar, toPrintableChars } from './printable-text.js';

function checkWidth(width: number): void {
  if (!Number.isInteger(width) || width < 2 || width > 255) {
    throw new KioskError(
      ErrorCode.DeviceBadArgument,
      `line width must be an integer from 2 to 255 columns, got ${width}`,
      { details: { width } },
    );
  }
}

/**
 * Breaks characters into lines of at most `width` columns, never inside a character. A line
 * breaks after its last space when it has one (the space itself is dropped, as a typesetter
 * would); otherwise, as in Chinese text, before the character that does not fit. Nothing else
 * is dropped. An empty text is one empty line.
 */
export function wrapChars(chars: readonly PrintableChar[], width: number): PrintableChar[][] {
  checkWidth(width);
  const lines: PrintableChar[][] = [];
  let line: PrintableChar[] = [];
  let columns = 0;
  let lastSpace = -1;
  for (const c of chars) {
    const w = c.bytes.length;
    if (columns + w <= width) {
      line.push(c);
      columns += w;
      if (c.char === ' ') lastSpace = line.length - 1;
      continue;
    }
    if (c.char === ' ') {
      lines.push(line);
      line = [];
      columns = 0;
      lastSpace = -1;
      continue;
    }
    if (lastSpace > 0) {
      lines.push(line.slice(0, lastSpace));
      line = line.slice(lastSpace + 1);
      columns = columnsOf(line);
      lastSpace = -1;
      if (columns + w <= width) {
        line.push(c);
        columns += w;
        continue;
      }
    }
    lines.push(line);
    line = [c];
    columns = w;
    lastSpace = -1;
  }
  lines.push(line);
  return lines;
}

/** {@link wrapChars} on a string, after the printer's substitutions (see printable-text.ts). */
export function wrapText(text: string, width: number): string[] {
  return wrapChars(toPrintableChars(text), width).map((line) => line.map((c) => c.char).join(''));
}

/**
 * Pads a line with spaces to sit left, centred or right in `width` columns, counting CJK as two.
 * For layouts that place text themselves (two columns on one line); the encoder aligns whole
 * lines with `ESC a` instead, which costs no bytes per line.
 */
export function alignToColumns(line: string, width: number, align: Alignment): string {
  checkWidth(width);
  const columns = columnsOf(toPrintableChars(line));
  if (columns > width) {
    throw new KioskError(
      ErrorCode.DeviceBadArgument,
      `line takes ${columns} columns, wider than the ${width} available`,
      { details: { columns, width } },
    );
  }
  const free = width - columns;
  if (align === 'right') return ' '.repeat(free) + line;
  if (align === 'center') return ' '.repeat(Math.floor(free / 2)) + line;
  return line;
}

/** `left` flush left and `right` flush right on one line, e.g. `金额          100元`. */
export function spreadToColumns(left: string, right: string, width: number): string {
  checkWidth(width);
  const used = columnsOf(toPrintableChars(left)) + columnsOf(toPrintableChars(right));
  if (used + 1 > width) {
    throw new KioskError(
      ErrorCode.DeviceBadArgument,
      `"${left}" and "${right}" take ${used} columns; with a space between them they do not fit in ${width}`,
      { details: { columns: used, width } },
    );
  }
  return left + ' '.repeat(width - used) + right;
}
