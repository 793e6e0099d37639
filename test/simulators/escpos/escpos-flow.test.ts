import { describe, expect, it } from 'vitest';
import { XOFF, XON } from '../../../devices/printer/escpos/codec/index.js';
import { PrinterRig } from './printer-rig.js';

/** `count` bytes of printable text in lines of 47 characters and an LF. */
function lines(count: number): Uint8Array {
  const bytes = new Uint8Array(count);
  for (let i = 0; i < count; i++) bytes[i] = i % 48 === 47 ? 0x0a : 0x41 + (i % 26);
  return bytes;
}

describe('escpos simulator: receive buffer and XON/XOFF', () => {
  it('says XOFF when no more than xoffAtFree bytes are free, XON once xonAtFree are free again', () => {
    const rig = new PrinterRig({ bufferBytes: 1024, xoffAtFree: 128, xonAtFree: 256 });
    rig.control({ action: 'printer.offline' }); // hold the mechanism so the buffer only fills
    expect(rig.send(lines(895))).toEqual([]);
    expect(rig.snapshot().buffer).toMatchObject({ bytes: 895, xoff: false });
    expect(rig.send(lines(1))).toEqual([{ kind: 'flow', flow: 'xoff' }]);
    expect(rig.snapshot().buffer).toMatchObject({ bytes: 896, xoff: true });

    rig.control({ action: 'printer.online' });
    rig.settle();
    expect(rig.flow()).toEqual(['xoff', 'xon']);
    // XON came when the mechanism had taken the buffer down to 1024 − 256 = 768 bytes.
    const xonAt = rig.inbound.find((i) => i.message.kind === 'flow' && i.message.flow === 'xon')!.at;
    expect(xonAt).toBeGreaterThan(0);
    expect(rig.snapshot().buffer).toMatchObject({ bytes: 0, xoff: false, xoffSent: 1, xonSent: 1 });
  });

  it('drops what a host sends into a full buffer, counts it, and prints what fitted', () => {
    const rig = new PrinterRig({ bufferBytes: 512, xoffAtFree: 64, xonAtFree: 128 });
    rig.control({ action: 'cover.open' });
    rig.send(lines(480)); // 10 lines
    rig.send(lines(96));
    expect(rig.snapshot().buffer).toMatchObject({ bytes: 512, overflowedBytes: 64 });
    rig.control({ action: 'cover.close' });
    rig.settle();
    expect(rig.receipts()[0]!.lines).toHaveLength(10);
    // The 32 bytes that fitted wait for their LF like any unfinished line.
    rig.send(Uint8Array.of(0x0a));
    rig.settle();
    expect(rig.receipts()[0]!.lines.at(-1)).toBe('ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEF');
  });

  it('xoff.hold sends XOFF at once and XON when the hold ends, with the buffer drained', () => {
    const rig = new PrinterRig();
    rig.control({ action: 'xoff.hold', ms: 5000 });
    rig.run(0);
    expect(rig.raw).toEqual([XOFF]);
    rig.send(lines(96));
    rig.run(4000);
    expect(rig.receipts()[0]!.lines).toHaveLength(2);
    expect(rig.raw).toEqual([XOFF]);
    rig.run(999);
    expect(rig.raw).toEqual([XOFF]);
    rig.run(1);
    expect(rig.raw).toEqual([XOFF, XON]);
    expect(rig.snapshot().buffer.xoff).toBe(false);
  });

  it('answers DLE EOT while the buffer is full and the host has been told XOFF', () => {
    const rig = new PrinterRig({ bufferBytes: 512, xoffAtFree: 64, xonAtFree: 128 });
    rig.control({ action: 'paper.out' });
    rig.send(lines(600));
    expect(rig.snapshot().buffer).toMatchObject({ bytes: 512, xoff: true });
    expect(rig.query(4)).toEqual({ paper: 'out' });
    expect(rig.query(1)).toEqual({ offline: true });
    expect(rig.snapshot().buffer.bytes).toBe(512);
  });

  it('with RTS/CTS flow control sends no XON/XOFF bytes, only fills its buffer', () => {
    const rig = new PrinterRig({ flowControl: 'rtscts', bufferBytes: 512, xoffAtFree: 64, xonAtFree: 128 });
    rig.control({ action: 'printer.offline' });
    rig.send(lines(500));
    rig.control({ action: 'xoff.hold', ms: 10 });
    rig.run(20);
    expect(rig.raw).toEqual([]);
    expect(rig.snapshot().buffer).toMatchObject({ bytes: 500, xoff: true });
  });
});
