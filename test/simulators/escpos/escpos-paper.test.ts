import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { encodeDocument, wrapText } from '../../../devices/printer/escpos/codec/index.js';
import type { PrinterBlock, PrinterDocument } from '../../../devices/printer/printer-document.js';
import { PrinterRig, SAMPLE_LINES, SAMPLE_RECEIPT } from './printer-rig.js';

describe('escpos simulator: what it receives lands on virtual paper', () => {
  it('prints a Chinese receipt with styling and a QR code, and cuts it', () => {
    const rig = new PrinterRig();
    rig.print(SAMPLE_RECEIPT);
    rig.settle();
    const [receipt, ...more] = rig.receipts();
    expect(more).toEqual([]);
    expect(receipt!.lines).toEqual(SAMPLE_LINES);
    expect(receipt!.qr).toEqual(['PAY-2026-000123']);
    expect(receipt!.cut).toBe(true);
    expect(receipt!.marks[0]).toEqual({
      kind: 'line',
      text: '中国移动 充值凭证',
      align: 'center',
      bold: true,
      size: 'double',
    });
    expect(receipt!.marks.find((m) => m.kind === 'qr')).toMatchObject({
      moduleSize: 6,
      errorLevel: 'M',
      align: 'center',
    });
    expect(receipt!.marks).toContainEqual({ kind: 'feed', lines: 3 });
    expect(rig.snapshot().counters).toMatchObject({ linesPrinted: 6, qrPrinted: 1, cuts: 1 });
  });

  it('keeps receipts apart at each cut, and shows an uncut one as still printing', () => {
    const rig = new PrinterRig();
    rig.print({ blocks: [{ kind: 'text', text: 'first' }, { kind: 'cut' }] });
    rig.print({ blocks: [{ kind: 'text', text: 'second' }, { kind: 'cut' }] });
    rig.print({ blocks: [{ kind: 'text', text: 'third, no cut' }] });
    rig.settle();
    const receipts = rig.receipts();
    expect(receipts.map((r) => [r.lines, r.end])).toEqual([
      [['first'], 'cut'],
      [['second'], 'cut'],
      [['third, no cut'], 'printing'],
    ]);
    expect(rig.receipts(1).map((r) => r.number)).toEqual([3]);
  });

  it('takes mechanism time: lines at the print speed, the cut after the feed to the cutter', () => {
    // 100 mm/s, 4 mm lines: 40 ms a line; the cutter 10 mm away and a 100 ms blade: 200 ms.
    const rig = new PrinterRig({
      timing: { printSpeedMmPerS: 100, lineHeightMm: 4, cutterDistanceMm: 10, cutMs: 100 },
    });
    rig.print({ blocks: [{ kind: 'text', text: 'a' }, { kind: 'text', text: 'b' }, { kind: 'cut' }] });
    rig.run(79);
    expect(rig.receipts()[0]!.lines).toEqual(['a']);
    rig.run(1);
    expect(rig.receipts()[0]!.lines).toEqual(['a', 'b']);
    rig.run(199);
    expect(rig.receipts()[0]!.cut).toBe(false);
    rig.run(1);
    expect(rig.receipts()[0]!.cut).toBe(true);
    expect(rig.snapshot().paper.remainingMm).toBeCloseTo(50_000 - 18, 6);
  });

  it('prints a 4-byte GB18030 code as garbage, as a GBK printer does, never as the character', () => {
    const rig = new PrinterRig();
    // ¥ U+00A5 is 81 30 84 36 in GB18030, which a GBK font does not have.
    rig.send(Uint8Array.of(0x1c, 0x26, 0x81, 0x30, 0x84, 0x36, 0x1c, 0x2e, 0x0a));
    rig.settle();
    expect(rig.receipts()[0]!.lines[0]).not.toContain('¥');
    expect(rig.receipts()[0]!.lines[0]).toContain('\ufffd');
  });

  it('wraps a line longer than the paper as the printer does', () => {
    const rig = new PrinterRig({ columns: 32 });
    rig.send(new TextEncoder().encode(`${'x'.repeat(40)}\n`));
    rig.settle();
    expect(rig.receipts()[0]!.lines).toEqual(['x'.repeat(32), 'x'.repeat(8)]);
  });
});

const cjk = fc.integer({ min: 0x4e00, max: 0x9fa5 }).map((c) => String.fromCodePoint(c));
const ascii = fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCodePoint(c));
const special = fc.constantFrom('¥', '￥', '·', '元', ' ', '\t', 'é', '😀', '\u00a0');
const text = fc.array(fc.oneof({ weight: 4, arbitrary: ascii }, { weight: 3, arbitrary: cjk }, special), {
  maxLength: 120,
});

const block: fc.Arbitrary<PrinterBlock> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('text' as const),
      text: text.map((chars) => chars.join('')),
      align: fc.constantFrom('left' as const, 'center' as const, 'right' as const),
      bold: fc.boolean(),
      size: fc.constantFrom('normal' as const, 'double' as const),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'rule' as const }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('feed' as const), lines: fc.integer({ min: 0, max: 3 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('qr' as const),
      payload: fc.string({ minLength: 1, maxLength: 60 }),
      moduleSize: fc.integer({ min: 1, max: 8 }),
      errorLevel: fc.constantFrom('L' as const, 'M' as const, 'Q' as const, 'H' as const),
    }),
  },
);

/** The lines a document should put on paper: each text block wrapped as the codec wraps it, rules full width. */
function expectedLines(document: PrinterDocument, columns: number): string[] {
  return document.blocks.flatMap((b) => {
    if (b.kind === 'text') return wrapText(b.text, b.size === 'double' ? columns / 2 : columns);
    if (b.kind === 'rule') return ['-'.repeat(columns)];
    return [];
  });
}

describe('escpos simulator: property', () => {
  test.prop([fc.array(block, { maxLength: 12 }), fc.constantFrom(32 as const, 42 as const, 48 as const)], {
    numRuns: 150,
  })('any encoded document comes out as its wrapped text, its QR payloads and a cut', (blocks, columns) => {
    const document: PrinterDocument = { blocks: [...blocks, { kind: 'cut' }] };
    const rig = new PrinterRig({ columns, bufferBytes: 65_536, xonAtFree: 1024 });
    rig.send(encodeDocument(document, { columns }));
    rig.settle(600_000);
    const receipts = rig.receipts();
    expect(receipts).toHaveLength(1);
    expect(receipts[0]!.lines).toEqual(expectedLines(document, columns));
    expect(receipts[0]!.qr).toEqual(blocks.flatMap((b) => (b.kind === 'qr' ? [b.payload] : [])));
    expect(receipts[0]!.cut).toBe(true);
  });
});

describe('escpos simulator: ESC @', () => {
  it('resets alignment, emphasis, size and Chinese mode mid-stream', () => {
    const rig = new PrinterRig();
    const bytes = [
      ...[0x1b, 0x61, 0x02, 0x1b, 0x45, 0x01, 0x1d, 0x21, 0x11, 0x1c, 0x26],
      ...[0xd6, 0xd0, 0x0a],
      ...[0x1b, 0x40],
      ...[0xd6, 0xd0, 0x0a],
    ];
    rig.send(Uint8Array.from(bytes));
    rig.settle();
    const [styled, reset] = rig.receipts()[0]!.marks;
    expect(styled).toEqual({ kind: 'line', text: '中', align: 'right', bold: true, size: 'double' });
    // Out of Chinese mode the same two bytes are two code-page glyphs, not 中.
    expect(reset).toEqual({ kind: 'line', text: '\ufffd\ufffd', align: 'left', bold: false, size: 'normal' });
  });
});
