import { ErrorCode, KioskError } from '../../../../core/errors.js';
import { type EppKeyName, ETX, MAX_FRAME_BYTES, MIN_FRAME_BYTES, STX } from './constants.js';
import { decodeFrameBody, type EppFrame, hexValue } from './frame.js';

/** What the pad's byte stream carries: frames, and (in the raw-key dialect) bare key bytes. */
export type EppStreamItem = { kind: 'frame'; frame: EppFrame } | { kind: 'rawKey'; key: EppKeyName };

export interface EppFrameParserOptions {
  /** Most bytes a frame may span, STX and ETX included (default and ceiling: MAX_FRAME_BYTES). */
  maxFrameBytes?: number;
  /**
   * The raw-key dialect: bytes outside frames that are key presses (e.g. a ZT588's 1B, 08,
   * 0D). Off by default: the protocol of docs/devices/epp.md sends keys as frames.
   */
  rawKeyBytes?: ReadonlyMap<number, EppKeyName>;
}

export interface EppFrameParserStats {
  frames: number;
  rawKeys: number;
  /** STX … ETX spans that were not a frame: bad hex, length or check, or cut short by a new STX. */
  badFrames: number;
  /** Spans that grew past maxFrameBytes before their ETX. */
  overflows: number;
  /** Every byte not returned as part of a frame or raw key. */
  droppedBytes: number;
}

type ScanState = 'between' | 'inFrame';

/**
 * Finds EPP frames in a byte stream cut anywhere. STX and ETX never occur inside a frame
 * (everything between them is ASCII hex), so the scan is a two-state machine that looks at
 * one byte at a time: the same stream gives the same items however it is chunked. It holds
 * at most maxFrameBytes − 2 hex characters, resynchronises at the next STX after any damage,
 * and never throws on content. A half frame waits for its ETX or the next STX; reset()
 * drops it at once, e.g. when a driver gives up waiting.
 */
export class EppFrameParser {
  readonly maxFrameBytes: number;
  private readonly rawKeyBytes: ReadonlyMap<number, EppKeyName>;
  private readonly hex: Uint8Array;
  private hexLength = 0;
  private state: ScanState = 'between';
  private readonly counters: EppFrameParserStats = {
    frames: 0,
    rawKeys: 0,
    badFrames: 0,
    overflows: 0,
    droppedBytes: 0,
  };

  constructor(opts: EppFrameParserOptions = {}) {
    const max = opts.maxFrameBytes ?? MAX_FRAME_BYTES;
    if (!Number.isInteger(max) || max < MIN_FRAME_BYTES || max > MAX_FRAME_BYTES) {
      throw new KioskError(
        ErrorCode.DeviceBadArgument,
        `EPP parser maxFrameBytes must be an integer from ${MIN_FRAME_BYTES} to ${MAX_FRAME_BYTES}, got ${max}`,
        { details: { maxFrameBytes: max } },
      );
    }
    const rawKeyBytes = opts.rawKeyBytes ?? new Map<number, EppKeyName>();
    for (const byte of rawKeyBytes.keys()) {
      if (byte === STX || byte === ETX || hexValue(byte) >= 0) {
        throw new KioskError(
          ErrorCode.DeviceBadArgument,
          `EPP raw key byte 0x${byte.toString(16)} would be read as part of a frame`,
          { details: { byte } },
        );
      }
    }
    this.maxFrameBytes = max;
    this.rawKeyBytes = rawKeyBytes;
    this.hex = new Uint8Array(max - 2);
  }

  /** Bytes held for a frame not yet complete (its STX included). */
  get bufferedBytes(): number {
    return this.state === 'inFrame' ? this.hexLength + 1 : 0;
  }

  /** A snapshot; later pushes do not change it. */
  get stats(): EppFrameParserStats {
    return { ...this.counters };
  }

  push(chunk: Uint8Array): EppStreamItem[] {
    if (!(chunk instanceof Uint8Array)) {
      throw new KioskError(ErrorCode.DeviceBadArgument, 'EPP parser accepts only Uint8Array chunks', {
        details: { got: typeof chunk },
      });
    }
    const items: EppStreamItem[] = [];
    for (const byte of chunk) this.step(byte, items);
    return items;
  }

  /** Discards a partial frame (counted as dropped); the counters keep running. */
  reset(): void {
    if (this.state === 'inFrame') this.counters.droppedBytes += this.hexLength + 1;
    this.state = 'between';
    this.hexLength = 0;
  }

  private step(byte: number, out: EppStreamItem[]): void {
    if (byte === STX) {
      if (this.state === 'inFrame') {
        this.counters.badFrames++;
        this.counters.droppedBytes += this.hexLength + 1;
      }
      this.state = 'inFrame';
      this.hexLength = 0;
      return;
    }
    switch (this.state) {
      case 'between': {
        const key = this.rawKeyBytes.get(byte);
        if (key === undefined) {
          this.counters.droppedBytes++;
        } else {
          this.counters.rawKeys++;
          out.push({ kind: 'rawKey', key });
        }
        return;
      }
      case 'inFrame':
        this.stepInFrame(byte, out);
        return;
    }
  }

  private stepInFrame(byte: number, out: EppStreamItem[]): void {
    if (byte === ETX) {
      const result = decodeFrameBody(this.hex, this.hexLength);
      if (result.ok) {
        this.counters.frames++;
        out.push({ kind: 'frame', frame: result.frame });
      } else {
        this.counters.badFrames++;
        this.counters.droppedBytes += this.hexLength + 2;
      }
      this.state = 'between';
      this.hexLength = 0;
      return;
    }
    const damaged = hexValue(byte) < 0;
    if (damaged || this.hexLength === this.hex.length) {
      // Not hex, or one character too many: give up on this span. What is left of it is
      // dropped byte by byte between frames (a raw key byte there still counts as a key),
      // and the next STX starts afresh.
      if (damaged) this.counters.badFrames++;
      else this.counters.overflows++;
      this.counters.droppedBytes += this.hexLength + 1;
      this.state = 'between';
      this.hexLength = 0;
      this.step(byte, out);
      return;
    }
    this.hex[this.hexLength++] = byte;
  }
}
