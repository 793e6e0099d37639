import { ErrorCode, KioskError } from '../../../../core/errors.js';
import { MIN_FRAME_LENGTH, SYNC } from './constants.js';
import { crc16Kermit } from './crc.js';
import type { Id003Frame } from './frame.js';

export interface Id003FrameParserOptions {
  /**
   * Most bytes ever held while waiting for the rest of a frame (default 512). Below 255,
   * frames whose length byte exceeds it are skipped and counted as overflows.
   */
  maxBufferBytes?: number;
}

export interface Id003FrameParserStats {
  /** Frames returned. */
  frames: number;
  /** Candidate frames (sync and plausible length) whose CRC did not match. */
  crcErrors: number;
  /** Bytes discarded while searching for a frame, including those discarded by reset(). */
  droppedBytes: number;
  /** Candidate frames whose length byte exceeded maxBufferBytes. */
  overflows: number;
}

const DEFAULT_MAX_BUFFER_BYTES = 512;
/** Far above any real need; stops a config typo from allocating gigabytes. */
const LARGEST_MAX_BUFFER_BYTES = 65_536;

/**
 * Finds ID-003 frames in a byte stream cut at arbitrary points, in either direction.
 *
 * Resynchronisation: `FC` may occur inside data or CRC, so a candidate that fails its length
 * or CRC check loses only its first byte and the scan restarts from the next `FC`. Every
 * decision depends only on the bytes, never on how they were chunked, so the same stream
 * yields the same frames however it arrives. The buffer never holds more than
 * maxBufferBytes. The parser keeps no clock: a driver that gives up on an answer calls
 * reset() so a stale half frame cannot swallow the next reply.
 */
export class Id003FrameParser {
  readonly maxBufferBytes: number;
  private readonly buffer: Uint8Array;
  private start = 0;
  private end = 0;
  private readonly counters: Id003FrameParserStats = {
    frames: 0,
    crcErrors: 0,
    droppedBytes: 0,
    overflows: 0,
  };

  constructor(opts: Id003FrameParserOptions = {}) {
    const max = opts.maxBufferBytes ?? DEFAULT_MAX_BUFFER_BYTES;
    if (!Number.isInteger(max) || max < MIN_FRAME_LENGTH || max > LARGEST_MAX_BUFFER_BYTES) {
      throw new KioskError(
        ErrorCode.DeviceBadArgument,
        `ID-003 parser maxBufferBytes must be an integer from ${MIN_FRAME_LENGTH} to ${LARGEST_MAX_BUFFER_BYTES}, got ${max}`,
        { details: { maxBufferBytes: max } },
      );
    }
    this.maxBufferBytes = max;
    this.buffer = new Uint8Array(max);
  }

  get bufferedBytes(): number {
    return this.end - this.start;
  }

  /** A snapshot; later pushes do not change it. */
  get stats(): Id003FrameParserStats {
    return { ...this.counters };
  }

  /** Appends `chunk` and returns every frame it completes, oldest first. Never throws on content. */
  push(chunk: Uint8Array): Id003Frame[] {
    if (!(chunk instanceof Uint8Array)) {
      throw new KioskError(ErrorCode.DeviceBadArgument, 'ID-003 parser accepts only Uint8Array chunks', {
        details: { got: typeof chunk },
      });
    }
    const frames: Id003Frame[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      if (this.end === this.buffer.length) {
        // scan() always leaves the buffer short of full, so compacting always frees room.
        this.buffer.copyWithin(0, this.start, this.end);
        this.end -= this.start;
        this.start = 0;
      }
      const n = Math.min(chunk.length - offset, this.buffer.length - this.end);
      this.buffer.set(chunk.subarray(offset, offset + n), this.end);
      this.end += n;
      offset += n;
      this.scan(frames);
    }
    return frames;
  }

  /** Discards any partial frame (counted in droppedBytes); the counters keep running. */
  reset(): void {
    this.counters.droppedBytes += this.end - this.start;
    this.start = 0;
    this.end = 0;
  }

  private scan(out: Id003Frame[]): void {
    const buf = this.buffer;
    for (;;) {
      const available = this.end - this.start;
      if (available === 0) {
        this.start = 0;
        this.end = 0;
        return;
      }
      if (buf[this.start] !== SYNC) {
        const at = buf.subarray(this.start, this.end).indexOf(SYNC);
        const skip = at < 0 ? available : at;
        this.counters.droppedBytes += skip;
        this.start += skip;
        continue;
      }
      if (available < 2) return;
      const length = buf[this.start + 1]!;
      if (length < MIN_FRAME_LENGTH) {
        this.dropOne();
        continue;
      }
      if (length > buf.length) {
        this.counters.overflows++;
        this.dropOne();
        continue;
      }
      if (available < length) return;
      const crcAt = this.start + length - 2;
      const sent = buf[crcAt]! | (buf[crcAt + 1]! << 8);
      if (crc16Kermit(buf, this.start, crcAt) !== sent) {
        this.counters.crcErrors++;
        this.dropOne();
        continue;
      }
      out.push({ code: buf[this.start + 2]!, data: buf.slice(this.start + 3, crcAt) });
      this.counters.frames++;
      this.start += length;
    }
  }

  private dropOne(): void {
    this.counters.droppedBytes++;
    this.start++;
  }
}
