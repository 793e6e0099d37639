import { describe, expect, it } from 'vitest';
import {
  isPrintFailedError,
  type PrintFailedError,
} from '../../../../../devices/printer/print-failed-error.js';
import type { PrinterDocument } from '../../../../../devices/printer/printer-document.js';
import {
  closeRigsAfterEach,
  PRINTER_VARIANTS,
  type PrinterDriverRig,
  startPrinterRig,
  waitUntil,
} from './escpos-driver-rig.js';

function numbered(lines: number): PrinterDocument {
  const text = Array.from({ length: lines }, (_, i) => ({
    kind: 'text' as const,
    text: `line ${String(i + 1).padStart(3, '0')} ${'x'.repeat(30)}`,
  }));
  return { blocks: [...text, { kind: 'feed', lines: 2 }, { kind: 'cut' }] };
}

const SHORT: PrinterDocument = {
  blocks: [
    { kind: 'text', text: '充值成功 Top-up done' },
    { kind: 'text', text: '￥100.00' },
    { kind: 'cut' },
  ],
};

async function failureOf(job: Promise<unknown>): Promise<PrintFailedError> {
  const error = await job.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isPrintFailedError(error)) throw new Error(`expected a PrintFailedError, got ${String(error)}`);
  return error;
}

/** A slow mechanism (40 mm/s, about 10 lines a second) with a small buffer: a job is mid-way for seconds. */
const SLOW = {
  model: { bufferBytes: 1024, xoffAtFree: 256, xonAtFree: 384, timing: { printSpeedMmPerS: 40 } },
  config: { printSpeedMmPerSecond: 40 },
};

function printedLines(rig: PrinterDriverRig): number {
  return rig.receipts().at(-1)?.lines.length ?? 0;
}

describe.each(PRINTER_VARIANTS)('escpos driver ↔ simulator (%s): faults', (variant) => {
  const rigs = closeRigsAfterEach();

  it('paper near end: prints, cuts, and warns', async () => {
    const rig = await startPrinterRig({ variant });
    rigs.push(rig);
    await rig.printer.start();
    rig.control({ action: 'paper.nearEnd' });
    await waitUntil('the near-end status', () => rig.printer.status.paper === 'nearEnd');
    expect(rig.printer.status).toEqual({ state: 'online', paper: 'nearEnd' });
    const outcome = await rig.printer.print(SHORT);
    expect(outcome).toMatchObject({
      cut: true,
      paper: 'nearEnd',
      warnings: ['paperNearEnd'],
      linesPrinted: 2,
    });
    expect(rig.receipts()[0]).toMatchObject({ lines: ['充值成功 Top-up done', '￥100.00'], cut: true });
  });

  it('paper out after line 3: the job fails paperOut with how far it got; a new roll, and the reprint works', async () => {
    const rig = await startPrinterRig({ variant });
    rigs.push(rig);
    await rig.printer.start();
    rig.control({ action: 'paper.outAfter', lines: 3 });
    const doc = numbered(20);
    const failure = await failureOf(rig.printer.print(doc));
    expect(failure.failure.reason).toBe('paperOut');
    expect(failure.failure.cut).toBe(false);
    // ESC/POS confirms no line: the driver counts lines the printer took, which is at least what
    // reached the paper and at most a couple of chunks more (the bytes in flight when it stopped).
    expect(failure.failure.linesPrinted).toBeGreaterThanOrEqual(3);
    expect(failure.failure.linesPrinted).toBeLessThan(8);
    expect(rig.receipts()[0]).toMatchObject({
      lines: doc.blocks.slice(0, 3).map((b) => (b as { text: string }).text),
      cut: false,
    });
    expect(rig.printer.status).toMatchObject({
      state: 'userError',
      action: 'clear',
      reason: 'paperOut',
      paper: 'out',
    });

    // Printing with the paper still out fails at once, with nothing sent.
    const refused = await failureOf(rig.printer.print(SHORT));
    expect(refused.failure).toEqual({ reason: 'paperOut', linesPrinted: 0, cut: false });

    rig.control({ action: 'paper.load' });
    await waitUntil('paper loaded', () => rig.printer.status.state === 'online');
    const outcome = await rig.printer.print(doc);
    expect(outcome.linesPrinted).toBe(20);
    // The driver cleared the printer's buffers when the job failed: the lines it had taken and not
    // printed do not come out on the new roll ahead of the reprint.
    const texts = doc.blocks.flatMap((b) => (b.kind === 'text' ? [b.text] : []));
    const reprint = rig.receipts().at(-1)!;
    expect(reprint.cut).toBe(true);
    expect(reprint.lines).toEqual(texts);
    expect(
      rig
        .receipts()
        .flatMap((r) => r.lines)
        .filter((line) => line === texts[3]),
    ).toHaveLength(1);
  });

  it('cover opened mid-job: fails coverOpen, not cut; closing it brings the printer back', async () => {
    const rig = await startPrinterRig({ variant, ...SLOW });
    rigs.push(rig);
    await rig.printer.start();
    const job = failureOf(rig.printer.print(numbered(30)));
    await waitUntil('two lines on paper', () => printedLines(rig) >= 2);
    rig.control({ action: 'cover.open' });
    const failure = await job;
    expect(failure.failure).toMatchObject({ reason: 'coverOpen', cut: false });
    expect(failure.failure.linesPrinted).toBeGreaterThanOrEqual(2);
    expect(failure.failure.linesPrinted).toBeLessThan(30);
    // Read at once: a status reply that came in one read with the cover's ASB message used to be
    // applied after it and show offline (frame-arrival-order.test.ts pins that down).
    expect(rig.printer.status).toMatchObject({ state: 'userError', reason: 'coverOpen' });
    // The line under the head when the cover opened may still finish; then the printer stands.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const onPaper = rig.receipts()[0]!.lines.length;
    rig.control({ action: 'cover.close' });
    await waitUntil('the cover closed', () => rig.printer.status.state === 'online');
    // The rest of the failed receipt was dropped from the printer's buffer, not printed now.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(rig.receipts()[0]!.lines).toHaveLength(onPaper);
    expect(rig.receipts()[0]!.cut).toBe(false);
  });

  it('cutter jam: every line printed, the cut failed, the job fails cutterJam', async () => {
    const rig = await startPrinterRig({ variant });
    rigs.push(rig);
    await rig.printer.start();
    rig.control({ action: 'cutter.jam' });
    const failure = await failureOf(rig.printer.print(SHORT));
    expect(failure.failure).toEqual({ reason: 'cutterJam', linesPrinted: 2, cut: false });
    expect(rig.receipts()[0]).toMatchObject({ lines: ['充值成功 Top-up done', '￥100.00'], cut: false });
    expect(rig.printer.status).toMatchObject({ state: 'hardwareError', reason: 'cutterJam' });
    rig.control({ action: 'cutter.clear' });
    await waitUntil('the cutter cleared', () => rig.printer.status.state === 'online');
    await expect(rig.printer.print(SHORT)).resolves.toMatchObject({ cut: true });
  });

  it('XOFF held for 5 s: the job waits and completes', async () => {
    const rig = await startPrinterRig({ variant });
    rigs.push(rig);
    await rig.printer.start();
    rig.control({ action: 'xoff.hold', ms: 5000 });
    const started = performance.now();
    const outcome = await rig.printer.print(numbered(10));
    expect(performance.now() - started).toBeGreaterThanOrEqual(4900);
    expect(outcome).toMatchObject({ linesPrinted: 10, cut: true });
    expect(rig.receipts()).toHaveLength(1);
    expect(rig.receipts()[0]!.lines).toHaveLength(10);
    expect((rig.model() as { buffer: { overflowedBytes: number } }).buffer.overflowedBytes).toBe(0);
  }, 15_000);

  it('a printer that takes nothing within jobStallTimeoutMs fails the job timeout', async () => {
    const rig = await startPrinterRig({ variant, config: { jobStallTimeoutMs: 1_500 } });
    rigs.push(rig);
    await rig.printer.start();
    rig.control({ action: 'xoff.hold', ms: 60_000 });
    const failure = await failureOf(rig.printer.print(SHORT));
    expect(failure.failure).toEqual({ reason: 'timeout', linesPrinted: 0, cut: false });
    expect(failure.code).toBe(3001);
  });

  it('unplugged mid-job: reported offline with how far it got, and never resent after the replug', async () => {
    const rig = await startPrinterRig({ variant, ...SLOW });
    rigs.push(rig);
    await rig.printer.start();
    const job = failureOf(rig.printer.print(numbered(40)));
    await waitUntil('three lines on paper', () => printedLines(rig) >= 3);
    await rig.unplug();
    const failure = await job;
    expect(failure.failure).toMatchObject({ reason: 'offline', cut: false });
    expect(failure.failure.linesPrinted).toBeLessThan(40);
    expect(failure.code).toBe(3004);
    await rig.plug();
    await waitUntil('the printer back online', () => rig.printer.status.state === 'online', 10_000);
    // Let whatever the printer still held print out, then make sure nothing more comes.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const receipts = rig.receipts();
    expect(receipts).toHaveLength(1);
    expect(receipts[0]!.cut).toBe(false);
    expect(receipts[0]!.lines.length).toBeLessThan(40);
    const linesAfter = receipts[0]!.lines.length;
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(printedLines(rig)).toBe(linesAfter);
    expect(rig.statuses.map((s) => s.state)).toContain('offline');
  }, 20_000);
});
