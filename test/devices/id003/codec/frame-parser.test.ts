import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode, isKioskError } from '../../../../core/errors.js';
import {
  crc16Kermit,
  type Id003Frame,
  Id003FrameParser,
  MAX_FRAME_LENGTH,
  MIN_FRAME_LENGTH,
  SYNC,
} from '../../../../devices/cash-acceptor/id003/codec/index.js';
import { concat, frameArb, frameBytes, fromHex, splitAt } from './arbitraries.js';

/** The scanning rule written as plainly as possible, over a whole stream at once. */
function referenceScan(bytes: Uint8Array, maxBufferBytes = 512): Id003Frame[] {
  const frames: Id003Frame[] = [];
  let i = 0;
  while (i < bytes.length) {
    if (bytes[i] !== SYNC || i + 1 >= bytes.length) {
      i++;
      continue;
    }
    const length = bytes[i + 1]!;
    if (length < MIN_FRAME_LENGTH || length > maxBufferBytes) {
      i++;
      continue;
    }
    if (i + length > bytes.length) break;
    const sent = bytes[i + length - 2]! | (bytes[i + length - 1]! << 8);
    if (crc16Kermit(bytes, i, i + length - 2) === sent) {
      frames.push({ code: bytes[i + 2]!, data: bytes.slice(i + 3, i + length - 2) });
      i += length;
    } else {
      i++;
    }
  }
  return frames;
}

function pushAll(parser: Id003FrameParser, chunks: readonly Uint8Array[]): Id003Frame[] {
  return chunks.flatMap((chunk) => parser.push(chunk));
}

const cuts = fc.array(fc.nat(), { maxLength: 30 });
const garbageWithoutSync = fc
  .uint8Array({ maxLength: 30 })
  .map((bytes) => bytes.map((b) => (b === SYNC ? 0x00 : b)));

describe('Id003FrameParser', () => {
  it('yields the same frames however the stream is chunked', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { maxLength: 8 }), cuts, (frames, points) => {
        const stream = concat(frames.map(frameBytes));
        const parser = new Id003FrameParser();
        expect(pushAll(parser, splitAt(stream, points))).toEqual(frames);
        expect(parser.bufferedBytes).toBe(0);
        expect(parser.stats).toEqual({ frames: frames.length, crcErrors: 0, droppedBytes: 0, overflows: 0 });
      }),
      { numRuns: 300 },
    );
  });

  it('byte-at-a-time gives the same frames as one push', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { maxLength: 5 }), (frames) => {
        const stream = concat(frames.map(frameBytes));
        const oneByOne = new Id003FrameParser();
        const got = [...stream].flatMap((b) => oneByOne.push(Uint8Array.of(b)));
        expect(got).toEqual(new Id003FrameParser().push(stream));
        expect(got).toEqual(frames);
      }),
    );
  });

  it('finds every frame after garbage with no sync byte, and counts the garbage as dropped', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(garbageWithoutSync, frameArb), { maxLength: 6 }),
        garbageWithoutSync,
        cuts,
        (pairs, tail, points) => {
          const stream = concat([...pairs.flatMap(([g, f]) => [g, frameBytes(f)]), tail]);
          const parser = new Id003FrameParser();
          expect(pushAll(parser, splitAt(stream, points))).toEqual(pairs.map(([, f]) => f));
          const garbage = pairs.reduce((n, [g]) => n + g.length, 0) + tail.length;
          expect(parser.stats.droppedBytes).toBe(garbage);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('on any bytes at all, matches the plain whole-stream scan and never throws', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.uint8Array({ maxLength: 30 }), frameArb.map(frameBytes)), { maxLength: 10 }),
        cuts,
        (parts, points) => {
          const stream = concat(parts);
          const parser = new Id003FrameParser();
          expect(pushAll(parser, splitAt(stream, points))).toEqual(referenceScan(stream));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('never holds more than maxBufferBytes, whatever arrives', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: MIN_FRAME_LENGTH, max: 600 }),
        fc.array(
          fc.oneof(
            fc.uint8Array({ maxLength: 700 }),
            // Sync plus a long declared length: the case that makes a parser wait.
            fc.integer({ min: 5, max: 255 }).map((n) => Uint8Array.of(SYNC, n)),
            frameArb.map(frameBytes),
          ),
          { maxLength: 12 },
        ),
        (max, chunks) => {
          const parser = new Id003FrameParser({ maxBufferBytes: max });
          const got: Id003Frame[] = [];
          for (const chunk of chunks) {
            got.push(...parser.push(chunk));
            expect(parser.bufferedBytes).toBeLessThanOrEqual(max);
          }
          expect(got).toEqual(referenceScan(concat(chunks), max));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('skips a frame longer than a small buffer as an overflow and finds the next one', () => {
    const parser = new Id003FrameParser({ maxBufferBytes: 16 });
    const long = fromHex('FC 14 88 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00');
    const poll = fromHex('FC 05 11 27 56');
    expect(parser.push(concat([long, poll]))).toEqual([{ code: 0x11, data: new Uint8Array(0) }]);
    expect(parser.stats.overflows).toBe(1);
  });

  it('handles FC inside data and CRC', () => {
    // Data and CRC chosen so that sync bytes appear inside the frame body.
    const frame = { code: SYNC, data: Uint8Array.of(SYNC, SYNC, 0x05, SYNC) };
    const parser = new Id003FrameParser();
    const stream = concat([frameBytes(frame), fromHex('FC 05 11 27 56')]);
    expect(parser.push(stream)).toEqual([frame, { code: 0x11, data: new Uint8Array(0) }]);
    // A frame whose CRC bytes include FC.
    let withFcInCrc: Uint8Array | undefined;
    for (let b = 0; b < 256 && !withFcInCrc; b++) {
      const candidate = frameBytes({ code: 0x13, data: Uint8Array.of(b) });
      if (candidate[4] === SYNC || candidate[5] === SYNC) withFcInCrc = candidate;
    }
    expect(withFcInCrc).toBeDefined();
    expect(new Id003FrameParser().push(withFcInCrc!)).toHaveLength(1);
  });

  it('on a CRC failure drops one byte and rescans, finding a frame that started inside the bad one', () => {
    // "FC 07" claims 7 bytes; they run into the real poll frame, so the CRC fails.
    const parser = new Id003FrameParser();
    const frames = parser.push(fromHex('FC 07 FC 05 11 27 56'));
    expect(frames).toEqual([{ code: 0x11, data: new Uint8Array(0) }]);
    expect(parser.stats).toEqual({ frames: 1, crcErrors: 1, droppedBytes: 2, overflows: 0 });
  });

  it('drops a frame whose CRC is corrupted and keeps the next', () => {
    const parser = new Id003FrameParser();
    const frames = parser.push(fromHex('FC 06 13 63 A2 D9 FC 05 15 03 10'));
    expect(frames).toEqual([{ code: 0x15, data: new Uint8Array(0) }]);
    expect(parser.stats.crcErrors).toBe(1);
  });

  it('skips a sync byte followed by a length below 5', () => {
    for (const length of [0, 1, 2, 3, 4]) {
      const parser = new Id003FrameParser();
      expect(parser.push(concat([Uint8Array.of(SYNC, length), fromHex('FC 05 11 27 56')]))).toHaveLength(1);
      expect(parser.stats.crcErrors).toBe(0);
    }
  });

  it('waits for the rest of a frame, and reset() discards it', () => {
    const parser = new Id003FrameParser();
    expect(parser.push(fromHex('FC 06 13'))).toEqual([]);
    expect(parser.bufferedBytes).toBe(3);
    parser.reset();
    expect(parser.bufferedBytes).toBe(0);
    expect(parser.stats.droppedBytes).toBe(3);
    // The tail of the abandoned frame is now garbage; the next frame still parses.
    expect(parser.push(fromHex('63 A2 D8 FC 05 15 03 10'))).toEqual([
      { code: 0x15, data: new Uint8Array(0) },
    ]);
  });

  it('holds later frames behind a stray sync with a long length until enough bytes or reset()', () => {
    // The price of resynchronising by length: the driver's answer timeout must call reset().
    const parser = new Id003FrameParser();
    expect(parser.push(fromHex('FC FE FC 05 11 27 56'))).toEqual([]);
    parser.reset();
    expect(parser.push(fromHex('FC 05 11 27 56'))).toEqual([{ code: 0x11, data: new Uint8Array(0) }]);
  });

  it('parses a frame of the maximum length', () => {
    const frame = { code: 0x88, data: new Uint8Array(MAX_FRAME_LENGTH - 5).fill(0x41) };
    expect(new Id003FrameParser().push(frameBytes(frame))).toEqual([frame]);
  });

  it('returns frames that later pushes do not overwrite', () => {
    const parser = new Id003FrameParser({ maxBufferBytes: 8 });
    const [first] = parser.push(fromHex('FC 06 13 63 A2 D8'));
    parser.push(concat([frameBytes({ code: 0x13, data: Uint8Array.of(0x64) }), fromHex('FC 06 13 65')]));
    expect(first).toEqual({ code: 0x13, data: Uint8Array.of(0x63) });
  });

  it('refuses a bad maxBufferBytes and a non-byte chunk with DeviceBadArgument', () => {
    for (const max of [0, 4, 1.5, 70_000, Number.NaN]) {
      let code: number | undefined;
      try {
        new Id003FrameParser({ maxBufferBytes: max });
      } catch (error) {
        code = isKioskError(error) ? error.code : -1;
      }
      expect(code, String(max)).toBe(ErrorCode.DeviceBadArgument);
    }
    const parser = new Id003FrameParser();
    expect(() => parser.push('FC' as unknown as Uint8Array)).toThrow(
      expect.objectContaining({ code: ErrorCode.DeviceBadArgument }),
    );
  });
});
