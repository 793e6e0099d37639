import { describe, expect, it } from 'vitest';
import { ErrorCode, isKioskError } from '../../../core/errors.js';
import type { LineSettings } from '../../../core/line-settings.js';
import { SimLine } from '../../../simulators/harness/sim-line.js';

const line8E1: LineSettings = {
  baudRate: 9600,
  dataBits: 8,
  parity: 'even',
  stopBits: 1,
  rtscts: false,
  xonxoff: false,
};

const escrowReply = Uint8Array.of(0xfc, 0x06, 0x13, 0x63, 0xa2, 0xd8);

function bitsDiffering(a: Uint8Array, b: Uint8Array): number {
  let bits = 0;
  for (let i = 0; i < a.length; i++) {
    let x = (a[i] ?? 0) ^ (b[i] ?? 0);
    while (x) {
      bits += x & 1;
      x >>= 1;
    }
  }
  return bits;
}

describe('SimLine pacing', () => {
  it('takes about 6.9 ms for a 6-byte reply at 9600 8E1', () => {
    const sim = new SimLine({ line: line8E1, seed: 1 });
    const delivery = sim.transmit('toHost', escrowReply, 100);
    expect(delivery).toBeDefined();
    expect(delivery!.at - 100).toBeCloseTo(6.875, 3);
    expect(delivery!.bytes).toEqual(escrowReply);
  });

  it('queues a chunk behind the one still on the wire', () => {
    const sim = new SimLine({ line: line8E1, seed: 1 });
    const first = sim.transmit('toHost', escrowReply, 0)!;
    const second = sim.transmit('toHost', escrowReply, 1)!;
    expect(second.at).toBeCloseTo(first.at + 6.875, 3);
    // The other direction has its own transmitter.
    const up = sim.transmit('toDevice', Uint8Array.of(0xfc, 0x05, 0x11, 0x27, 0x56), 1)!;
    expect(up.at).toBeCloseTo(1 + 5 * (11 / 9.6), 3);
  });

  it('delivers at once with wire time off, plus latency', () => {
    const sim = new SimLine({ line: line8E1, seed: 1, wireTime: false, faults: { latencyMs: 5 } });
    expect(sim.transmit('toHost', escrowReply, 10)!.at).toBe(15);
    expect(sim.transmit('toDevice', escrowReply, 10)!.at).toBe(15);
  });

  it('never lets a later chunk overtake an earlier one when latency shrinks', () => {
    const sim = new SimLine({ line: line8E1, seed: 1, wireTime: false, faults: { latencyMs: 50 } });
    const slow = sim.transmit('toHost', escrowReply, 0)!;
    sim.configure({ latencyMs: 0 });
    const fast = sim.transmit('toHost', escrowReply, 1)!;
    expect(fast.at).toBeGreaterThanOrEqual(slow.at);
  });
});

describe('SimLine faults', () => {
  it('corrupts every chunk by exactly one bit at corruptRate 1', () => {
    const sim = new SimLine({ line: line8E1, seed: 42, faults: { corruptRate: 1 } });
    for (let i = 0; i < 200; i++) {
      const d = sim.transmit(i % 2 ? 'toHost' : 'toDevice', escrowReply, i * 10)!;
      expect(d.corrupted).toBe(true);
      expect(bitsDiffering(d.bytes, escrowReply)).toBe(1);
    }
    expect(sim.snapshot().corruptedChunks).toBe(200);
    // The caller's buffer is never damaged in place.
    expect(escrowReply).toEqual(Uint8Array.of(0xfc, 0x06, 0x13, 0x63, 0xa2, 0xd8));
  });

  it('corrupts nothing at corruptRate 0 and drops nothing at dropRate 0', () => {
    const sim = new SimLine({ line: line8E1, seed: 42 });
    for (let i = 0; i < 200; i++) {
      const d = sim.transmit('toHost', escrowReply, i * 10)!;
      expect(d.bytes).toEqual(escrowReply);
      expect(d.corrupted).toBe(false);
    }
    expect(sim.snapshot()).toMatchObject({ corruptedChunks: 0, droppedChunks: 0 });
  });

  it('drops every chunk at dropRate 1, both directions', () => {
    const sim = new SimLine({ line: line8E1, seed: 7, faults: { dropRate: 1 } });
    for (let i = 0; i < 50; i++) {
      expect(sim.transmit('toHost', escrowReply, i)).toBeUndefined();
      expect(sim.transmit('toDevice', escrowReply, i)).toBeUndefined();
    }
    expect(sim.snapshot().droppedChunks).toBe(100);
  });

  it('flips only bits that exist on a 7-bit line', () => {
    const sim = new SimLine({ line: { ...line8E1, dataBits: 7 }, seed: 3, faults: { corruptRate: 1 } });
    for (let i = 0; i < 200; i++) {
      const d = sim.transmit('toHost', Uint8Array.of(0, 0, 0), i * 10)!;
      for (const b of d.bytes) expect(b & 0x80).toBe(0);
    }
  });

  it('makes the same faults for the same seed and different ones for another seed', () => {
    const run = (seed: number) => {
      const sim = new SimLine({ line: line8E1, seed, faults: { corruptRate: 0.3, dropRate: 0.3 } });
      return Array.from({ length: 100 }, (_, i) => {
        const d = sim.transmit('toHost', escrowReply, i * 10);
        return d ? Array.from(d.bytes).join(',') : 'dropped';
      });
    };
    expect(run(1234)).toEqual(run(1234));
    expect(run(1234)).not.toEqual(run(4321));
    const outcomes = run(1234);
    const dropped = outcomes.filter((o) => o === 'dropped').length;
    expect(dropped).toBeGreaterThan(10);
    expect(dropped).toBeLessThan(50);
  });

  it('rejects bad settings naming the field and changes nothing', () => {
    const sim = new SimLine({ line: line8E1, seed: 1, faults: { corruptRate: 0.5 } });
    const before = sim.snapshot();
    for (const [bad, field] of [
      [{ corruptRate: 2 }, 'corruptRate'],
      [{ dropRate: -0.1 }, 'dropRate'],
      [{ latencyMs: 'slow' }, 'latencyMs'],
      [{ corruptRate: 0, jitter: 3 }, 'jitter'],
    ] as const) {
      let caught: unknown;
      try {
        sim.configure(bad);
      } catch (error) {
        caught = error;
      }
      expect(isKioskError(caught, ErrorCode.SimBadControl)).toBe(true);
      expect((caught as Error).message).toContain(field);
      expect(sim.snapshot()).toEqual(before);
    }
  });
});
