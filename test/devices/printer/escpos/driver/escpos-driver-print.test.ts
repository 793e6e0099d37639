import { describe, expect, it } from 'vitest';
import { wrapText } from '../../../../../devices/printer/escpos/codec/index.js';
import type { PrinterDocument } from '../../../../../devices/printer/printer-document.js';
import { closeRigsAfterEach, PRINTER_VARIANTS, startPrinterRig } from './escpos-driver-rig.js';

/** A kiosk receipt: Chinese and English text, styling, a rule, a QR code, feed and cut. */
const RECEIPT: PrinterDocument = {
  blocks: [
    { kind: 'text', text: '中国移动 充值凭证', align: 'center', bold: true, size: 'double' },
    { kind: 'text', text: 'Mobile top-up receipt', align: 'center' },
    { kind: 'rule' },
    { kind: 'text', text: '账号 Account: 138****5678' },
    { kind: 'text', text: '金额 Amount: ￥150.00', bold: true },
    { kind: 'text', text: '100元 x1  50元 x1', align: 'right' },
    { kind: 'qr', payload: 'PAY-2026-000123', moduleSize: 6, errorLevel: 'M', align: 'center' },
    { kind: 'feed', lines: 3 },
    { kind: 'cut' },
  ],
};

/** What the customer reads on RECEIPT at 48 columns. */
const RECEIPT_LINES = [
  '中国移动 充值凭证',
  'Mobile top-up receipt',
  '-'.repeat(48),
  '账号 Account: 138****5678',
  '金额 Amount: ￥150.00',
  '100元 x1  50元 x1',
];

/** A receipt of `lines` numbered lines, long enough to fill the printer's receive buffer. */
function longReceipt(lines: number): PrinterDocument {
  const text = Array.from({ length: lines }, (_, i) => ({
    kind: 'text' as const,
    text: `line ${String(i + 1).padStart(3, '0')} ${'x'.repeat(30)}`,
  }));
  return { blocks: [...text, { kind: 'cut' }] };
}

describe.each(PRINTER_VARIANTS)('escpos driver ↔ simulator (%s): printing', (variant) => {
  const rigs = closeRigsAfterEach();

  it('starts with ESC @, ASB on and a status read, and reports the printer online', async () => {
    const rig = await startPrinterRig({ variant });
    rigs.push(rig);
    await rig.printer.start();
    expect(rig.printer.status).toEqual({ state: 'online', paper: 'ok' });
    expect((rig.model() as { asbEnabled: number }).asbEnabled).not.toBe(0);
  });

  it('prints a receipt whose virtual paper equals the document, cut', async () => {
    const rig = await startPrinterRig({ variant });
    rigs.push(rig);
    await rig.printer.start();
    const outcome = await rig.printer.print(RECEIPT);
    expect(outcome).toMatchObject({
      linesPrinted: RECEIPT_LINES.length,
      cut: true,
      paper: 'ok',
      warnings: [],
    });
    const receipts = rig.receipts();
    expect(receipts).toHaveLength(1);
    expect(receipts[0]).toMatchObject({ lines: RECEIPT_LINES, qr: ['PAY-2026-000123'], cut: true });
  });

  it('resolves only once the cut is on paper', async () => {
    const rig = await startPrinterRig({ variant });
    rigs.push(rig);
    await rig.printer.start();
    let cutWhenResolved: boolean | undefined;
    await rig.printer.print(RECEIPT).then(() => {
      cutWhenResolved = rig.receipts()[0]?.cut;
    });
    expect(cutWhenResolved).toBe(true);
  });

  it('paces a job larger than the receive buffer by XON/XOFF and loses no byte', async () => {
    // A slow mechanism (40 mm/s, 94 ms a line) behind a 9600-baud wire (45 ms a line): the buffer fills.
    const rig = await startPrinterRig({
      variant,
      model: { bufferBytes: 512, xoffAtFree: 192, xonAtFree: 256, timing: { printSpeedMmPerS: 40 } },
      config: { printSpeedMmPerSecond: 40 },
    });
    rigs.push(rig);
    await rig.printer.start();
    const doc = longReceipt(30);
    const outcome = await rig.printer.print(doc);
    expect(outcome.linesPrinted).toBe(30);
    const snapshot = rig.model() as { buffer: { overflowedBytes: number; xoffSent: number } };
    expect(snapshot.buffer.xoffSent).toBeGreaterThan(0);
    expect(snapshot.buffer.overflowedBytes).toBe(0);
    const printed = rig.receipts()[0]!;
    expect(printed.cut).toBe(true);
    expect(printed.lines).toEqual(doc.blocks.flatMap((b) => (b.kind === 'text' ? wrapText(b.text, 48) : [])));
  });

  it('runs jobs one at a time in call order', async () => {
    const rig = await startPrinterRig({ variant });
    rigs.push(rig);
    await rig.printer.start();
    const first = rig.printer.print({ blocks: [{ kind: 'text', text: 'first' }, { kind: 'cut' }] });
    const second = rig.printer.print({ blocks: [{ kind: 'text', text: 'second' }, { kind: 'cut' }] });
    await Promise.all([first, second]);
    expect(rig.receipts().map((r) => [r.lines, r.cut])).toEqual([
      [['first'], true],
      [['second'], true],
    ]);
  });

  it('refuses a document the codec cannot print, naming the block, and sends nothing', async () => {
    const rig = await startPrinterRig({ variant });
    rigs.push(rig);
    await rig.printer.start();
    await expect(rig.printer.print({ blocks: [{ kind: 'feed', lines: 999 }] })).rejects.toMatchObject({
      code: 3007,
      message: expect.stringContaining('block 0'),
    });
    expect(rig.receipts()).toEqual([]);
  });
});
