import fc from 'fast-check';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import {
  alignToColumns,
  KNOWN_SUBSTITUTES,
  spreadToColumns,
  textColumns,
  toPrintableChars,
  wrapText,
} from '../../../../../devices/printer/escpos/codec/index.js';
import { PAPER_COLUMNS } from '../../../../../devices/printer/printer-document.js';
import { receiptTextArb } from './arbitraries.js';

/** Columns measured independently: the GB18030 bytes of a line (1 per ASCII, 2 per GBK character). */
const gbColumns = (line: string): number => iconv.encode(line, 'gb18030').length;
const nonSpace = (s: string): string => s.replace(/ /g, '');

describe('toPrintableChars', () => {
  it('every known substitute is itself printable in one or two bytes', () => {
    for (const [from, to] of KNOWN_SUBSTITUTES) {
      expect(iconv.encode(from, 'gb18030').length).toBe(4);
      expect([1, 2]).toContain(iconv.encode(to, 'gb18030').length);
    }
  });

  it('CJK and full-width characters are two columns, ASCII one', () => {
    expect(textColumns('充值')).toBe(4);
    expect(textColumns('￥100')).toBe(5);
    expect(textColumns('¥100')).toBe(5);
    expect(textColumns('Top-up')).toBe(6);
  });

  it('never yields a four-byte character or a control byte, for any text', () => {
    fc.assert(
      fc.property(receiptTextArb, (text) => {
        for (const c of toPrintableChars(text)) {
          expect([1, 2]).toContain(c.bytes.length);
          if (c.bytes.length === 1) expect(c.bytes[0]).toBeGreaterThanOrEqual(0x20);
          if (c.bytes.length === 1) expect(c.bytes[0]).toBeLessThan(0x7f);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('wrapText', () => {
  it('breaks after the last space, dropping only that space', () => {
    expect(wrapText('hello world again', 11)).toEqual(['hello world', 'again']);
    expect(wrapText('充值成功 金额 100元', 10)).toEqual(['充值成功', '金额 100元']);
  });

  it('breaks Chinese between any two characters and never splits one', () => {
    expect(wrapText('元'.repeat(20), 32)).toEqual(['元'.repeat(16), '元'.repeat(4)]);
    expect(wrapText(`${'a'.repeat(31)}元`, 32)).toEqual(['a'.repeat(31), '元']);
  });

  it('an empty text is one empty line', () => {
    expect(wrapText('', 32)).toEqual(['']);
  });

  it('at 32, 42 and 48 columns: no line is wider, no character other than a breaking space is lost', () => {
    fc.assert(
      fc.property(receiptTextArb, fc.constantFrom(...PAPER_COLUMNS), (text, width) => {
        const lines = wrapText(text, width);
        const printable = toPrintableChars(text)
          .map((c) => c.char)
          .join('');
        for (const line of lines) expect(gbColumns(line)).toBeLessThanOrEqual(width);
        expect(nonSpace(lines.join(''))).toBe(nonSpace(printable));
        const dropped = printable.length - lines.join('').length;
        expect(dropped).toBeGreaterThanOrEqual(0);
        expect(dropped).toBeLessThanOrEqual(lines.length - 1);
        if (!printable.includes(' ')) expect(lines.join('')).toBe(printable);
      }),
      { numRuns: 500 },
    );
  });
});

describe('alignToColumns and spreadToColumns', () => {
  it('pad by columns, counting CJK as two', () => {
    expect(alignToColumns('充值', 10, 'right')).toBe('      充值');
    expect(alignToColumns('充值', 10, 'center')).toBe('   充值');
    expect(alignToColumns('充值', 10, 'left')).toBe('充值');
    expect(spreadToColumns('金额', '100元', 16)).toBe('金额       100元');
    expect(gbColumns(spreadToColumns('金额', '100元', 32))).toBe(32);
  });

  it('refuse what does not fit', () => {
    expect(() => alignToColumns('元'.repeat(17), 32, 'left')).toThrow(/34 columns, wider than the 32/);
    expect(() => spreadToColumns('a'.repeat(20), 'b'.repeat(12), 32)).toThrow(/do not fit in 32/);
  });
});
