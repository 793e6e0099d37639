import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { ErrorCode, isKioskError } from '../../../core/errors.js';
import { encodeDocument, realtimeStatusRequest } from '../../../devices/printer/escpos/codec/index.js';
import { PrinterRig } from './printer-rig.js';

const FAULTS = [
  { action: 'paper.nearEnd' },
  { action: 'paper.out' },
  { action: 'paper.outAfter', lines: 3 },
  { action: 'paper.load' },
  { action: 'cover.open' },
  { action: 'cover.close' },
  { action: 'cutter.jam' },
  { action: 'cutter.clear' },
  { action: 'printer.offline' },
  { action: 'printer.online' },
  { action: 'power.cut' },
  { action: 'power.on' },
  { action: 'xoff.hold', ms: 50 },
  { action: 'button.feed', ms: 100 },
];

/** A control the printer's state makes impossible is refused with SimBadControl and changes nothing. */
function controlOrRefusal(rig: PrinterRig, command: Record<string, unknown>): void {
  const before = rig.snapshot();
  try {
    rig.control(command);
  } catch (error) {
    if (!isKioskError(error, ErrorCode.SimBadControl)) throw error;
    expect(rig.snapshot()).toEqual(before);
  }
}

type Step =
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'receipt'; lines: number }
  | { kind: 'query'; n: 1 | 2 | 3 | 4 }
  | { kind: 'asb'; bits: number }
  | { kind: 'control'; command: Record<string, unknown> }
  | { kind: 'wait'; ms: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('bytes' as const), bytes: fc.uint8Array({ maxLength: 300 }) }),
  fc.record({ kind: fc.constant('receipt' as const), lines: fc.integer({ min: 0, max: 40 }) }),
  fc.record({
    kind: fc.constant('query' as const),
    n: fc.constantFrom(1 as const, 2 as const, 3 as const, 4 as const),
  }),
  fc.record({ kind: fc.constant('asb' as const), bits: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('control' as const), command: fc.constantFrom(...FAULTS) }),
  fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 500 }) }),
);

function receipt(lines: number): Uint8Array {
  return encodeDocument(
    {
      blocks: [
        ...Array.from({ length: lines }, (_, i) => ({ kind: 'text' as const, text: `第${i}行 line ${i}` })),
        { kind: 'cut' },
      ],
    },
    { columns: 42 },
  );
}

describe('escpos simulator: invariants under any mix of input, faults and time', () => {
  test.prop([fc.array(step, { maxLength: 40 }), fc.integer({ min: 0, max: 2 ** 31 })], { numRuns: 120 })(
    'bounded buffer, clean output, no stuck state once every fault is cleared',
    (steps, seed) => {
      const rig = new PrinterRig({ seed, bufferBytes: 1024, xoffAtFree: 128, xonAtFree: 256 });
      for (const s of steps) {
        if (s.kind === 'bytes') rig.send(s.bytes);
        else if (s.kind === 'receipt') rig.send(receipt(s.lines));
        else if (s.kind === 'query') rig.send(realtimeStatusRequest(s.n));
        else if (s.kind === 'asb') rig.send(Uint8Array.of(0x1d, 0x61, s.bits));
        else if (s.kind === 'control') controlOrRefusal(rig, s.command);
        else rig.run(s.ms);
        const snapshot = rig.snapshot();
        expect(snapshot.buffer.bytes).toBeLessThanOrEqual(snapshot.buffer.capacity);
        expect(snapshot.paper.remainingMm).toBeGreaterThanOrEqual(0);
      }
      // Whatever the printer sends is a status reply, an ASB message or a flow byte, whole.
      expect(rig.parser.stats.droppedBytes).toBe(0);
      const flow = rig.flow().join(' ');
      expect(flow).not.toMatch(/xoff xoff/);

      for (const action of ['power.on', 'cover.close', 'cutter.clear', 'printer.online', 'paper.load']) {
        rig.control({ action });
      }
      rig.run(1000);
      rig.settle(10 * 60_000);
      const snapshot = rig.snapshot();
      expect(snapshot.printing).toBe(false);
      expect(snapshot.buffer).toMatchObject({ bytes: 0, xoff: false });
      expect(snapshot.sensors['offline']).toBe(false);
    },
  );
});
