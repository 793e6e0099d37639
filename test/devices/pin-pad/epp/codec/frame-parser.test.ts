import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../../../core/errors.js';
import {
  type EppFrame,
  EppFrameParser,
  type EppKeyName,
  type EppStreamItem,
  ETX,
  MAX_FRAME_BYTES,
  MIN_FRAME_BYTES,
  STX,
} from '../../../../../devices/pin-pad/epp/codec/index.js';
import {
  ascii,
  concat,
  frameBytes,
  largeFrameArb,
  frameArb as smallFrameArb,
  splitAt,
} from './arbitraries.js';

const asItems = (frames: readonly EppFrame[]): EppStreamItem[] =>
  frames.map((frame) => ({ kind: 'frame', frame }));
const pushAll = (parser: EppFrameParser, chunks: readonly Uint8Array[]) =>
  chunks.flatMap((c) => parser.push(c));
const cuts = fc.array(fc.nat(), { maxLength: 30 });
const garbageWithoutStx = fc
  .uint8Array({ maxLength: 40 })
  .map((bytes) => bytes.map((b) => (b === STX ? 0x00 : b)));

describe('EppFrameParser', () => {
  it('yields the same frames however the stream is chunked', () => {
    fc.assert(
      fc.property(fc.array(smallFrameArb, { maxLength: 8 }), cuts, (frames, points) => {
        const stream = concat(frames.map(frameBytes));
        const parser = new EppFrameParser();
        expect(pushAll(parser, splitAt(stream, points))).toEqual(asItems(frames));
        expect(parser.bufferedBytes).toBe(0);
        expect(parser.stats).toEqual({
          frames: frames.length,
          rawKeys: 0,
          badFrames: 0,
          overflows: 0,
          droppedBytes: 0,
        });
      }),
      { numRuns: 300 },
    );
  });

  it('byte-at-a-time gives the same items as one push, on any bytes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.uint8Array({ maxLength: 30 }), smallFrameArb.map(frameBytes)), { maxLength: 8 }),
        (parts) => {
          const stream = concat(parts);
          const oneByOne = new EppFrameParser();
          const got = [...stream].flatMap((b) => oneByOne.push(Uint8Array.of(b)));
          const whole = new EppFrameParser();
          expect(got).toEqual(whole.push(stream));
          expect(oneByOne.stats).toEqual(whole.stats);
        },
      ),
    );
  });

  it('finds every frame after garbage without STX, and counts the garbage as dropped', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(garbageWithoutStx, smallFrameArb), { maxLength: 6 }),
        garbageWithoutStx,
        cuts,
        (pairs, tail, points) => {
          const stream = concat([...pairs.flatMap(([g, f]) => [g, frameBytes(f)]), tail]);
          const parser = new EppFrameParser();
          const items = pushAll(parser, splitAt(stream, points));
          expect(items).toEqual(asItems(pairs.map(([, f]) => f)));
          const garbage = pairs.reduce((n, [g]) => n + g.length, 0) + tail.length;
          // A tail that opens no frame is all dropped; bytes after STX would be buffered instead.
          expect(parser.stats.droppedBytes).toBe(garbage);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('after any random bytes, a valid frame that follows decodes, and nothing ever throws', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 600 }),
        fc.array(smallFrameArb, { minLength: 1, maxLength: 4 }),
        cuts,
        (noise, frames, points) => {
          const parser = new EppFrameParser();
          const stream = concat([noise, ...frames.map(frameBytes)]);
          const items = pushAll(parser, splitAt(stream, points));
          // The noise may by chance hold frames of its own; the real ones come last, in order.
          expect(items.slice(-frames.length)).toEqual(asItems(frames));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('drops an over-long frame as an overflow and resynchronises on the next STX', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: MIN_FRAME_BYTES, max: 80 }),
        largeFrameArb,
        smallFrameArb,
        cuts,
        (max, big, next, points) => {
          const parser = new EppFrameParser({ maxFrameBytes: max });
          const bigBytes = frameBytes(big);
          const nextBytes = frameBytes(next);
          fc.pre(nextBytes.length <= max);
          let held = 0;
          const items: EppStreamItem[] = [];
          for (const chunk of splitAt(concat([bigBytes, nextBytes]), points)) {
            items.push(...parser.push(chunk));
            held = Math.max(held, parser.bufferedBytes);
          }
          expect(held).toBeLessThan(max);
          if (bigBytes.length > max) {
            expect(items).toEqual(asItems([next]));
            expect(parser.stats.overflows).toBe(1);
          } else {
            expect(items).toEqual(asItems([big, next]));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never buffers more than maxFrameBytes, even when no ETX ever comes', () => {
    const parser = new EppFrameParser({ maxFrameBytes: 16 });
    parser.push(concat([Uint8Array.of(STX), ascii('0'.repeat(10_000))]));
    expect(parser.bufferedBytes).toBe(0);
    expect(parser.stats.overflows).toBe(1);
    expect(parser.stats.droppedBytes).toBe(10_001);
    expect(parser.push(frameBytes({ code: 0x30, params: new Uint8Array(0) }))).toHaveLength(1);
  });

  it('a frame cut short by a new STX is dropped and the new frame kept', () => {
    const parser = new EppFrameParser();
    const items = parser.push(
      concat([Uint8Array.of(STX), ascii('0130'), frameBytes({ code: 0x31, params: new Uint8Array(0) })]),
    );
    expect(items).toEqual(asItems([{ code: 0x31, params: new Uint8Array(0) }]));
    expect(parser.stats).toMatchObject({ frames: 1, badFrames: 1, droppedBytes: 5 });
  });

  it('drops frames with a bad check, bad length, lower-case hex or a stray byte, keeping the next', () => {
    const good = frameBytes({ code: 0x50, params: Uint8Array.of(0x2a) });
    for (const bad of ['013032', '023031', '033200c8f9', '0130\x8031', '0130311']) {
      const parser = new EppFrameParser();
      const items = parser.push(concat([Uint8Array.of(STX), ascii(bad), Uint8Array.of(ETX), good]));
      expect(items, JSON.stringify(bad)).toEqual(asItems([{ code: 0x50, params: Uint8Array.of(0x2a) }]));
      expect(parser.stats.badFrames, JSON.stringify(bad)).toBe(1);
    }
  });

  it('waits for the rest of a frame, and reset() drops it', () => {
    const parser = new EppFrameParser();
    expect(parser.push(concat([Uint8Array.of(STX), ascii('0130')]))).toEqual([]);
    expect(parser.bufferedBytes).toBe(5);
    parser.reset();
    expect(parser.bufferedBytes).toBe(0);
    expect(parser.stats.droppedBytes).toBe(5);
    expect(parser.push(concat([ascii('31'), Uint8Array.of(ETX)]))).toEqual([]);
  });

  it('parses a frame of the maximum size', () => {
    const frame = { code: 0x31, params: new Uint8Array(254).fill(0x41) };
    expect(frameBytes(frame).length).toBe(MAX_FRAME_BYTES);
    expect(new EppFrameParser().push(frameBytes(frame))).toEqual(asItems([frame]));
  });

  describe('raw-key dialect', () => {
    const zt588 = new Map<number, EppKeyName>([
      [0x2a, 'digit'],
      [0x08, 'clear'],
      [0x0d, 'enter'],
      [0x1b, 'cancel'],
    ]);

    it('reports key bytes between frames as keys, in stream order', () => {
      const parser = new EppFrameParser({ rawKeyBytes: zt588 });
      const ok = frameBytes({ code: 0x40, params: Uint8Array.of(0) });
      const items = parser.push(concat([Uint8Array.of(0x2a, 0x2a), ok, Uint8Array.of(0x08, 0x77, 0x0d)]));
      expect(items).toEqual([
        { kind: 'rawKey', key: 'digit' },
        { kind: 'rawKey', key: 'digit' },
        { kind: 'frame', frame: { code: 0x40, params: Uint8Array.of(0) } },
        { kind: 'rawKey', key: 'clear' },
        { kind: 'rawKey', key: 'enter' },
      ]);
      expect(parser.stats).toMatchObject({ rawKeys: 4, droppedBytes: 1 });
    });

    it('a key byte inside a frame breaks that frame but still counts as a key', () => {
      const parser = new EppFrameParser({ rawKeyBytes: zt588 });
      const items = parser.push(
        concat([Uint8Array.of(STX), ascii('01'), Uint8Array.of(0x0d), ascii('3031'), Uint8Array.of(ETX)]),
      );
      expect(items).toEqual([{ kind: 'rawKey', key: 'enter' }]);
      expect(parser.stats.badFrames).toBe(1);
    });

    it('is off by default: the same bytes are dropped', () => {
      const parser = new EppFrameParser();
      expect(parser.push(Uint8Array.of(0x2a, 0x0d, 0x1b))).toEqual([]);
      expect(parser.stats.droppedBytes).toBe(3);
    });

    it('refuses a key byte that could be part of a frame', () => {
      for (const byte of [STX, ETX, 0x30, 0x41]) {
        expect(() => new EppFrameParser({ rawKeyBytes: new Map([[byte, 'enter']]) })).toThrow(
          expect.objectContaining({ code: ErrorCode.DeviceBadArgument }),
        );
      }
    });
  });

  it('refuses a bad maxFrameBytes and a non-byte chunk with DeviceBadArgument', () => {
    for (const max of [0, MIN_FRAME_BYTES - 1, 1.5, MAX_FRAME_BYTES + 1, Number.NaN]) {
      expect(() => new EppFrameParser({ maxFrameBytes: max }), String(max)).toThrow(
        expect.objectContaining({ code: ErrorCode.DeviceBadArgument }),
      );
    }
    expect(() => new EppFrameParser().push('02' as unknown as Uint8Array)).toThrow(
      expect.objectContaining({ code: ErrorCode.DeviceBadArgument }),
    );
  });
});
