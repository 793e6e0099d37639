import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ErrorCode, isKioskError } from '../../core/errors.js';
import { guardMqttPacketSize } from '../../src/fleet-protocol/mqtt-packet-size-guard.js';

/** Feeds `bytes` to a guarded stream in chunks of `chunkSize`; returns the destroy error, if any. */
async function feed(
  bytes: Buffer,
  chunkSize: number,
  limit: number,
): Promise<{ error: unknown; announced: number[] }> {
  const stream = new PassThrough();
  const announced: number[] = [];
  let error: unknown;
  stream.on('error', (e) => {
    error = e;
  });
  stream.on('data', () => {});
  guardMqttPacketSize(stream, limit, (n) => announced.push(n));
  for (let at = 0; at < bytes.length && !stream.destroyed; at += chunkSize) {
    stream.write(bytes.subarray(at, at + chunkSize));
  }
  // destroy() emits 'error' on a later tick.
  await new Promise((resolve) => setImmediate(resolve));
  return { error, announced };
}

const small = Buffer.from([0x30, 0x05, 0x00, 0x01, 0x74, 0x68, 0x69]); // PUBLISH "t" "hi", 7 bytes
const ping = Buffer.from([0xc0, 0x00]);
/** A PUBLISH header announcing 200,000 body bytes (3 length bytes), without the body. */
const bigHeader = Buffer.from([0x30, 0xc0, 0x9a, 0x0c]);

describe('MQTT packet size guard', () => {
  it.each([1, 2, 3, 64])('passes packets within the limit, split into %i-byte chunks', async (chunk) => {
    const stream = Buffer.concat([small, ping, small, ping]);
    expect(await feed(stream, chunk, 1024)).toEqual({ error: undefined, announced: [] });
  });

  it.each([1, 2, 5])(
    'ends the stream at a header announcing more, split into %i-byte chunks',
    async (chunk) => {
      const result = await feed(Buffer.concat([small, ping, bigHeader, Buffer.alloc(100)]), chunk, 1024);
      expect(result.announced).toEqual([4 + 200_000]);
      expect(isKioskError(result.error, ErrorCode.FleetBadPayload)).toBe(true);
    },
  );

  it('counts the fixed header in the size, as MQTT 5 maximumPacketSize does', async () => {
    expect((await feed(small, 7, 7)).announced).toEqual([]);
    expect((await feed(small, 7, 6)).announced).toEqual([7]);
  });

  it('refuses a remaining length with a fifth length byte', async () => {
    const malformed = Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect(isKioskError((await feed(malformed, 1, 1_000_000)).error, ErrorCode.FleetBadPayload)).toBe(true);
  });
});
