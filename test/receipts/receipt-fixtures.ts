import type { PrinterDocument } from '../../devices/printer/printer-document.js';
import { type ReceiptsConfig, receiptsConfigSchema } from '../../src/receipts/receipt-config.js';
import type { ReceiptPayment } from '../../src/receipts/receipt-document.js';

export const config: ReceiptsConfig = receiptsConfigSchema.parse({
  operatorName: { 'zh-CN': '华南移动通信', en: 'South China Mobile' },
  hallName: { 'zh-CN': '天河营业厅', en: 'Tianhe Service Hall' },
});

/** 09:41:07 in Shanghai (UTC+8, no daylight saving). */
export const payment: ReceiptPayment = {
  paymentId: '01JEQ7Z3N8X4V2R6T9W5Y7K3MB',
  account: '13812345678',
  amount: 25_000,
  currency: 'CNY',
  notes: [
    { denomination: 10_000, count: 2 },
    { denomination: 5000, count: 1 },
  ],
  kind: 'complete',
  createdAt: '2026-12-05T01:41:07.123Z',
};

/** The text of every text or rule block, in order; rules as `-` across the given width. */
export function textLines(document: PrinterDocument, columns: number): string[] {
  return document.blocks.flatMap((b) =>
    b.kind === 'text' ? [b.text] : b.kind === 'rule' ? ['-'.repeat(columns)] : [],
  );
}
