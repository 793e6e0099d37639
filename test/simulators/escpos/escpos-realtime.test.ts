import { describe, expect, it } from 'vitest';
import { RealtimeCommandFilter } from '../../../simulators/escpos/realtime-commands.js';
import { PrinterRig } from './printer-rig.js';

const CLEAR = [0x10, 0x14, 0x08, 0x01, 0x03, 0x14, 0x01, 0x06, 0x02, 0x08];
const text = (s: string) => [...new TextEncoder().encode(s)];

describe('escpos simulator: real-time commands picked from the stream', () => {
  it('passes a DLE that starts no command on to the buffer, and still finds one that starts inside it', () => {
    const filter = new RealtimeCommandFilter();
    expect(filter.filter(Uint8Array.of(0x10, 0x10, 0x04, 0x02, 0x41))).toEqual([
      { kind: 'data', bytes: Uint8Array.of(0x10) },
      { kind: 'status', query: 2 },
      { kind: 'data', bytes: Uint8Array.of(0x41) },
    ]);
    expect(filter.filter(Uint8Array.of(0x10, 0x04, 0x05))).toEqual([
      { kind: 'data', bytes: Uint8Array.of(0x10, 0x04, 0x05) },
    ]);
    // A clear cut short is data, in order.
    expect(filter.filter(Uint8Array.of(...CLEAR.slice(0, 6), 0x00))).toEqual([
      { kind: 'data', bytes: Uint8Array.of(...CLEAR.slice(0, 6), 0x00) },
    ]);
  });

  it('finds a command split across writes, holding its start meanwhile', () => {
    const filter = new RealtimeCommandFilter();
    expect(filter.filter(Uint8Array.of(0x41, ...CLEAR.slice(0, 4)))).toEqual([
      { kind: 'data', bytes: Uint8Array.of(0x41) },
    ]);
    expect(filter.filter(Uint8Array.of(...CLEAR.slice(4), 0x42))).toEqual([
      { kind: 'clearBuffers' },
      { kind: 'data', bytes: Uint8Array.of(0x42) },
    ]);
  });
});

describe('escpos simulator: DLE DC4 8 clears the buffers', () => {
  it('after paper out mid-receipt: the rest is discarded, answered 37 25 00, XON sent, nothing prints on the new roll', () => {
    const rig = new PrinterRig({ bufferBytes: 512, xoffAtFree: 64, xonAtFree: 128 });
    rig.control({ action: 'paper.outAfter', lines: 2 });
    const lines = Array.from({ length: 60 }, (_, i) => `line ${String(i).padStart(2, '0')}`);
    rig.send(Uint8Array.from(text(`${lines.join('\n')}\n`)));
    rig.settle();
    expect(rig.snapshot().buffer.xoff).toBe(true);
    rig.send(Uint8Array.from(CLEAR), 5);
    expect(rig.raw.slice(-4)).toEqual([0x11, 0x37, 0x25, 0x00]);
    expect(rig.snapshot()).toMatchObject({ buffer: { bytes: 0, xoff: false }, printing: false });
    expect(rig.snapshot().counters['bufferClears']).toBe(1);

    rig.control({ action: 'paper.load' });
    rig.settle();
    expect(rig.receipts().map((r) => [r.lines, r.end])).toEqual([[lines.slice(0, 2), 'torn']]);
  });

  it('clears what came before it in the same write, not what follows', () => {
    const rig = new PrinterRig();
    rig.control({ action: 'printer.offline' });
    rig.send(Uint8Array.from([...text('old\nhalf a li'), ...CLEAR, ...text('new\n')]));
    rig.control({ action: 'printer.online' });
    rig.settle();
    expect(rig.receipts()[0]!.lines).toEqual(['new']);
  });
});
