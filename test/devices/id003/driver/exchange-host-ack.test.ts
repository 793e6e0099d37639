import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../../core/errors.js';
import {
  type AcceptorReply,
  decodeCommand,
  encodeReply,
  Id003FrameParser,
} from '../../../../devices/cash-acceptor/id003/codec/index.js';
import { Id003Exchange } from '../../../../devices/cash-acceptor/id003/exchange.js';
import { silentLogger } from '../../../../src/log.js';

const ANSWER_TIMEOUT_MS = 300;

/** A unit that answers every command after `delayMs`, and the host's ACK only if told to. */
class FakeUnit extends EventEmitter {
  readonly written: string[] = [];
  readonly #parser = new Id003FrameParser();
  constructor(
    private readonly answersHostAck: boolean,
    private readonly delayMs = 2,
  ) {
    super();
  }
  async write(bytes: Uint8Array): Promise<void> {
    for (const frame of this.#parser.push(bytes)) {
      const kind = decodeCommand(frame).kind;
      this.written.push(kind);
      const reply: AcceptorReply | undefined =
        kind === 'statusRequest'
          ? { kind: 'status', status: 'stacked' }
          : kind === 'ack' && !this.answersHostAck
            ? undefined
            : { kind: 'ack' };
      if (reply) setTimeout(() => this.emit('data', Buffer.from(encodeReply(reply))), this.delayMs);
    }
  }
}

function exchangeOn(unit: FakeUnit): Id003Exchange {
  const exchange = new Id003Exchange({
    port: unit,
    answerTimeoutMs: ANSWER_TIMEOUT_MS,
    retries: 3,
    logger: silentLogger(),
  });
  exchange.open();
  return exchange;
}

describe.each([false, true])(
  'ID-003 exchange: the host ACK of VEND VALID (unit answers it: %s)',
  (answers) => {
    it('is written without waiting, and the status request after it gets the status', async () => {
      const unit = new FakeUnit(answers, 20);
      const exchange = exchangeOn(unit);
      const ack = exchange.sendHostAck();
      const status = exchange.send({ kind: 'statusRequest' }, 'poll');
      expect(typeof (await ack)).toBe('number');
      expect((await status).reply).toEqual({ kind: 'status', status: 'stacked' });
      expect(unit.written).toEqual(['ack', 'statusRequest']);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(exchange.stats).toMatchObject({
        retries: 0,
        failures: 0,
        unsolicited: 0,
        hostAckAnswers: answers ? 1 : 0,
      });
    });

    it('holds an operation back until the ACK answer came or could no longer come, so each gets its own', async () => {
      const unit = new FakeUnit(answers, 20);
      const exchange = exchangeOn(unit);
      void exchange.sendHostAck();
      const reset = await exchange.send({ kind: 'reset' }, 'urgent');
      expect(reset.reply).toEqual({ kind: 'ack' });
      expect(reset.attempts).toBe(1);
      expect(unit.written).toEqual(['ack', 'reset']);
      expect(exchange.stats).toMatchObject({ retries: 0, unsolicited: 0, hostAckAnswers: answers ? 1 : 0 });
    });
  },
);

describe('ID-003 exchange: the host ACK goes only through sendHostAck', () => {
  it('refuses send({kind:"ack"}), which would wait for an answer some units never give', async () => {
    const unit = new FakeUnit(false);
    await expect(exchangeOn(unit).send({ kind: 'ack' }, 'urgent')).rejects.toMatchObject({
      code: ErrorCode.DeviceBadArgument,
    });
    expect(unit.written).toEqual([]);
  });
});
