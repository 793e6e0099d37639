import { Transform, type TransformCallback } from 'node:stream';
import type { Id003Frame } from './frame.js';
import {
  Id003FrameParser,
  type Id003FrameParserOptions,
  type Id003FrameParserStats,
} from './frame-parser.js';

/**
 * Bytes in, Id003Frame objects out, for piping a serial port the way node-serialport's
 * parsers do. Garbage never errors the stream (a stream error would tear down the pipe
 * and the port with it); it only shows in `stats`. Memory stays bounded by
 * maxBufferBytes plus the readable side's object highWaterMark.
 */
export class Id003FrameStream extends Transform {
  private readonly parser: Id003FrameParser;

  constructor(opts: Id003FrameParserOptions = {}) {
    // Built first so a bad option throws before a half-constructed stream exists.
    const parser = new Id003FrameParser(opts);
    super({ readableObjectMode: true });
    this.parser = parser;
  }

  get stats(): Id003FrameParserStats {
    return this.parser.stats;
  }

  get bufferedBytes(): number {
    return this.parser.bufferedBytes;
  }

  /** Drops a partial frame, e.g. after an answer timeout. */
  resetParser(): void {
    this.parser.reset();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    for (const frame of this.parser.push(chunk)) this.push(frame satisfies Id003Frame);
    callback();
  }

  override _flush(callback: TransformCallback): void {
    // A partial frame at end of input can never complete.
    this.parser.reset();
    callback();
  }
}
