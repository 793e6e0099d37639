import { describe, expect, it } from 'vitest';
import type { PrinterDocument } from '../../../devices/printer/printer-document.js';
import { PrinterRig, SAMPLE_LINES, SAMPLE_RECEIPT } from './printer-rig.js';

const tenLines: PrinterDocument = {
  blocks: [
    ...Array.from({ length: 10 }, (_, i) => ({ kind: 'text' as const, text: `line ${i + 1}` })),
    { kind: 'cut' },
  ],
};
const tenLineTexts = Array.from({ length: 10 }, (_, i) => `line ${i + 1}`);

describe('escpos simulator: paper', () => {
  it('near end: keeps printing, and runs out for real once the last metres are used', () => {
    const rig = new PrinterRig({ nearEndMm: 20, timing: { lineHeightMm: 4, cutterDistanceMm: 0 } });
    rig.control({ action: 'paper.nearEnd' });
    expect(rig.snapshot().paper).toMatchObject({ level: 'nearEnd', remainingMm: 20 });
    rig.print(tenLines);
    rig.settle();
    // 20 mm is five 4 mm lines.
    expect(rig.receipts()[0]!.lines).toEqual(tenLineTexts.slice(0, 5));
    expect(rig.snapshot().paper.level).toBe('out');
    expect(rig.condition()).toMatchObject({ offline: true, paper: 'out' });
  });

  it('out after N lines: N lines on paper, the rest kept in the buffer and printed on a new roll', () => {
    const rig = new PrinterRig();
    rig.control({ action: 'paper.outAfter', lines: 4 });
    rig.print(tenLines);
    rig.settle();
    const [halfReceipt] = rig.receipts();
    expect(halfReceipt!.lines).toEqual(tenLineTexts.slice(0, 4));
    expect(halfReceipt!.end).toBe('printing');
    expect(rig.snapshot()).toMatchObject({ paper: { level: 'out' }, printing: true });

    rig.control({ action: 'paper.load' });
    rig.settle();
    const receipts = rig.receipts();
    expect(receipts.map((r) => [r.lines, r.end])).toEqual([
      [tenLineTexts.slice(0, 4), 'torn'],
      [tenLineTexts.slice(4), 'cut'],
    ]);
  });

  it('out now, between receipts: nothing prints until paper is loaded', () => {
    const rig = new PrinterRig();
    rig.control({ action: 'paper.out' });
    rig.print(SAMPLE_RECEIPT);
    rig.settle();
    expect(rig.receipts()).toEqual([]);
    rig.control({ action: 'paper.load', lengthMm: 5000 });
    rig.settle();
    expect(rig.receipts()[0]!.lines).toEqual(SAMPLE_LINES);
    expect(rig.snapshot().paper.level).toBe('ok');
  });
});

describe('escpos simulator: cover, cutter, offline', () => {
  it('cover open mid-receipt stops printing; closing it resumes where it stopped', () => {
    const rig = new PrinterRig({ timing: { printSpeedMmPerS: 100, lineHeightMm: 4 } });
    rig.print(tenLines);
    rig.run(130); // three lines done, the fourth under the head
    rig.control({ action: 'cover.open' });
    rig.run(1000);
    expect(rig.receipts()[0]!.lines).toEqual(tenLineTexts.slice(0, 4));
    expect(rig.condition()).toMatchObject({ offline: true, coverOpen: true });
    rig.control({ action: 'cover.close' });
    rig.settle();
    expect(rig.receipts()[0]).toMatchObject({ lines: tenLineTexts, cut: true });
  });

  it('a jammed cutter leaves the receipt uncut and stops; clearing it tears the receipt off and goes on', () => {
    const rig = new PrinterRig();
    rig.control({ action: 'cutter.jam' });
    rig.print(SAMPLE_RECEIPT);
    rig.print({ blocks: [{ kind: 'text', text: 'next' }, { kind: 'cut' }] });
    rig.settle();
    expect(rig.receipts()).toHaveLength(1);
    expect(rig.receipts()[0]).toMatchObject({ lines: SAMPLE_LINES, cut: false, end: 'printing' });
    expect(rig.condition()).toMatchObject({ offline: true, cutterError: true });

    rig.control({ action: 'cutter.clear' });
    rig.settle();
    expect(rig.receipts().map((r) => [r.lines.at(-1), r.end])).toEqual([
      [SAMPLE_LINES.at(-1), 'torn'],
      ['next', 'cut'],
    ]);
    expect(rig.condition()).toMatchObject({ offline: false, cutterError: false });
    expect(rig.snapshot().counters).toMatchObject({ cutterJams: 1, cuts: 1 });
  });

  it('offline stops printing until online', () => {
    const rig = new PrinterRig();
    rig.control({ action: 'printer.offline' });
    rig.print(SAMPLE_RECEIPT);
    rig.settle();
    expect(rig.receipts()).toEqual([]);
    expect(rig.query(1)).toEqual({ offline: true });
    rig.control({ action: 'printer.online' });
    rig.settle();
    expect(rig.receipts()[0]!.cut).toBe(true);
  });
});

describe('escpos simulator: power', () => {
  it('a power cut loses the buffer and ends printing; paper printed stays; XON after the boot', () => {
    const rig = new PrinterRig({ timing: { printSpeedMmPerS: 100, lineHeightMm: 4, bootMs: 200 } });
    rig.print(tenLines);
    rig.run(90); // two lines printed, the third under the head
    rig.control({ action: 'power.cut' });
    expect(rig.snapshot()).toMatchObject({ power: 'off', buffer: { bytes: 0 }, printing: false });
    rig.run(1000);
    expect(rig.receipts()[0]!.lines).toEqual(tenLineTexts.slice(0, 2));

    rig.control({ action: 'power.on' });
    expect(rig.snapshot().power).toBe('booting');
    rig.run(199);
    expect(rig.flow()).toEqual([]);
    rig.run(1);
    expect(rig.flow()).toEqual(['xon']);
    expect(rig.snapshot().power).toBe('on');
    rig.print({ blocks: [{ kind: 'text', text: 'after' }, { kind: 'cut' }] });
    rig.settle();
    // The half receipt is still under the head, so the new text continues it.
    expect(rig.receipts()[0]).toMatchObject({ lines: [...tenLineTexts.slice(0, 2), 'after'], cut: true });
  });
});

describe('escpos simulator: line corruption', () => {
  it('flips a bit in each of the next N bytes the printer sends; the parser drops them and resyncs', () => {
    const rig = new PrinterRig({ seed: 7 });
    rig.control({ action: 'line.corrupt', direction: 'toHost', bytes: 4 });
    rig.send(Uint8Array.of(0x1d, 0x61, 0x0f), 5);
    expect(rig.raw).toHaveLength(4);
    expect(rig.raw).not.toEqual([0x10, 0x00, 0x00, 0x00]);
    rig.parser.forgetPendingQueries();
    expect(rig.query(4)).toEqual({ paper: 'ok' });
    expect(rig.snapshot().counters['corruptedBytes']).toBe(4);
  });

  it('flips bits in what the printer receives: the text is garbled, the next line is not', () => {
    const rig = new PrinterRig({ seed: 3 });
    rig.control({ action: 'line.corrupt', direction: 'toDevice', bytes: 3 });
    rig.send(new TextEncoder().encode('abc'));
    rig.send(new TextEncoder().encode('def\nghi\n'));
    rig.settle();
    const [first, second] = rig.receipts()[0]!.lines;
    expect(first).not.toBe('abcdef');
    expect(first!.slice(-3)).toBe('def');
    expect(second).toBe('ghi');
  });
});

describe('escpos simulator: FEED button', () => {
  it('feeds blank paper, reports feeding and offline while held, and holds printing back till let go', () => {
    const rig = new PrinterRig({ timing: { printSpeedMmPerS: 100, lineHeightMm: 4 } });
    rig.send(Uint8Array.of(0x1d, 0x61, 0x42)); // ASB: online/offline and panel switch
    rig.control({ action: 'button.feed', ms: 200 });
    expect(rig.condition()).toMatchObject({ offline: true, feedingByButton: true });
    rig.send(new TextEncoder().encode('after\n'));
    rig.run(150);
    expect(rig.receipts()[0]!.lines).toEqual([]);
    rig.settle();
    expect(rig.condition()).toMatchObject({ offline: false, feedingByButton: false });
    // 200 ms at 100 mm/s is 20 mm: five 4 mm lines of blank paper before the text.
    expect(rig.receipts()[0]!.marks.map((m) => m.kind)).toEqual(['feed', 'line']);
    expect(rig.receipts()[0]!.marks[0]).toEqual({ kind: 'feed', lines: 5 });
    expect(rig.asbConditions().map((c) => [c.offline, c.feedingByButton])).toEqual([
      [false, false],
      [true, true],
      [false, false],
    ]);
  });
});
