import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodePrintStream,
  encodeDocument,
  type PrintedItem,
  PrintStreamDecoder,
  wrapText,
} from '../../../../../devices/printer/escpos/codec/index.js';
import {
  ALIGNMENTS,
  PAPER_COLUMNS,
  type PaperColumns,
  type PrinterBlock,
  QR_ERROR_LEVELS,
} from '../../../../../devices/printer/printer-document.js';
import { cutsArb, fromHex, receiptTextArb, splitAt } from './arbitraries.js';

const blockArb: fc.Arbitrary<PrinterBlock> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('text' as const),
      text: receiptTextArb,
      align: fc.constantFrom(...ALIGNMENTS),
      bold: fc.boolean(),
      size: fc.constantFrom('normal' as const, 'double' as const),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'rule' as const }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('qr' as const),
      payload: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
      moduleSize: fc.integer({ min: 1, max: 16 }),
      errorLevel: fc.constantFrom(...QR_ERROR_LEVELS),
      align: fc.constantFrom(...ALIGNMENTS),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 0, max: 255 }).map((lines) => ({ kind: 'feed' as const, lines })),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'cut' as const }) },
);

/** What a customer would see for each block, derived from the document alone. */
function expectedPaper(blocks: readonly PrinterBlock[], columns: PaperColumns): PrintedItem[] {
  const out: PrintedItem[] = [{ kind: 'initialize' }];
  let align: PrintedItem & { kind: 'line' } extends { align: infer A } ? A : never = 'left';
  for (const b of blocks) {
    if (b.kind === 'text') {
      const size = b.size ?? 'normal';
      align = b.align ?? 'left';
      for (const text of wrapText(b.text, size === 'double' ? columns / 2 : columns)) {
        out.push({ kind: 'line', text, align, bold: b.bold === true, size });
      }
    } else if (b.kind === 'rule') {
      align = 'left';
      out.push({ kind: 'line', text: '-'.repeat(columns), align, bold: false, size: 'normal' });
    } else if (b.kind === 'qr') {
      align = b.align ?? 'left';
      out.push({ kind: 'qr', payload: b.payload, moduleSize: b.moduleSize, errorLevel: b.errorLevel, align });
    } else if (b.kind === 'feed') {
      out.push({ kind: 'feed', lines: b.lines });
    } else {
      out.push({ kind: 'cut' });
    }
  }
  return out;
}

/**
 * Bytes ≥ 0x80 in text outside Chinese mode, or a four-byte GB18030 pattern inside it. Knows
 * the lengths of the commands the encoder sends, so their parameters are not taken for text.
 */
function gbViolations(bytes: Uint8Array): string[] {
  const found: string[] = [];
  let chinese = false;
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i]!;
    if (b === 0x1d && bytes[i + 1] === 0x28 && bytes[i + 2] === 0x6b) {
      i += 5 + (bytes[i + 3]! | (bytes[i + 4]! << 8));
    } else if (b === 0x1b) {
      i += bytes[i + 1] === 0x40 ? 2 : 3;
    } else if (b === 0x1d) {
      i += bytes[i + 1] === 0x56 ? 4 : 3;
    } else if (b === 0x1c && (bytes[i + 1] === 0x26 || bytes[i + 1] === 0x2e)) {
      chinese = bytes[i + 1] === 0x26;
      i += 2;
    } else if (b >= 0x80 && !chinese) {
      found.push(`byte ${b.toString(16)} outside Chinese mode at ${i}`);
      i++;
    } else if (b >= 0x81 && b <= 0xfe) {
      const t = bytes[i + 1]!;
      if (t >= 0x30 && t <= 0x39) found.push(`four-byte sequence at ${i}`);
      if (!(t >= 0x40 && t <= 0xfe && t !== 0x7f)) found.push(`bad trail byte ${t?.toString(16)} at ${i}`);
      i += 2;
    } else {
      i++;
    }
  }
  return found;
}

const docArb = fc.record({
  blocks: fc.array(blockArb, { maxLength: 12 }),
  columns: fc.constantFrom(...PAPER_COLUMNS),
});

describe('encoder and decodePrintStream', () => {
  it('the encoder never emits a four-byte GB18030 sequence, nor a high byte outside Chinese mode', () => {
    fc.assert(
      fc.property(docArb, ({ blocks, columns }) => {
        expect(gbViolations(encodeDocument({ blocks }, { columns }))).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('the checker above does catch ¥ sent raw', () => {
    expect(gbViolations(fromHex('1C 26 81 30 84 36 1C 2E'))).toContain('four-byte sequence at 2');
    expect(gbViolations(fromHex('A3 A4'))).toHaveLength(2);
  });

  it('round trip: the virtual paper holds the document wrapped to the paper, in any chunking', () => {
    fc.assert(
      fc.property(docArb, cutsArb, ({ blocks, columns }, cuts) => {
        const bytes = encodeDocument({ blocks }, { columns });
        const decoder = new PrintStreamDecoder({ columns });
        const items = splitAt(bytes, cuts).flatMap((chunk) => decoder.push(chunk));
        expect(items).toEqual(expectedPaper(blocks, columns));
        expect(decoder.pendingText).toBe('');
      }),
      { numRuns: 300 },
    );
  });

  it('decodes a Chinese receipt back to its text, QR payload and cut', () => {
    const bytes = encodeDocument(
      {
        blocks: [
          { kind: 'text', text: '充值成功', align: 'center', size: 'double', bold: true },
          { kind: 'text', text: '金额: ¥100' },
          { kind: 'qr', payload: 'https://pay.example/p/PAY-0001', moduleSize: 6, errorLevel: 'M' },
          { kind: 'cut' },
        ],
      },
      { columns: 32 },
    );
    const paper = decodePrintStream(bytes, { columns: 32 });
    expect(paper.filter((i) => i.kind === 'line').map((i) => i.text)).toEqual(['充值成功', '金额: ￥100']);
    expect(paper.filter((i) => i.kind === 'qr').map((i) => i.payload)).toEqual([
      'https://pay.example/p/PAY-0001',
    ]);
    expect(paper.at(-1)).toEqual({ kind: 'cut' });
  });

  it('shows ¥ sent as four bytes as the two garbage glyphs a GBK printer prints', () => {
    const paper = decodePrintStream(fromHex('1C 26 81 30 84 36 1C 2E 31 0A'));
    expect(paper).toEqual([
      { kind: 'line', text: '\ufffd\ufffd1', align: 'left', bold: false, size: 'normal' },
    ]);
  });

  it('reports status commands and skips unknown ones without printing their parameters', () => {
    expect(decodePrintStream(fromHex('10 04 01 1D 61 0F 1B 74 41 1B 21 41 41 0A'))).toEqual([
      { kind: 'statusQuery', query: 1 },
      { kind: 'enableAsb', bits: 0x0f },
      { kind: 'unknown', bytes: fromHex('1B 74 41') },
      { kind: 'unknown', bytes: fromHex('1B 21 41') },
      { kind: 'line', text: 'A', align: 'left', bold: false, size: 'normal' },
    ]);
  });

  it('wraps a line longer than the paper as the printer does', () => {
    const paper = decodePrintStream(new TextEncoder().encode(`${'x'.repeat(35)}\n`), { columns: 32 });
    expect(paper.map((i) => (i.kind === 'line' ? i.text : i.kind))).toEqual(['x'.repeat(32), 'xxx']);
  });

  it('never throws on any bytes, in any chunking, and gives the same items as one push', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), cutsArb, (bytes, cuts) => {
        const decoder = new PrintStreamDecoder({ columns: 32, chineseModeAtInit: true });
        const chunked = splitAt(bytes, cuts).flatMap((chunk) => decoder.push(chunk));
        expect(chunked).toEqual(new PrintStreamDecoder({ columns: 32, chineseModeAtInit: true }).push(bytes));
      }),
      { numRuns: 500 },
    );
  });
});
