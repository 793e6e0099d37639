import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode, isKioskError } from '../../../../../core/errors.js';
import {
  MAX_PENDING_QUERIES,
  type PrinterInbound,
  PrinterInboundParser,
} from '../../../../../devices/printer/escpos/codec/index.js';
import {
  asbMessageArb,
  concat,
  cutsArb,
  fromHex,
  type SentMessage,
  sentBytes,
  sentMessageArb,
  splitAt,
} from './arbitraries.js';

function pushAll(parser: PrinterInboundParser, chunks: readonly Uint8Array[]): PrinterInbound[] {
  return chunks.flatMap((chunk) => parser.push(chunk));
}

/** What the parser must report for messages sent in order, their queries asked in order. */
function expectedEvents(messages: readonly SentMessage[]): PrinterInbound[] {
  return messages.map((m) => (m.kind === 'asb' ? { kind: 'asb', message: m.message } : m));
}

function askQueries(parser: PrinterInboundParser, messages: readonly SentMessage[]): void {
  for (const m of messages) if (m.kind === 'realtime') parser.expectReply(m.query);
}

/** At most MAX_PENDING_QUERIES realtime replies, as a driver waits for its answers. */
const messagesArb = fc
  .array(sentMessageArb, { maxLength: 20 })
  .filter((ms) => ms.filter((m) => m.kind === 'realtime').length <= MAX_PENDING_QUERIES);

describe('PrinterInboundParser', () => {
  it('never throws on any byte stream in any chunking, and holds at most 3 bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), cutsArb, (stream, cuts) => {
        const parser = new PrinterInboundParser();
        parser.expectReply(4);
        for (const chunk of splitAt(stream, cuts)) {
          parser.push(chunk);
          expect(parser.bufferedBytes).toBeLessThanOrEqual(3);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('decodes any interleaving of ASB messages, DLE EOT replies and XON/XOFF, in any chunking', () => {
    fc.assert(
      fc.property(messagesArb, cutsArb, (messages, cuts) => {
        const parser = new PrinterInboundParser();
        askQueries(parser, messages);
        const stream = concat(messages.map(sentBytes));
        expect(pushAll(parser, splitAt(stream, cuts))).toEqual(expectedEvents(messages));
        expect(parser.stats.droppedBytes).toBe(0);
        expect(parser.pendingQueries).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });

  it('reports XON/XOFF and replies that arrive inside an ASB message, and still decodes the message', () => {
    fc.assert(
      fc.property(
        asbMessageArb,
        fc.integer({ min: 1, max: 3 }),
        fc.array(
          sentMessageArb.filter((m) => m.kind !== 'asb'),
          { minLength: 1, maxLength: 4 },
        ),
        (asb, at, inserted) => {
          fc.pre(inserted.filter((m) => m.kind === 'realtime').length <= MAX_PENDING_QUERIES);
          const parser = new PrinterInboundParser();
          askQueries(parser, inserted);
          const stream = concat([asb.subarray(0, at), ...inserted.map(sentBytes), asb.subarray(at)]);
          expect(parser.push(stream)).toEqual([...expectedEvents(inserted), { kind: 'asb', message: asb }]);
        },
      ),
    );
  });

  it('resyncs after garbage: whatever came before, the messages that follow an ASB are decoded', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 60 }),
        asbMessageArb,
        messagesArb.filter((ms) => ms.filter((m) => m.kind === 'realtime').length < MAX_PENDING_QUERIES),
        cutsArb,
        (garbage, first, rest, cuts) => {
          const parser = new PrinterInboundParser();
          pushAll(parser, splitAt(garbage, cuts));
          const messages: SentMessage[] = [{ kind: 'asb', message: first }, ...rest];
          askQueries(parser, messages);
          const events = pushAll(parser, splitAt(concat(messages.map(sentBytes)), cuts));
          const want = expectedEvents(messages);
          // Bytes of the garbage that look like XON/XOFF or replies may be reported in between;
          // everything from the first ASB on is exact.
          expect(events.slice(events.length - want.length)).toEqual(want);
          expect(events.slice(0, events.length - want.length).every((e) => e.kind !== 'asb')).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('frames by the fixed bits, not modulo 4: a byte lost from one message costs only that message', () => {
    const parser = new PrinterInboundParser();
    // 18 00 00 (one byte lost) | 30 00 03 00 | 10 08 0C 00
    const events = parser.push(fromHex('18 00 00 30 00 03 00 10 08 0C 00'));
    expect(events).toEqual([
      { kind: 'asb', message: fromHex('30 00 03 00') },
      { kind: 'asb', message: fromHex('10 08 0C 00') },
    ]);
    expect(parser.stats.droppedBytes).toBe(3);
  });

  it('tells XON (11), XOFF (13), a reply (0xx1xx10) and an ASB start (0xx1xx00) apart', () => {
    const parser = new PrinterInboundParser();
    parser.expectReply(1);
    expect(parser.push(fromHex('11 13 16 10 00 00 00'))).toEqual([
      { kind: 'flow', flow: 'xon' },
      { kind: 'flow', flow: 'xoff' },
      { kind: 'realtime', query: 1, byte: 0x16 },
      { kind: 'asb', message: fromHex('10 00 00 00') },
    ]);
  });

  it('answers queries oldest first; a reply with none pending is reported as unexpected', () => {
    const parser = new PrinterInboundParser();
    parser.expectReply(2);
    parser.expectReply(4);
    expect(parser.push(fromHex('12 1E 72'))).toEqual([
      { kind: 'realtime', query: 2, byte: 0x12 },
      { kind: 'realtime', query: 4, byte: 0x1e },
      { kind: 'realtime', query: undefined, byte: 0x72 },
    ]);
    expect(parser.stats.unexpectedReplies).toBe(1);
    parser.expectReply(3);
    parser.forgetPendingQueries();
    expect(parser.push(fromHex('12'))).toEqual([{ kind: 'realtime', query: undefined, byte: 0x12 }]);
  });

  it('skips bytes that fit no message and counts them', () => {
    const parser = new PrinterInboundParser();
    expect(parser.push(fromHex('FF 80 00 01 15 10 00 FF'))).toEqual([]);
    expect(parser.stats.droppedBytes).toBe(8);
    expect(parser.bufferedBytes).toBe(0);
  });

  it('refuses bad queries, too many pending ones, and chunks that are not bytes', () => {
    const parser = new PrinterInboundParser();
    for (const bad of [0, 5, 1.5]) {
      expect(() => parser.expectReply(bad as 1)).toThrow(/DLE EOT query must be 1 to 4/);
    }
    for (let i = 0; i < MAX_PENDING_QUERIES; i++) parser.expectReply(1);
    try {
      parser.expectReply(1);
      throw new Error('expected a refusal');
    } catch (err) {
      expect(isKioskError(err, ErrorCode.DeviceBadArgument)).toBe(true);
    }
    expect(() => parser.push('11' as unknown as Uint8Array)).toThrow(/Uint8Array/);
  });
});
