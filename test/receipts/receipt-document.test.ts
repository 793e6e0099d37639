import { describe, expect, it } from 'vitest';
import { ErrorCode, isKioskError } from '../../core/errors.js';
import { decodePrintStream, encodeDocument } from '../../devices/printer/escpos/codec/index.js';
import type { PrinterBlock } from '../../devices/printer/printer-document.js';
import { receiptsConfigSchema } from '../../src/receipts/receipt-config.js';
import { type CustomerReceiptInput, customerReceipt } from '../../src/receipts/receipt-document.js';
import { config, payment, textLines } from './receipt-fixtures.js';

const RULE32 = '-'.repeat(32);
const RULE48 = '-'.repeat(48);

function refusal(input: CustomerReceiptInput): string {
  try {
    customerReceipt(input);
  } catch (err) {
    if (!isKioskError(err, ErrorCode.DeviceBadArgument)) throw err;
    return err.message;
  }
  throw new Error('expected the receipt to be refused');
}

describe('customerReceipt golden documents', () => {
  it('zh-CN at 32 columns: the payment id moves under its label, which does not fit beside it', () => {
    const doc = customerReceipt({ payment, kioskId: 'KIOSK-GZ-0042', config, columns: 32 });
    expect(textLines(doc, 32)).toEqual([
      '华南移动通信',
      '天河营业厅',
      RULE32,
      '终端               KIOSK-GZ-0042',
      '时间         2026-12-05 09:41:07',
      '账号                 138****5678',
      RULE32,
      '￥50 × 1                ￥50.00',
      '￥100 × 2              ￥200.00',
      RULE32,
      '合计                    ￥250.00',
      '状态                    充值成功',
      '交易号',
      '01JEQ7Z3N8X4V2R6T9W5Y7K3MB',
      '请妥善保管此凭条',
    ]);
    const text = doc.blocks.filter((b) => b.kind === 'text');
    expect(text[0]).toEqual({
      kind: 'text',
      text: '华南移动通信',
      align: 'center',
      bold: true,
      size: 'double',
    });
    expect(text[1]).toMatchObject({ align: 'center', bold: false, size: 'normal' });
    expect(text.find((b) => b.text.startsWith('合计'))).toMatchObject({ bold: true });
    expect(text.find((b) => b.text.startsWith('01JEQ'))).toMatchObject({ align: 'right' });
    expect(doc.blocks.filter((b) => b.kind === 'qr')).toEqual([
      { kind: 'qr', payload: payment.paymentId, moduleSize: 8, errorLevel: 'M', align: 'center' },
    ]);
    expect(doc.blocks.slice(-2)).toEqual([{ kind: 'feed', lines: 2 }, { kind: 'cut' }]);
  });

  it('zh-CN at 48 columns, a partial top-up', () => {
    const doc = customerReceipt({
      payment: {
        ...payment,
        kind: 'partial',
        amount: 5050,
        notes: [
          { denomination: 50, count: 1 },
          { denomination: 5000, count: 1 },
        ],
      },
      kioskId: 'KIOSK-GZ-0042',
      config,
      language: 'zh-CN',
      columns: 48,
    });
    expect(textLines(doc, 48)).toEqual([
      '华南移动通信',
      '天河营业厅',
      RULE48,
      '终端                               KIOSK-GZ-0042',
      '时间                         2026-12-05 09:41:07',
      '账号                                 138****5678',
      RULE48,
      '￥0.50 × 1                               ￥0.50',
      '￥50 × 1                                ￥50.00',
      RULE48,
      '合计                                     ￥50.50',
      '状态                                    部分充值',
      '交易号                01JEQ7Z3N8X4V2R6T9W5Y7K3MB',
      '请妥善保管此凭条',
    ]);
  });

  it('en at 32 columns, a reprint: marked in both languages with the reprint time', () => {
    const doc = customerReceipt({
      payment,
      kioskId: 'KIOSK-GZ-0042',
      config,
      language: 'en',
      columns: 32,
      reprintedAt: '2026-12-05T02:00:00Z',
    });
    expect(textLines(doc, 32)).toEqual([
      'South China Mobile',
      'Tianhe Service Hall',
      '重印 REPRINT 2026-12-05 10:00:00',
      RULE32,
      'Kiosk              KIOSK-GZ-0042',
      'Time         2026-12-05 09:41:07',
      'Account              138****5678',
      RULE32,
      '￥50 × 1                ￥50.00',
      '￥100 × 2              ￥200.00',
      RULE32,
      'Total                   ￥250.00',
      'Status           Top-up complete',
      'Payment ID',
      '01JEQ7Z3N8X4V2R6T9W5Y7K3MB',
      'Please keep this receipt',
    ]);
    // 18 columns do not fit in 16 at double size: normal size, still centred and bold.
    expect(doc.blocks[0]).toEqual({
      kind: 'text',
      text: 'South China Mobile',
      align: 'center',
      bold: true,
      size: 'normal',
    });
    expect(doc.blocks[2]).toMatchObject({ bold: true });
  });

  it('en at 48 columns, QR holding the configured URL', () => {
    const doc = customerReceipt({
      payment,
      kioskId: 'KIOSK-GZ-0042',
      config: { ...config, qrUrlTemplate: 'https://pay.example.cn/r/{paymentId}?src=kiosk' },
      language: 'en',
      columns: 48,
    });
    expect(textLines(doc, 48)).toEqual([
      'South China Mobile',
      'Tianhe Service Hall',
      RULE48,
      'Kiosk                              KIOSK-GZ-0042',
      'Time                         2026-12-05 09:41:07',
      'Account                              138****5678',
      RULE48,
      '￥50 × 1                                ￥50.00',
      '￥100 × 2                              ￥200.00',
      RULE48,
      'Total                                   ￥250.00',
      'Status                           Top-up complete',
      'Payment ID            01JEQ7Z3N8X4V2R6T9W5Y7K3MB',
      'Please keep this receipt',
    ]);
    expect(doc.blocks[0]).toMatchObject({ size: 'double' });
    const qr = doc.blocks.find((b) => b.kind === 'qr');
    // 59 bytes need version 4 at level M: 33 modules + quiet zone = 41; 576 / 41 > 8, capped at 8.
    expect(qr).toMatchObject({
      payload: 'https://pay.example.cn/r/01JEQ7Z3N8X4V2R6T9W5Y7K3MB?src=kiosk',
      moduleSize: 8,
    });
  });

  it('prints on virtual paper exactly the document lines, with no 4-byte character refused', () => {
    for (const columns of [32, 42, 48] as const) {
      for (const language of ['zh-CN', 'en'] as const) {
        const doc = customerReceipt({ payment, kioskId: 'K-1', config, language, columns });
        const paper = decodePrintStream(encodeDocument(doc, { columns, unprintable: 'refuse' }), { columns });
        expect(paper.flatMap((i) => (i.kind === 'line' ? [i.text] : []))).toEqual(textLines(doc, columns));
        expect(paper.filter((i) => i.kind === 'qr').map((i) => i.payload)).toEqual([payment.paymentId]);
        expect(paper.at(-1)).toEqual({ kind: 'cut' });
      }
    }
  });

  it('reckons local time in the configured zone, daylight saving included', () => {
    const at = (timeZone: string, createdAt: string) =>
      textLines(
        customerReceipt({
          payment: { ...payment, createdAt },
          kioskId: 'K-1',
          config: receiptsConfigSchema.parse({ timeZone }),
          columns: 48,
        }),
        48,
      ).find((line) => line.startsWith('时间'));
    expect(at('Asia/Shanghai', '2026-12-31T16:00:00.000Z')).toMatch(/2027-01-01 00:00:00$/);
    expect(at('America/New_York', '2026-07-01T12:00:00Z')).toMatch(/2026-07-01 08:00:00$/);
    expect(at('America/New_York', '2026-12-01T12:00:00Z')).toMatch(/2026-12-01 07:00:00$/);
    expect(at('UTC', '2026-12-05T23:59:59.999Z')).toMatch(/2026-12-05 23:59:59$/);
  });

  it('keeps a long operator name whole, wrapped at normal size, and a long kiosk id under its label', () => {
    const long = receiptsConfigSchema.parse({
      operatorName: { 'zh-CN': '中国移动通信集团广东有限公司广州分公司', en: 'x' },
    });
    const doc = customerReceipt({
      payment,
      kioskId: 'KIOSK-GUANGZHOU-TIANHE-HALL-0042',
      config: long,
      columns: 32,
    });
    const lines = textLines(doc, 32);
    expect(lines.slice(0, 2)).toEqual(['中国移动通信集团广东有限公司广州', '分公司']);
    expect(doc.blocks[0]).toMatchObject({ size: 'normal', bold: true, align: 'center' });
    expect(lines).toContain('终端');
    expect(lines).toContain('KIOSK-GUANGZHOU-TIANHE-HALL-0042');
  });

  it('masks a short account entirely', () => {
    const doc = customerReceipt({
      payment: { ...payment, account: '12345' },
      kioskId: 'K',
      config,
      columns: 32,
    });
    expect(textLines(doc, 32)).toContain('账号                        ****');
  });
});

describe('customerReceipt refuses what it cannot print truthfully', () => {
  const base: CustomerReceiptInput = { payment, kioskId: 'K-1', config, columns: 32 };

  it('names the field and the value', () => {
    expect(refusal({ ...base, payment: { ...payment, amount: 24_999 } })).toBe(
      "receipt: payment.amount must equal the notes' total (25000), got 24999",
    );
    expect(refusal({ ...base, payment: { ...payment, kind: 'orphan' } })).toBe(
      'receipt: payment.kind must be complete or partial (an orphan credit has no customer receipt), got "orphan"',
    );
    expect(refusal({ ...base, payment: { ...payment, account: null } })).toBe(
      'receipt: payment.account must be an account of 1 to 64 characters, got null',
    );
    expect(refusal({ ...base, payment: { ...payment, notes: [] } })).toBe(
      'receipt: payment.notes must list 1 to 32 denominations, got 0',
    );
    expect(
      refusal({ ...base, payment: { ...payment, notes: [{ denomination: 100.5, count: 2 }], amount: 201 } }),
    ).toBe('receipt: payment.notes[0].denomination must be a positive integer of minor units, got 100.5');
    expect(
      refusal({ ...base, payment: { ...payment, notes: [{ denomination: 100, count: 0 }], amount: 0 } }),
    ).toBe('receipt: payment.notes[0].count must be an integer from 1 to 1000, got 0');
    expect(refusal({ ...base, payment: { ...payment, paymentId: 'id with spaces' } })).toBe(
      'receipt: payment.paymentId must be 1 to 64 printable ASCII characters, got "id with spaces"',
    );
    expect(refusal({ ...base, payment: { ...payment, currency: 'yuan' } })).toBe(
      'receipt: payment.currency must be a 3-letter currency code, got "yuan"',
    );
    expect(refusal({ ...base, payment: { ...payment, createdAt: 'yesterday' } })).toBe(
      'receipt: payment.createdAt must be an ISO 8601 date and time with its offset (Z or ±hh:mm), got "yesterday"',
    );
    expect(refusal({ ...base, reprintedAt: '' })).toBe(
      'receipt: reprintedAt must be an ISO 8601 date and time with its offset (Z or ±hh:mm), got ""',
    );
    expect(refusal({ ...base, columns: 40 as 32 })).toBe(
      'receipt: columns must be one of 32, 42, 48, got 40',
    );
    expect(refusal({ ...base, language: 'fr' as 'en' })).toBe(
      'receipt: language must be one of zh-CN, en, got "fr"',
    );
    expect(refusal({ ...base, kioskId: '' })).toBe(
      'receipt: kioskId must be 1 to 64 printable ASCII characters, got ""',
    );
    expect(refusal({ ...base, minorUnitsPerMajor: 3 })).toBe(
      'receipt: minorUnitsPerMajor must be 1, 10, 100 or 1000, got 3',
    );
  });

  it('returns a fresh document each time: blocks are not shared with the input', () => {
    const a = customerReceipt(base);
    (a.blocks as PrinterBlock[]).length = 0;
    expect(customerReceipt(base).blocks.length).toBeGreaterThan(10);
  });
});
