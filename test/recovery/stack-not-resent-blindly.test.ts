import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import {
  decodeCommand,
  encodeReply,
  Id003FrameParser,
} from '../../devices/cash-acceptor/id003/codec/index.js';
import { Id003Exchange } from '../../devices/cash-acceptor/id003/exchange.js';
import { silentLogger } from '../../src/log.js';

/** A line whose unit answers what `answer` says, or nothing. */
class FakeLine extends EventEmitter {
  readonly written: string[] = [];
  readonly #parser = new Id003FrameParser();
  constructor(private readonly answer: (kind: string) => Uint8Array | undefined) {
    super();
  }
  async write(bytes: Uint8Array): Promise<void> {
    for (const frame of this.#parser.push(bytes)) {
      const kind = decodeCommand(frame).kind;
      this.written.push(kind);
      const reply = this.answer(kind);
      if (reply) setImmediate(() => this.emit('data', Buffer.from(reply)));
    }
  }
}

function exchangeOn(line: FakeLine): Id003Exchange {
  const exchange = new Id003Exchange({ port: line, answerTimeoutMs: 30, retries: 3, logger: silentLogger() });
  exchange.open();
  return exchange;
}

/**
 * Found by the crash harness on a loaded machine: a STACK whose answer came late was sent again
 * by the exchange, and the second one stacked the next customer's 50-yuan note while the journal
 * credited the 20-yuan note the first STACK was meant for (which the unit had handed back on its
 * escrow timeout). STACK and RETURN name no note, so a timeout is final for them.
 */
describe('ID-003 exchange: STACK and RETURN are never sent again after a timeout', () => {
  it.each(['stack2', 'stack1', 'return'] as const)('%s: one write, then DeviceTimeout', async (kind) => {
    const line = new FakeLine(() => undefined);
    const exchange = exchangeOn(line);
    await expect(exchange.send({ kind }, 'urgent')).rejects.toMatchObject({
      code: 3001,
      details: { command: kind, attempts: 1 },
    });
    expect(line.written).toEqual([kind]);
  });

  // The host's ACK of VEND VALID is never waited on, so never resent by the exchange either
  // (test/devices/id003/driver/exchange-host-ack.test.ts).
  it('other commands still try again on a timeout (a status request, RESET)', async () => {
    for (const kind of ['statusRequest', 'reset'] as const) {
      const line = new FakeLine(() => undefined);
      await expect(exchangeOn(line).send({ kind })).rejects.toMatchObject({ code: 3001 });
      expect(line.written).toEqual([kind, kind, kind, kind]);
    }
  });

  it('STACK answered COMMUNICATION ERROR (the unit did nothing) is sent again and then taken', async () => {
    let garbled = 1;
    const line = new FakeLine((kind) =>
      kind === 'stack2' && garbled-- > 0
        ? encodeReply({ kind: 'status', status: 'communicationError' })
        : encodeReply({ kind: 'ack' }),
    );
    const answer = await exchangeOn(line).send({ kind: 'stack2' }, 'urgent');
    expect(answer.reply.kind).toBe('ack');
    expect(answer.attempts).toBe(2);
    expect(line.written).toEqual(['stack2', 'stack2']);
  });
});
