import fc from 'fast-check';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { ErrorCode, isKioskError } from '../../core/errors.js';
import { decodePrintStream, encodeDocument } from '../../devices/printer/escpos/codec/index.js';
import { textColumns } from '../../devices/printer/escpos/codec/printable-text.js';
import { PAPER_COLUMNS, type PrinterDocument } from '../../devices/printer/printer-document.js';
import { LANGUAGES } from '../../src/i18n/messages.js';
import { fillQrUrlTemplate, receiptsConfigSchema } from '../../src/receipts/receipt-config.js';
import { customerReceipt, type ReceiptPayment } from '../../src/receipts/receipt-document.js';
import { textLines } from './receipt-fixtures.js';

/** Characters operators put in names, plus ¥ (printed as ￥) and full-width punctuation. */
const nameChar = fc.constantFrom(..."华南移动通信天河营业厅自助充值ABCxyz09 -·（）¥&'.");
const name = fc.string({ unit: nameChar, minLength: 1, maxLength: 32 }).filter((s) => /\S/.test(s));
const names = fc.record({ 'zh-CN': name, en: name });

const configArb = fc
  .record({
    operatorName: names,
    hallName: names,
    qrUrlTemplate: fc.option(
      fc.constantFrom(
        'https://pay.example.cn/r/{paymentId}',
        'https://pay.example.cn/receipt?id={paymentId}&src=kiosk',
        `https://r.example.cn/${'a'.repeat(150)}/{paymentId}`,
      ),
      { nil: undefined },
    ),
    timeZone: fc.constantFrom(
      'Asia/Shanghai',
      'UTC',
      'America/New_York',
      'Asia/Kathmandu',
      'Pacific/Chatham',
    ),
  })
  .map((raw) => receiptsConfigSchema.parse(raw));

const notesArb = fc.array(
  fc.record({
    denomination: fc.integer({ min: 1, max: 10_000_000 }),
    count: fc.integer({ min: 1, max: 1000 }),
  }),
  { minLength: 1, maxLength: 32 },
);

/** Any text at all as an account: the journal checks accounts, the receipt must survive anything. */
const accountArb = fc.string({ unit: 'binary', minLength: 1, maxLength: 64 });
const instantArb = fc
  .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true })
  .map((d) => d.toISOString());

const paymentArb: fc.Arbitrary<ReceiptPayment> = fc
  .record({
    paymentId: fc.stringMatching(/^[\x21-\x7e]{1,64}$/),
    account: accountArb,
    notes: notesArb,
    kind: fc.constantFrom('complete' as const, 'partial' as const),
    createdAt: instantArb,
  })
  .map((p) => ({
    ...p,
    currency: 'CNY',
    amount: p.notes.reduce((sum, n) => sum + n.denomination * n.count, 0),
  }));

const inputArb = fc.record({
  payment: paymentArb,
  kioskId: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/),
  config: configArb,
  language: fc.constantFrom(...LANGUAGES),
  columns: fc.constantFrom(...PAPER_COLUMNS),
  reprintedAt: fc.option(instantArb, { nil: undefined }),
});

function fourByteChars(document: PrinterDocument): string[] {
  const texts = document.blocks.flatMap((b) => (b.kind === 'text' ? [b.text] : []));
  return [...texts.join('')].filter((c) => iconv.encode(c, 'gb18030').length > 2);
}

describe('customerReceipt for any payment, names and paper', () => {
  it('every line fits the paper as the document says it, and prints unchanged on virtual paper', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const { columns } = input;
        const doc = customerReceipt(input);
        for (const b of doc.blocks) {
          if (b.kind !== 'text') continue;
          expect(textColumns(b.text)).toBeLessThanOrEqual(b.size === 'double' ? columns / 2 : columns);
        }
        expect(fourByteChars(doc)).toEqual([]);
        // `refuse`: any character the encoder would have had to replace makes this throw.
        const paper = decodePrintStream(encodeDocument(doc, { columns, unprintable: 'refuse' }), { columns });
        expect(paper.flatMap((i) => (i.kind === 'line' ? [i.text] : []))).toEqual(textLines(doc, columns));
        const { paymentId } = input.payment;
        const template = input.config.qrUrlTemplate;
        expect(paper.filter((i) => i.kind === 'qr').map((i) => i.payload)).toEqual([
          template === undefined ? paymentId : fillQrUrlTemplate(template, paymentId),
        ]);
        expect(paper.at(-1)).toEqual({ kind: 'cut' });
      }),
      { numRuns: 150 },
    );
  });

  it('the total reads back as the amount, and the note lines as their subtotals, in fen', () => {
    const fen = (line: string) => BigInt(/￥(\d+)\.(\d\d)$/.exec(line)!.slice(1, 3).join(''));
    fc.assert(
      fc.property(inputArb, (input) => {
        const lines = textLines(customerReceipt({ ...input, columns: 48, language: 'en' }), 48);
        expect(fen(lines.find((l) => l.startsWith('Total'))!)).toBe(BigInt(input.payment.amount));
        const subtotals = lines.filter((l) => l.includes(' × ')).map(fen);
        const sorted = [...input.payment.notes].sort((a, b) => a.denomination - b.denomination);
        expect(subtotals).toEqual(sorted.map((n) => BigInt(n.denomination) * BigInt(n.count)));
      }),
      { numRuns: 150 },
    );
  });

  it('refuses any payment whose amount is not its notes’ total', () => {
    fc.assert(
      fc.property(
        inputArb,
        fc.integer({ min: -1000, max: 1000 }).filter((d) => d !== 0),
        (input, delta) => {
          const payment = { ...input.payment, amount: input.payment.amount + delta };
          let error: unknown;
          try {
            customerReceipt({ ...input, payment });
          } catch (err) {
            error = err;
          }
          expect(isKioskError(error, ErrorCode.DeviceBadArgument)).toBe(true);
        },
      ),
      { numRuns: 100 },
    );
  });
});
