import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../../core/errors.js';
import {
  encodeCommand,
  encodeReply,
  type Id003Frame,
  Id003FrameStream,
} from '../../../../devices/cash-acceptor/id003/codec/index.js';

async function collect(chunks: Buffer[], stream = new Id003FrameStream()): Promise<Id003Frame[]> {
  const frames: Id003Frame[] = [];
  await pipeline(Readable.from(chunks), stream, async (source: AsyncIterable<Id003Frame>) => {
    for await (const frame of source) frames.push(frame);
  });
  return frames;
}

describe('Id003FrameStream', () => {
  it('emits frame objects from bytes split across writes and mixed with garbage', async () => {
    const escrow = Buffer.from(encodeReply({ kind: 'escrow', escrowCode: 0x63 }));
    const poll = Buffer.from(encodeCommand({ kind: 'statusRequest' }));
    const chunks = [
      Buffer.from([0x00, 0xfc, 0x02, 0xff]),
      escrow.subarray(0, 2),
      escrow.subarray(2),
      // A sync byte with a too-short length, then a candidate whose CRC fails on the poll's bytes.
      Buffer.from([0xfc, 0x01, 0xfc, 0x07]),
      poll,
      Buffer.from([0xfc, 0x06]),
    ];
    const stream = new Id003FrameStream();
    const frames = await collect(chunks, stream);
    expect(frames).toEqual([
      { code: 0x13, data: Uint8Array.of(0x63) },
      { code: 0x11, data: new Uint8Array(0) },
    ]);
    expect(stream.stats).toMatchObject({ frames: 2, crcErrors: 1 });
    // The trailing half frame is discarded at the end of input.
    expect(stream.bufferedBytes).toBe(0);
  });

  it('never errors on random garbage', async () => {
    let seed = 12345;
    const chunks = Array.from({ length: 200 }, () =>
      Buffer.from(
        Array.from({ length: 64 }, () => {
          seed = (seed * 1103515245 + 12345) & 0x7fffffff;
          return seed & 0xff;
        }),
      ),
    );
    const stream = new Id003FrameStream({ maxBufferBytes: 300 });
    await expect(collect(chunks, stream)).resolves.toBeInstanceOf(Array);
    expect(stream.stats.droppedBytes).toBeGreaterThan(0);
  });

  it('resetParser() drops a half frame', () => {
    const stream = new Id003FrameStream();
    stream.write(Buffer.from([0xfc, 0x06, 0x13]));
    expect(stream.bufferedBytes).toBe(3);
    stream.resetParser();
    expect(stream.bufferedBytes).toBe(0);
    stream.destroy();
  });

  it('refuses a bad buffer size before any stream exists', () => {
    expect(() => new Id003FrameStream({ maxBufferBytes: 1 })).toThrow(
      expect.objectContaining({ code: ErrorCode.DeviceBadArgument }),
    );
  });
});
