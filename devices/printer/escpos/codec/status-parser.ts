import { ErrorCode, KioskError } from '../../../../core/errors.js';
import { XOFF, XON } from './commands.js';
import {
  ASB_LENGTH,
  isAsbFirstByte,
  isAsbFollowingByte,
  isRealtimeReply,
  STATUS_QUERIES,
  type StatusQuery,
} from './status-bytes.js';

/** What a printer sends back, one event per message. */
export type PrinterInbound =
  /** A `DLE EOT` reply; `query` is the oldest unanswered one, undefined when none was pending. */
  | { kind: 'realtime'; query: StatusQuery | undefined; byte: number }
  | { kind: 'asb'; message: Uint8Array }
  | { kind: 'flow'; flow: 'xon' | 'xoff' };

export interface PrinterInboundStats {
  asb: number;
  realtime: number;
  flow: number;
  /** Replies that came when no query was pending (late, or answering a query given up on). */
  unexpectedReplies: number;
  /** Bytes that were part of no message, including cut-short ASB messages. */
  droppedBytes: number;
}

/** Queries a driver may have in flight; more means it is not waiting for replies. */
export const MAX_PENDING_QUERIES = 8;

/**
 * Splits what an ESC/POS printer sends into messages by their fixed bits, never by counting:
 * a lost or corrupted byte costs at most the message it was in. XON/XOFF and `DLE EOT` replies
 * can arrive in the middle of an ASB message (the printer sends them as soon as they are due),
 * so they are reported at once and the message goes on. Holds at most three bytes of an
 * unfinished ASB message, whatever arrives; never throws on content.
 */
export class PrinterInboundParser {
  private readonly asb = new Uint8Array(ASB_LENGTH);
  private asbLength = 0;
  private readonly pending: StatusQuery[] = [];
  private readonly counters: PrinterInboundStats = {
    asb: 0,
    realtime: 0,
    flow: 0,
    unexpectedReplies: 0,
    droppedBytes: 0,
  };

  get stats(): PrinterInboundStats {
    return { ...this.counters };
  }

  /** Bytes of an unfinished ASB message held; never more than 3. */
  get bufferedBytes(): number {
    return this.asbLength;
  }

  get pendingQueries(): readonly StatusQuery[] {
    return [...this.pending];
  }

  /** Call when sending `DLE EOT query`, so its reply can be read. */
  expectReply(query: StatusQuery): void {
    if (!(STATUS_QUERIES as readonly unknown[]).includes(query)) {
      throw new KioskError(
        ErrorCode.DeviceBadArgument,
        `DLE EOT query must be 1 to 4, got ${String(query)}`,
        {
          details: { query },
        },
      );
    }
    if (this.pending.length >= MAX_PENDING_QUERIES) {
      throw new KioskError(
        ErrorCode.DeviceBadArgument,
        `already ${MAX_PENDING_QUERIES} DLE EOT queries unanswered; wait for replies or forget them`,
        { details: { pending: [...this.pending] } },
      );
    }
    this.pending.push(query);
  }

  /** After a timeout: late replies will come as `query: undefined` instead of answering the next question. */
  forgetPendingQueries(): void {
    this.pending.length = 0;
  }

  /** Appends `chunk` and returns every message it completes, in arrival order. */
  push(chunk: Uint8Array): PrinterInbound[] {
    if (!(chunk instanceof Uint8Array)) {
      throw new KioskError(
        ErrorCode.DeviceBadArgument,
        'printer inbound parser accepts only Uint8Array chunks',
        {
          details: { got: typeof chunk },
        },
      );
    }
    const out: PrinterInbound[] = [];
    for (const byte of chunk) this.take(byte, out);
    return out;
  }

  /** Drops an unfinished ASB message (counted) and any pending queries. */
  reset(): void {
    this.dropAsb();
    this.forgetPendingQueries();
  }

  private take(byte: number, out: PrinterInbound[]): void {
    if (byte === XON || byte === XOFF) {
      this.counters.flow++;
      out.push({ kind: 'flow', flow: byte === XON ? 'xon' : 'xoff' });
      return;
    }
    if (isRealtimeReply(byte)) {
      const query = this.pending.shift();
      if (query === undefined) this.counters.unexpectedReplies++;
      this.counters.realtime++;
      out.push({ kind: 'realtime', query, byte });
      return;
    }
    if (isAsbFirstByte(byte)) {
      this.dropAsb();
      this.asb[0] = byte;
      this.asbLength = 1;
      return;
    }
    if (this.asbLength > 0 && isAsbFollowingByte(byte)) {
      this.asb[this.asbLength++] = byte;
      if (this.asbLength === ASB_LENGTH) {
        this.counters.asb++;
        out.push({ kind: 'asb', message: this.asb.slice() });
        this.asbLength = 0;
      }
      return;
    }
    this.dropAsb();
    this.counters.droppedBytes++;
  }

  private dropAsb(): void {
    this.counters.droppedBytes += this.asbLength;
    this.asbLength = 0;
  }
}
