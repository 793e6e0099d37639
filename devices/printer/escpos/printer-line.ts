import { performance } from 'node:perf_hooks';
import { ErrorCode, KioskError } from '../../../core/errors.js';
import type { Logger } from '../../../core/logger.js';
import { CommandLine, type LineGate, type LinePort, type LineRules } from '../../transport/command-line.js';
import type { PrinterCondition } from '../printer-status.js';
import {
  decodeAsb,
  decodeRealtimeStatus,
  type PrinterInbound,
  PrinterInboundParser,
  realtimeStatusRequest,
  STATUS_QUERIES,
  type StatusQuery,
} from './codec/index.js';

/** What the driver writes: a real-time status query (answered) or bytes nobody answers. */
export type PrinterCommand =
  | { kind: 'status'; query: StatusQuery }
  | { kind: 'write'; bytes: Uint8Array; what: string };

export type FlowState = 'xon' | 'xoff';

export interface PrinterLineStats {
  commands: number;
  retries: number;
  failures: number;
  unsolicited: number;
  asbMessages: number;
  statusReads: number;
  xoffs: number;
  droppedBytes: number;
  /** Replies that came after their query was given up on, dropped rather than misread. */
  lateReplies: number;
}

export interface PrinterLineOptions {
  port: LinePort;
  name: string;
  answerTimeoutMs: number;
  logger: Logger;
  /** A whole condition pushed by Automatic Status Back, with its place in arrival order. */
  onAsb(condition: PrinterCondition, arrival: number): void;
  /** XON or XOFF from the printer's receive buffer. */
  onFlow(flow: FlowState): void;
}

/**
 * The splitter the command line feeds: the codec's parser, without its query bookkeeping (the
 * command line matches replies to the one query in flight, and drops late ones; see the gate).
 */
class InboundSplitter {
  readonly parser = new PrinterInboundParser();
  push(chunk: Uint8Array): PrinterInbound[] {
    return this.parser.push(chunk);
  }
  reset(): void {
    this.parser.reset();
  }
}

/**
 * The ESC/POS line on the shared command line: status queries go in the urgent lane, because the
 * printer answers `DLE EOT` at once even with its receive buffer full, while job data waits for
 * XON in the driver. XON/XOFF are taken before any waiter sees them, and ASB messages arrive as
 * unsolicited frames.
 */
export class PrinterLine {
  readonly #line: CommandLine<PrinterCommand, PrinterInbound, PrinterInbound>;
  readonly #splitters: InboundSplitter[] = [];
  readonly #answerTimeoutMs: number;
  readonly #onFlow: (flow: FlowState) => void;
  /**
   * Frames in the order they came off the wire. A reply and an ASB message can arrive in one
   * read: the ASB is handled at once, the reply only after the awaits of its query, so the
   * driver needs the order to keep the newer fact.
   */
  #arrivals = 0;
  readonly #arrivalOf = new WeakMap<object, number>();
  #flow: FlowState = 'xon';
  /**
   * A `DLE EOT` reply carries no query number: after a query times out its reply may still come,
   * and would be read as the next query's. Until this time, queries wait and stray replies drop.
   */
  #drainUntil = 0;
  #asbMessages = 0;
  #statusReads = 0;
  #xoffs = 0;
  #lateReplies = 0;

  constructor(options: PrinterLineOptions) {
    this.#answerTimeoutMs = options.answerTimeoutMs;
    this.#onFlow = options.onFlow;
    const splitters = this.#splitters;
    const rules: LineRules<PrinterCommand, PrinterInbound, PrinterInbound> = {
      name: 'escpos',
      describe: (command) => (command.kind === 'status' ? `DLE EOT ${command.query}` : command.what),
      encode: (command) => (command.kind === 'status' ? realtimeStatusRequest(command.query) : command.bytes),
      createParser() {
        const splitter = new InboundSplitter();
        splitters.push(splitter);
        return splitter;
      },
      decode: (frame) => frame,
      answers: (command, reply) => command.kind === 'status' && reply.kind === 'realtime',
      isGarbled: () => false,
      // A status query moves nothing; data is never resent at all (it is written, not answered).
      neverResendBlindly: (command) => command.kind === 'write',
    };
    const gate: LineGate<PrinterCommand, PrinterInbound> = {
      holdMs: (command, now) => (command.kind === 'status' ? Math.max(0, this.#drainUntil - now) : 0),
      claim: (reply) => {
        // Every frame is numbered here, before a waiting query is resolved: see readCondition.
        this.#arrivalOf.set(reply, ++this.#arrivals);
        if (reply.kind === 'flow') {
          this.#setFlow(reply.flow);
          return true;
        }
        if (reply.kind === 'realtime' && performance.now() < this.#drainUntil) {
          this.#lateReplies++;
          // A line running this late may have more replies on the way: no query waits on the
          // window (holdMs), so stretching it can only drop strays, never an answer.
          this.#drainUntil = performance.now() + this.#answerTimeoutMs;
          return true;
        }
        return false;
      },
    };
    this.#line = new CommandLine({
      port: options.port,
      rules,
      answerTimeoutMs: options.answerTimeoutMs,
      retries: 0,
      logger: options.logger,
      gate,
      onUnsolicited: (reply) => {
        if (reply.kind === 'asb') {
          this.#asbMessages++;
          options.onAsb(decodeAsb(reply.message), this.#arrivalOf.get(reply) ?? this.#arrivals);
        } else if (reply.kind === 'realtime') {
          this.#lateReplies++;
        }
      },
    });
  }

  get flow(): FlowState {
    return this.#flow;
  }

  get stats(): PrinterLineStats {
    const parser = this.#splitters[0]?.parser.stats;
    return {
      ...this.#line.stats,
      asbMessages: this.#asbMessages,
      statusReads: this.#statusReads,
      xoffs: this.#xoffs,
      droppedBytes: parser?.droppedBytes ?? 0,
      lateReplies: this.#lateReplies,
    };
  }

  /** The line came online: the printer's buffer is assumed free until it says XOFF. */
  open(): void {
    this.#flow = 'xon';
    this.#drainUntil = 0;
    this.#line.open();
  }

  close(error: KioskError): void {
    this.#line.close(error);
  }

  /** One `DLE EOT n` query: what its reply says, and the reply's place in arrival order. */
  async readStatus(query: StatusQuery): Promise<{ part: Partial<PrinterCondition>; arrival: number }> {
    try {
      const answer = await this.#line.send({ kind: 'status', query }, 'urgent');
      if (answer.reply.kind !== 'realtime') {
        throw new KioskError(
          ErrorCode.DeviceProtocol,
          `DLE EOT ${query} was answered by a ${answer.reply.kind}`,
        );
      }
      this.#statusReads++;
      return {
        part: decodeRealtimeStatus(query, answer.reply.byte),
        arrival: this.#arrivalOf.get(answer.reply) ?? this.#arrivals,
      };
    } catch (error) {
      if (error instanceof KioskError && error.code === ErrorCode.DeviceTimeout) {
        this.#drainUntil = performance.now() + this.#answerTimeoutMs;
      }
      throw error;
    }
  }

  /**
   * `DLE EOT 1` to `4`, each reply handed on as it comes: an ASB message can arrive between two
   * replies, and a merge applied at the end would overwrite it with what the earlier replies said.
   */
  async readCondition(onPart: (part: Partial<PrinterCondition>, arrival: number) => void): Promise<void> {
    for (const query of STATUS_QUERIES) {
      const { part, arrival } = await this.readStatus(query);
      onPart(part, arrival);
    }
  }

  /** Hands bytes to the port in the line's turn; resolves once the port took them. */
  write(bytes: Uint8Array, what: string): Promise<number> {
    return this.#line.sendUnanswered({ kind: 'write', bytes, what }, 'normal');
  }

  #setFlow(flow: FlowState): void {
    if (flow === 'xoff') this.#xoffs++;
    if (flow === this.#flow) return;
    this.#flow = flow;
    this.#onFlow(flow);
  }
}
