import { describe, expect, it } from 'vitest';
import { ErrorCode, isKioskError } from '../../../../../core/errors.js';
import {
  DEFAULT_MAX_DOCUMENT_BYTES,
  encodeDocument,
  encodeDocumentWithLineEnds,
} from '../../../../../devices/printer/escpos/codec/index.js';
import { KNOWN_SUBSTITUTES } from '../../../../../devices/printer/escpos/codec/printable-text.js';
import type { PrinterDocument } from '../../../../../devices/printer/printer-document.js';
import { fromHex, toHex } from './arbitraries.js';

/**
 * Expected bytes are written out by hand from PROTOCOLS.md (ESC/POS section) and the GB18030
 * code table; the first test checks the GB codes with Node's own decoder, not with iconv-lite.
 */
const GB = {
  充值成功: 'B3 E4 D6 B5 B3 C9 B9 A6',
  金额: 'BD F0 B6 EE',
  '￥': 'A3 A4',
  元: 'D4 AA',
};

function expectError(fn: () => unknown, code: number, pattern: RegExp): void {
  try {
    fn();
  } catch (err) {
    expect(isKioskError(err) && err.code === code).toBe(true);
    expect((err as Error).message).toMatch(pattern);
    return;
  }
  throw new Error('expected a KioskError');
}

describe('encodeDocument: golden bytes', () => {
  it('the hand-written GB18030 codes are right', () => {
    const gb = new TextDecoder('gb18030');
    for (const [text, hex] of Object.entries(GB)) expect(gb.decode(fromHex(hex))).toBe(text);
  });

  it('encodes a Chinese receipt with a QR code and a cut', () => {
    const receipt: PrinterDocument = {
      blocks: [
        { kind: 'text', text: '充值成功', align: 'center', bold: true, size: 'double' },
        { kind: 'text', text: 'Amount 金额: ¥100' },
        { kind: 'rule' },
        { kind: 'qr', payload: 'PAY-0001', moduleSize: 6, errorLevel: 'M', align: 'center' },
        { kind: 'feed', lines: 3 },
        { kind: 'cut' },
      ],
    };
    const expected = [
      '1B 40', // ESC @
      '1B 61 01', // ESC a 1: center
      '1B 45 01', // ESC E 1: bold
      '1D 21 11', // GS ! 0x11: double width and height
      `1C 26 ${GB.充值成功} 1C 2E 0A`, // FS & … FS . LF
      '1B 61 00 1B 45 00 1D 21 00', // back to left, not bold, normal size
      // "Amount " ASCII, "金额" in Chinese mode, ": ", ¥ sent as ￥ (A3 A4), "100"
      `41 6D 6F 75 6E 74 20 1C 26 ${GB.金额} 1C 2E 3A 20 1C 26 ${GB['￥']} 1C 2E 31 30 30 0A`,
      `${'2D '.repeat(32)}0A`, // rule: 32 dashes on 58 mm paper
      '1B 61 01', // the symbol is centred
      '1D 28 6B 04 00 31 41 32 00', // QR model 2
      '1D 28 6B 03 00 31 43 06', // module size 6
      '1D 28 6B 03 00 31 45 31', // error level M
      '1D 28 6B 0B 00 31 50 30 50 41 59 2D 30 30 30 31', // store: pL = 8 data + 3
      '1D 28 6B 03 00 31 51 30', // print
      '1B 64 03', // ESC d 3
      '1D 56 42 00', // GS V 66 0: feed to the cutter, cut
    ].join(' ');
    expect(toHex(encodeDocument(receipt, { columns: 32 }))).toBe(toHex(fromHex(expected)));
  });

  it('wraps Chinese at 16 characters on 32 columns and leaves Chinese mode before each LF', () => {
    const bytes = encodeDocument({ blocks: [{ kind: 'text', text: '元'.repeat(20) }] }, { columns: 32 });
    const expected = `1B 40 1C 26 ${'D4 AA '.repeat(16)}1C 2E 0A 1C 26 ${'D4 AA '.repeat(4)}1C 2E 0A`;
    expect(toHex(bytes)).toBe(toHex(fromHex(expected)));
  });

  it('moves a two-column character that would end past the edge to the next line, whole', () => {
    const bytes = encodeDocument(
      { blocks: [{ kind: 'text', text: `${'a'.repeat(41)}元` }] },
      { columns: 42 },
    );
    expect(toHex(bytes)).toBe(toHex(fromHex(`1B 40 ${'61 '.repeat(41)}0A 1C 26 D4 AA 1C 2E 0A`)));
  });

  it('double size halves the columns: 24 on 48-column paper', () => {
    const bytes = encodeDocument(
      { blocks: [{ kind: 'text', text: 'x'.repeat(25), size: 'double' }] },
      { columns: 48 },
    );
    expect(toHex(bytes)).toBe(toHex(fromHex(`1B 40 1D 21 11 ${'78 '.repeat(24)}0A 78 0A`)));
  });

  it('replaces a character with no two-byte code by "?" and ¥ by ￥, never sending four bytes', () => {
    const bytes = encodeDocument({ blocks: [{ kind: 'text', text: '¥5 😀' }] }, { columns: 32 });
    expect(toHex(bytes)).toBe(toHex(fromHex('1B 40 1C 26 A3 A4 1C 2E 35 20 3F 0A')));
  });

  it('prints private use characters as "?": their user-defined GBK codes have no agreed glyph', () => {
    // U+E854 is FE 9x in GB18030-2005 (iconv-lite) but reads back as 龺 in GB18030-2022.
    const bytes = encodeDocument({ blocks: [{ kind: 'text', text: '1\ue8542\ue000' }] }, { columns: 32 });
    expect(toHex(bytes)).toBe(toHex(fromHex('1B 40 31 3F 32 3F 0A')));
  });

  it('sends no two-byte code that reads back as another character', () => {
    const reading = new TextDecoder('gb18030');
    const misread: string[] = [];
    for (let codePoint = 0x80; codePoint <= 0xffff; codePoint++) {
      if (codePoint >= 0xd800 && codePoint <= 0xdfff) continue;
      const char = String.fromCodePoint(codePoint);
      const bytes = encodeDocument({ blocks: [{ kind: 'text', text: char }] }, { columns: 32 });
      // ESC @ FS & <two bytes> FS . LF for a two-byte code; ESC @ 3F LF for a substitute.
      if (bytes[2] !== 0x1c || bytes[3] !== 0x26) continue;
      if (reading.decode(bytes.subarray(4, 6)) !== (KNOWN_SUBSTITUTES.get(char) ?? char)) misread.push(char);
    }
    expect(misread).toEqual([]);
  });
});

describe('encodeDocumentWithLineEnds', () => {
  it('gives the offset past each printed line, so a driver can tell after which line it stopped', () => {
    const { bytes, lineEnds } = encodeDocumentWithLineEnds(
      {
        blocks: [
          { kind: 'text', text: '元'.repeat(20) },
          { kind: 'qr', payload: 'x', moduleSize: 3, errorLevel: 'L' },
          { kind: 'rule' },
          { kind: 'cut' },
        ],
      },
      { columns: 32 },
    );
    expect(lineEnds).toHaveLength(3);
    for (const end of lineEnds) expect(bytes[end - 1]).toBe(0x0a);
    // 1B 40, FS &, 16 × 2 bytes, FS ., LF
    expect(lineEnds[0]).toBe(2 + 2 + 32 + 2 + 1);
    expect(lineEnds[2]).toBe(bytes.length - 4);
  });
});

describe('encodeDocument: refusals', () => {
  it('with unprintable: refuse, names the character and the block', () => {
    expectError(
      () =>
        encodeDocument(
          { blocks: [{ kind: 'rule' }, { kind: 'text', text: 'ok 😀' }] },
          { columns: 32, unprintable: 'refuse' },
        ),
      ErrorCode.DeviceBadArgument,
      /block 1: character U\+1F600 at index 3/,
    );
  });

  it('refuses control characters under refuse, as they would be commands', () => {
    expectError(
      () =>
        encodeDocument(
          { blocks: [{ kind: 'text', text: 'a\u001b@' }] },
          { columns: 32, unprintable: 'refuse' },
        ),
      ErrorCode.DeviceBadArgument,
      /U\+001B/,
    );
  });

  it('but still sends ¥ as ￥ under refuse: a known substitute is not a refusal', () => {
    const bytes = encodeDocument(
      { blocks: [{ kind: 'text', text: '¥' }] },
      { columns: 32, unprintable: 'refuse' },
    );
    expect(toHex(bytes)).toBe('1B 40 1C 26 A3 A4 1C 2E 0A');
  });

  it('refuses a QR payload above the model-2 capacity for its level, and accepts one at it', () => {
    const qr = (payload: string) => ({
      blocks: [{ kind: 'qr' as const, payload, moduleSize: 4, errorLevel: 'M' as const }],
    });
    expect(() => encodeDocument(qr('x'.repeat(2331)), { columns: 48 })).not.toThrow();
    expectError(
      () => encodeDocument(qr('x'.repeat(2332)), { columns: 48 }),
      ErrorCode.DeviceBadArgument,
      /block 0: QR payload is 2332 bytes; a model-2 symbol at level M holds at most 2331/,
    );
    expectError(() => encodeDocument(qr(''), { columns: 48 }), ErrorCode.DeviceBadArgument, /empty/);
    expectError(
      () => encodeDocument(qr('a\ud800'), { columns: 48 }),
      ErrorCode.DeviceBadArgument,
      /lone surrogate/,
    );
  });

  it('refuses module sizes outside 1–16 and unknown error levels', () => {
    for (const moduleSize of [0, 17, 2.5]) {
      expectError(
        () =>
          encodeDocument(
            { blocks: [{ kind: 'qr', payload: 'x', moduleSize, errorLevel: 'L' }] },
            { columns: 32 },
          ),
        ErrorCode.DeviceBadArgument,
        /module size/,
      );
    }
    expectError(
      () =>
        encodeDocument(
          { blocks: [{ kind: 'qr', payload: 'x', moduleSize: 3, errorLevel: 'X' as 'L' }] },
          { columns: 32 },
        ),
      ErrorCode.DeviceBadArgument,
      /error level/,
    );
  });

  it('refuses a document larger than maxBytes, by default 32 KiB', () => {
    const line = { kind: 'text' as const, text: '元'.repeat(16) };
    const blocks = Array.from({ length: Math.ceil(DEFAULT_MAX_DOCUMENT_BYTES / 36) + 1 }, () => line);
    expectError(
      () => encodeDocument({ blocks }, { columns: 32 }),
      ErrorCode.DeviceBadArgument,
      /more than 32768 bytes/,
    );
    expectError(
      () => encodeDocument({ blocks: [line] }, { columns: 32, maxBytes: 20 }),
      ErrorCode.DeviceBadArgument,
      /more than 20 bytes/,
    );
  });

  it('refuses widths other than 32, 42 and 48, bad feeds and unknown blocks', () => {
    expectError(
      () => encodeDocument({ blocks: [] }, { columns: 40 as 42 }),
      ErrorCode.DeviceBadArgument,
      /columns/,
    );
    expectError(
      () => encodeDocument({ blocks: [{ kind: 'feed', lines: 256 }] }, { columns: 32 }),
      ErrorCode.DeviceBadArgument,
      /block 0: feed lines/,
    );
    expectError(
      () => encodeDocument({ blocks: [{ kind: 'image' } as never] }, { columns: 32 }),
      ErrorCode.DeviceBadArgument,
      /block 0: unknown kind image/,
    );
    expectError(
      () =>
        encodeDocument(
          { blocks: [{ kind: 'text', text: 'a', align: 'justify' as 'left' }] },
          { columns: 32 },
        ),
      ErrorCode.DeviceBadArgument,
      /align/,
    );
    expectError(
      () =>
        encodeDocument(
          { blocks: [{ kind: 'text', text: 'a', bold: 'yes' as unknown as boolean }] },
          { columns: 32 },
        ),
      ErrorCode.DeviceBadArgument,
      /block 0: bold must be true or false/,
    );
  });
});
