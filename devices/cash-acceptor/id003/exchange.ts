import { ErrorCode, KioskError } from '../../../core/errors.js';
import type { Logger } from '../../../core/logger.js';
import {
  CommandLine,
  type Lane,
  type LineAnswer,
  type LineGate,
  type LinePort,
  type LineRules,
  type LineStats,
} from '../../transport/command-line.js';
import { Id003Command } from './codec/constants.js';
import type { Id003Frame } from './codec/frame.js';
import { Id003FrameParser } from './codec/frame-parser.js';
import {
  type AcceptorReply,
  decodeReply,
  encodeCommand,
  GET_REQUEST_CODES,
  type HostCommand,
} from './codec/messages.js';

export type Id003Port = LinePort;

/**
 * Which queue a command waits in. Money-moving commands (STACK, RETURN, HOLD, the ACK of VEND
 * VALID, RESET) go first, then settings and requests, and a status request only when nothing
 * else waits: a poll must never delay a decision the acceptor is timing.
 */
export type Id003Lane = Lane;

export type Id003Answer = LineAnswer<AcceptorReply>;

export interface Id003ExchangeOptions {
  port: Id003Port;
  answerTimeoutMs: number;
  /** Further attempts after the first one goes unanswered. */
  retries: number;
  logger: Logger;
}

export interface Id003ExchangeStats extends LineStats {
  /** Answers to the host's ACK of VEND VALID, from a unit that sends them: taken and dropped. */
  hostAckAnswers: number;
}

const OPERATION_KINDS = new Set<HostCommand['kind']>([
  'ack',
  'reset',
  'stack1',
  'stack2',
  'return',
  'hold',
  'wait',
]);
/**
 * STACK and RETURN act on whatever note is in escrow when they arrive: they do not name it. A
 * timed-out attempt may have been late, not lost, and meanwhile that note may have gone back on
 * the unit's own escrow timeout and the next customer's note come into escrow; sending the
 * command again would stack (or return) that other note under the first one's decision. So a
 * timeout is final for these: the driver reads the next status and sends again only if the
 * same note is still in escrow. (A COMMUNICATION ERROR answer means the unit did nothing, so
 * that is still retried.)
 */
const NO_BLIND_RESEND = new Set<HostCommand['kind']>(['stack1', 'stack2', 'return']);
const SETTING_CODES: Partial<Record<HostCommand['kind'], number>> = {
  setEnable: Id003Command.SetEnable,
  setSecurity: Id003Command.SetSecurity,
  setCommunicationMode: Id003Command.SetCommunicationMode,
  setInhibit: Id003Command.SetInhibit,
  setDirection: Id003Command.SetDirection,
  setOptionalFunction: Id003Command.SetOptionalFunction,
  setBarcodeFunction: Id003Command.SetBarcodeFunction,
  setBarInhibit: Id003Command.SetBarInhibit,
};

function isRefusal(reply: AcceptorReply): boolean {
  return reply.kind === 'status' && reply.status === 'invalidCommand';
}

function isGarbled(reply: AcceptorReply): boolean {
  return reply.kind === 'status' && reply.status === 'communicationError';
}

/**
 * Whether `reply` can be the answer to `command`. In a strict master/slave exchange any frame
 * after a write is normally its answer; checking the kind as well keeps a late answer to an
 * earlier, timed-out attempt from being taken for the answer to the next command.
 */
export function answers(command: HostCommand, reply: AcceptorReply): boolean {
  if (isRefusal(reply) || isGarbled(reply)) return true;
  if (command.kind === 'statusRequest') {
    return (
      reply.kind === 'status' ||
      reply.kind === 'escrow' ||
      reply.kind === 'rejecting' ||
      reply.kind === 'failure' ||
      reply.kind === 'unknownStatus'
    );
  }
  if (OPERATION_KINDS.has(command.kind)) return reply.kind === 'ack';
  const setting = SETTING_CODES[command.kind];
  if (setting !== undefined) return reply.kind === 'settingEcho' && reply.command === setting;
  if (command.kind === 'get') {
    switch (command.what) {
      case 'version':
        return reply.kind === 'version';
      case 'bootVersion':
        return reply.kind === 'bootVersion';
      case 'currencyAssignment':
        return reply.kind === 'currencyAssignment';
      default:
        return reply.kind === 'settingReport' && reply.request === GET_REQUEST_CODES[command.what];
    }
  }
  return false;
}

/** ID-003's rules for the generic command line. */
const ID003_RULES: LineRules<HostCommand, Id003Frame, AcceptorReply> = {
  name: 'id003',
  describe: (command) => command.kind,
  encode: encodeCommand,
  createParser: () => new Id003FrameParser(),
  decode: decodeReply,
  answers,
  isGarbled,
  // INVALID COMMAND to a status request is only a status; to anything else it is a refusal.
  refuses: (command, reply) => isRefusal(reply) && command.kind !== 'statusRequest',
  neverResendBlindly: (command) => NO_BLIND_RESEND.has(command.kind),
};

/**
 * The ID-003 line: the generic CommandLine with ID-003's rules, plus what only ID-003 has, the
 * host's ACK of VEND VALID. Units differ on whether they answer that ACK, so it is written
 * without waiting, and until its answer has come (or the answer timeout has passed) only
 * status requests go out, whose answers cannot be taken for it.
 */
export class Id003Exchange {
  readonly #answerTimeoutMs: number;
  readonly #log: Logger;
  readonly #line: CommandLine<HostCommand, Id003Frame, AcceptorReply>;
  #hostAckAnswers = 0;
  /**
   * performance.now() until which a frame may still be the unit's answer to the host ACK just
   * written; the first frame received after that ACK settles it either way.
   */
  #hostAckAnswerUntil: number | undefined;

  constructor(options: Id003ExchangeOptions) {
    this.#answerTimeoutMs = options.answerTimeoutMs;
    this.#log = options.logger;
    const gate: LineGate<HostCommand, AcceptorReply> = {
      holdMs: (command, now) => {
        if (command.kind === 'statusRequest' || !this.#hostAckWindowOpen(now)) return 0;
        // An ACK answering this command could not be told from one answering the host ACK.
        return Math.max(0, (this.#hostAckAnswerUntil ?? now) - now) + 1;
      },
      claim: (reply, index, at) => {
        if (index !== 0 || !this.#hostAckWindowOpen(at)) return false;
        this.#hostAckAnswerUntil = undefined;
        if (reply.kind !== 'ack' && !isRefusal(reply)) return false;
        // A unit answers before it takes the next command: this is its answer to the host ACK.
        this.#hostAckAnswers++;
        this.#log.debug({ kind: reply.kind }, 'answer to the host ACK taken and dropped');
        return true;
      },
    };
    this.#line = new CommandLine({
      port: options.port,
      rules: ID003_RULES,
      answerTimeoutMs: options.answerTimeoutMs,
      retries: options.retries,
      logger: options.logger,
      gate,
      onUnsolicited: (reply) => this.#log.debug({ kind: reply.kind }, 'ID-003 frame nobody waited for'),
    });
  }

  get busy(): boolean {
    return this.#line.busy;
  }

  get stats(): Readonly<Id003ExchangeStats> {
    return { ...this.#line.stats, hostAckAnswers: this.#hostAckAnswers };
  }

  /** Starts taking commands and listening to the port: the line came online. */
  open(): void {
    this.#line.open();
  }

  /**
   * Stops at once: the command on the wire and every queued one reject with `error`, and
   * nothing more is written until open() again.
   */
  close(error: KioskError): void {
    this.#line.close(error);
    this.#hostAckAnswerUntil = undefined;
  }

  /**
   * Sends `command` once its turn comes and resolves with the answer. Rejects with
   * DeviceRejectedCommand when the unit answers INVALID COMMAND, DeviceTimeout when no attempt
   * was answered, and with the close() error when the line goes away meanwhile.
   */
  send(command: HostCommand, lane: Id003Lane = 'normal'): Promise<Id003Answer> {
    if (command?.kind === 'ack') {
      return Promise.reject(
        new KioskError(ErrorCode.DeviceBadArgument, 'the ACK of VEND VALID is not answered: use sendHostAck'),
      );
    }
    return this.#line.send(command, lane);
  }

  /**
   * Sends the host's ACK of VEND VALID ahead of everything queued and resolves with the
   * performance.now() of its write, without waiting for an answer: units differ on whether
   * they answer it (PROTOCOLS.md, "Host ACK"), so it is confirmed by the next status, not by a
   * reply. An answer that does come is taken and dropped.
   */
  sendHostAck(): Promise<number> {
    return this.#line.sendUnanswered({ kind: 'ack' }, 'urgent', {
      // Open before the write: a quick unit may answer before the write call returns.
      beforeWrite: (writtenAt) => {
        this.#hostAckAnswerUntil = writtenAt + this.#answerTimeoutMs;
      },
      onWriteFailed: () => {
        this.#hostAckAnswerUntil = undefined;
      },
    });
  }

  #hostAckWindowOpen(at: number): boolean {
    if (this.#hostAckAnswerUntil === undefined) return false;
    if (at <= this.#hostAckAnswerUntil) return true;
    this.#hostAckAnswerUntil = undefined;
    return false;
  }
}
