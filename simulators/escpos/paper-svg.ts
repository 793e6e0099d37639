import { DOTS_PER_MM, qrModules } from './qr-size.js';
import type { PaperMark, ReceiptView } from './virtual-paper.js';

/*
 * Font A of a 203 dpi printer is 12 × 24 dots; the drawing uses one pixel per dot, so a receipt
 * looks as wide and as long as the paper would, at 8 px/mm.
 */
const CHAR_W = 12;
const LINE_H = 30;
const FONT_SIZE = 20;
const MARGIN = 16;
const GAP = 28;
const QR_QUIET_MODULES = 4;

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Columns a decoded line takes: ASCII one, every double-byte character two. */
function columnsOf(text: string): number {
  let columns = 0;
  for (const c of text) columns += c.codePointAt(0)! < 0x80 ? 1 : 2;
  return columns;
}

function offsetColumns(align: 'left' | 'center' | 'right', free: number): number {
  if (align === 'center') return Math.floor(free / 2);
  return align === 'right' ? free : 0;
}

/** Draws one mark at `y`; returns its SVG and its height. */
function drawMark(mark: PaperMark, y: number, columns: number): { svg: string; height: number } {
  if (mark.kind === 'feed') return { svg: '', height: mark.lines * LINE_H };
  if (mark.kind === 'line') {
    const scale = mark.size === 'double' ? 2 : 1;
    const used = columnsOf(mark.text) * scale;
    if (used === 0) return { svg: '', height: LINE_H * scale };
    const x = MARGIN + offsetColumns(mark.align, Math.max(0, columns - used)) * CHAR_W;
    const weight = mark.bold ? ' font-weight="bold"' : '';
    const svg =
      `<text x="${x}" y="${y + LINE_H * scale - 8 * scale}" font-size="${FONT_SIZE * scale}"${weight} ` +
      `textLength="${used * CHAR_W}" lengthAdjust="spacingAndGlyphs" xml:space="preserve">${escapeXml(mark.text)}</text>`;
    return { svg, height: LINE_H * scale };
  }
  const bytes = new TextEncoder().encode(mark.payload).length;
  const side = ((qrModules(bytes, mark.errorLevel) ?? 177) + 2 * QR_QUIET_MODULES) * mark.moduleSize;
  const free = Math.max(0, columns * CHAR_W - side);
  const x = MARGIN + (mark.align === 'center' ? free / 2 : mark.align === 'right' ? free : 0);
  const label = mark.payload.length > 40 ? `${mark.payload.slice(0, 39)}…` : mark.payload;
  const svg =
    `<g class="qr"><rect x="${x}" y="${y}" width="${side}" height="${side}" fill="none" stroke="#000" stroke-width="2"/>` +
    `<text x="${x + side / 2}" y="${y + side / 2}" font-size="12" text-anchor="middle">QR</text>` +
    `<text x="${x + side / 2}" y="${y + side / 2 + 16}" font-size="10" text-anchor="middle">${escapeXml(label)}</text></g>`;
  return { svg, height: side };
}

/**
 * The receipts as a customer would hold them, one under the other: monospace text with its
 * alignment, emphasis and size, each QR code as a box of its true printed size labelled with
 * its payload (there is no QR encoder in the project to draw the modules), and under each
 * receipt how it ended: cut, torn off, or still in the printer.
 */
export function renderPaperSvg(receipts: readonly ReceiptView[], columns: number): string {
  const width = columns * CHAR_W + 2 * MARGIN;
  const parts: string[] = [];
  let y = 0;
  for (const receipt of receipts) {
    const top = y;
    y += MARGIN;
    const body: string[] = [];
    for (const mark of receipt.marks) {
      const drawn = drawMark(mark, y, columns);
      if (drawn.svg !== '') body.push(drawn.svg);
      y += drawn.height;
    }
    y += MARGIN;
    parts.push(
      `<g class="receipt" data-number="${receipt.number}" data-end="${receipt.end}">` +
        `<rect x="0" y="${top}" width="${width}" height="${y - top}" fill="#fff" stroke="#999"/>${body.join('')}</g>`,
    );
    const edge = receipt.end === 'cut' ? 'cut' : receipt.end === 'torn' ? 'torn off' : 'still printing';
    parts.push(
      `<line x1="0" y1="${y}" x2="${width}" y2="${y}" stroke="#c00" stroke-dasharray="${receipt.cut ? '6 4' : '2 6'}"/>` +
        `<text x="${width - 4}" y="${y + 16}" font-size="12" text-anchor="end" fill="#c00">${edge}</text>`,
    );
    y += GAP;
  }
  const height = Math.max(y, 1);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
    `font-family="monospace" data-dots-per-mm="${DOTS_PER_MM}">` +
    `<rect width="100%" height="100%" fill="#eee"/>${parts.join('')}</svg>`
  );
}
