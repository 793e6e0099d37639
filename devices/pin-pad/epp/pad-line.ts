import { ErrorCode, KioskError } from '../../../core/errors.js';
import type { Logger } from '../../../core/logger.js';
import {
  CommandLine,
  type Lane,
  type LineAnswer,
  type LinePort,
  type LineRules,
} from '../../transport/command-line.js';
import {
  decodePadMessage,
  EppCommand,
  EppFrameParser,
  type EppHostCommand,
  type EppKeyName,
  type EppPadMessage,
  type EppStreamItem,
  encodeCommand,
} from './codec/index.js';

/** What the pad's stream carries, decoded: a message frame, or a bare key byte (raw-key pads). */
export type EppInbound = { kind: 'message'; message: EppPadMessage } | { kind: 'rawKey'; key: EppKeyName };

export interface PadLineStats {
  commands: number;
  retries: number;
  failures: number;
  unsolicited: number;
  frames: number;
  badFrames: number;
  droppedBytes: number;
  /** Status reads sent before a command to let a late reply to an earlier one of its kind go by. */
  lateReplyBarriers: number;
}

export interface PadLineOptions {
  port: LinePort;
  answerTimeoutMs: number;
  rawKeyBytes: ReadonlyMap<number, EppKeyName>;
  logger: Logger;
  /** Key presses and entry ends, which come between replies and while the host waits for one. */
  onEvent(inbound: EppInbound): void;
}

/** The code a reply to `command` carries (the command's own). */
function codeOf(command: EppHostCommand): number {
  return command.kind === 'unknownCommand' ? command.code : EppCommand[command.kind];
}

/** Whether a decoded pad message is a reply, and to which command code. */
function replyCode(message: EppPadMessage): number | undefined {
  switch (message.kind) {
    case 'done':
      return EppCommand[message.command];
    case 'status':
      return EppCommand.getStatus;
    case 'pinBlock':
      return EppCommand.getPinBlock;
    case 'error':
      return message.commandCode;
    case 'unrecognised':
      return message.code;
    default:
      return undefined;
  }
}

/**
 * Commands that act on the customer's entry or the pad's key: a late answer to the first attempt
 * may mean it ran, and a second would be refused `busy` or spend a DUKPT key for nothing.
 */
const NOT_RESENT: ReadonlySet<EppHostCommand['kind']> = new Set([
  'startPinEntry',
  'startDataEntry',
  'getPinBlock',
]);

/**
 * The EPP line on the shared command line: one command at a time, replies matched by code, and
 * every event frame (or raw key byte) handed to the driver the moment it is read, whether or not
 * a command waits. Log lines name commands by kind only: a getPinBlock's account and its reply's
 * block and KSN never reach a log.
 */
export class PadLine {
  readonly #line: CommandLine<EppHostCommand, EppStreamItem, EppInbound>;
  readonly #parsers: EppFrameParser[] = [];
  /**
   * Commands of these kinds went unanswered, and their replies may still come: a reply carries
   * nothing that ties it to its request, so it could be taken for the next request of its kind
   * (a block of an earlier PIN, an entry started with other settings). The pad answers in order,
   * so once any later command is answered those replies have come (and, with no request waiting,
   * were dropped) or never will; until then a request of such a kind waits behind a status read.
   */
  readonly #mayBeLate = new Set<EppHostCommand['kind']>();
  #barriers = 0;

  constructor(options: PadLineOptions) {
    const parsers = this.#parsers;
    const rules: LineRules<EppHostCommand, EppStreamItem, EppInbound> = {
      name: 'epp',
      describe: (command) => command.kind,
      encode: encodeCommand,
      createParser() {
        const parser = new EppFrameParser({ rawKeyBytes: options.rawKeyBytes });
        parsers.push(parser);
        return {
          push: (chunk) => parser.push(chunk),
          reset: () => parser.reset(),
        };
      },
      decode: (item) =>
        item.kind === 'rawKey' ? item : { kind: 'message', message: decodePadMessage(item.frame) },
      answers: (command, reply) => reply.kind === 'message' && replyCode(reply.message) === codeOf(command),
      // The pad has no "send again" reply: a damaged command is simply not answered.
      isGarbled: () => false,
      neverResendBlindly: (command) => NOT_RESENT.has(command.kind),
    };
    this.#line = new CommandLine({
      port: options.port,
      rules,
      answerTimeoutMs: options.answerTimeoutMs,
      retries: 1,
      logger: options.logger,
      onUnsolicited: (reply) => options.onEvent(reply),
    });
  }

  get stats(): PadLineStats {
    const parser = this.#parsers[0]?.stats;
    return {
      ...this.#line.stats,
      frames: parser?.frames ?? 0,
      badFrames: parser?.badFrames ?? 0,
      droppedBytes: parser?.droppedBytes ?? 0,
      lateReplyBarriers: this.#barriers,
    };
  }

  open(): void {
    this.#line.open();
  }

  close(error: KioskError): void {
    this.#line.close(error);
  }

  /** The pad's reply to `command`, error replies included (the driver says what they mean). */
  async send(command: EppHostCommand, lane: Lane = 'normal'): Promise<LineAnswer<EppPadMessage>> {
    if (command.kind !== 'getStatus' && this.#mayBeLate.has(command.kind)) {
      this.#barriers++;
      await this.send({ kind: 'getStatus' });
    }
    let answer: LineAnswer<EppInbound>;
    try {
      answer = await this.#line.send(command, lane);
    } catch (error) {
      // A status reply is the same whenever it comes: only other kinds need the barrier.
      if (
        error instanceof KioskError &&
        error.code === ErrorCode.DeviceTimeout &&
        command.kind !== 'getStatus'
      ) {
        this.#mayBeLate.add(command.kind);
      }
      throw error;
    }
    // An answer to a command written after the lost ones: their replies are no longer on the way.
    this.#mayBeLate.clear();
    // answers() takes only message frames.
    const reply = (answer.reply as Extract<EppInbound, { kind: 'message' }>).message;
    return { ...answer, reply };
  }
}
