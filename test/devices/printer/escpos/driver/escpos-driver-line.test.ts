import { describe, expect, it } from 'vitest';
import { isPrintFailedError } from '../../../../../devices/printer/print-failed-error.js';
import type { PrinterDocument } from '../../../../../devices/printer/printer-document.js';
import { closeRigsAfterEach, PRINTER_VARIANTS, startPrinterRig, waitUntil } from './escpos-driver-rig.js';

const RECEIPT: PrinterDocument = {
  blocks: [
    { kind: 'text', text: '充值凭证 Receipt', align: 'center', size: 'double' },
    { kind: 'rule' },
    { kind: 'text', text: '金额 ￥100.00', bold: true },
    { kind: 'qr', payload: 'PAY-1', moduleSize: 4, errorLevel: 'M' },
    { kind: 'cut' },
  ],
};

function numbered(lines: number): PrinterDocument {
  const text = Array.from({ length: lines }, (_, i) => ({ kind: 'text' as const, text: `line ${i + 1}` }));
  return { blocks: [...text, { kind: 'cut' }] };
}

type Snapshot = { asbEnabled: number; power: string };

describe.each(PRINTER_VARIANTS)('escpos driver ↔ simulator (%s): the line', (variant) => {
  const rigs = closeRigsAfterEach();

  it('prints at 115200 baud', async () => {
    const rig = await startPrinterRig({ variant, model: { baudRate: 115200 }, config: { baudRate: 115200 } });
    rigs.push(rig);
    await rig.printer.start();
    await expect(rig.printer.print(RECEIPT)).resolves.toMatchObject({ linesPrinted: 3, cut: true });
    expect(rig.receipts()[0]).toMatchObject({
      lines: ['充值凭证 Receipt', '-'.repeat(48), '金额 ￥100.00'],
      qr: ['PAY-1'],
      cut: true,
    });
  });

  it('power cut mid-job: the job fails offline; after power-on the printer is set up again, nothing resent', async () => {
    const rig = await startPrinterRig({
      variant,
      model: { timing: { printSpeedMmPerS: 40 }, bufferBytes: 1024, xoffAtFree: 256, xonAtFree: 384 },
      config: { printSpeedMmPerSecond: 40 },
    });
    rigs.push(rig);
    await rig.printer.start();
    const job = rig.printer.print(numbered(40)).then(
      () => undefined,
      (e: unknown) => e,
    );
    await waitUntil('two lines on paper', () => (rig.receipts()[0]?.lines.length ?? 0) >= 2);
    rig.control({ action: 'power.cut' });
    const error = await job;
    expect(isPrintFailedError(error) && error.failure.reason).toBe('offline');
    const onPaper = rig.receipts()[0]!.lines.length;
    expect(onPaper).toBeLessThan(40);
    rig.control({ action: 'power.on' });
    await waitUntil('the printer online again', () => rig.printer.status.state === 'online', 10_000);
    await waitUntil('ASB on again', () => (rig.model() as Snapshot).asbEnabled !== 0);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(rig.receipts()).toHaveLength(1);
    expect(rig.receipts()[0]!.lines).toHaveLength(onPaper);
  }, 20_000);

  it('a power cycle shorter than the line watchdog: ASB is set up again, and the poll sees paper out', async () => {
    const rig = await startPrinterRig({ variant });
    rigs.push(rig);
    await rig.printer.start();
    rig.control({ action: 'power.cut' });
    await waitUntil('a poll to go unanswered', () => rig.printer.status.state === 'offline');
    rig.control({ action: 'power.on' });
    await waitUntil('ASB on again', () => (rig.model() as Snapshot).asbEnabled !== 0, 5_000);
    await waitUntil('the printer online', () => rig.printer.status.state === 'online');
    rig.control({ action: 'paper.out' });
    await waitUntil('paper out seen', () => rig.printer.status.reason === 'paperOut');
  });

  it('status bytes corrupted on the way back: the parser resyncs and the status ends right', async () => {
    const rig = await startPrinterRig({ variant });
    rigs.push(rig);
    await rig.printer.start();
    rig.control({ action: 'line.corrupt', direction: 'toHost', bytes: 6 });
    rig.control({ action: 'paper.out' });
    await waitUntil('paper out seen', () => rig.printer.status.reason === 'paperOut', 5_000);
    rig.control({ action: 'paper.load' });
    await waitUntil('paper back', () => rig.printer.status.state === 'online', 5_000);
    await expect(rig.printer.print(RECEIPT)).resolves.toMatchObject({ cut: true });
  });
});
