import { performance } from 'node:perf_hooks';
import { ErrorCode, KioskError } from '../../../core/errors.js';
import type { Logger } from '../../../core/logger.js';
import { Waitress } from '../../transport/waitress.js';
import { Id003Command } from './codec/constants.js';
import { Id003FrameParser } from './codec/frame-parser.js';
import {
  type AcceptorReply,
  decodeReply,
  encodeCommand,
  GET_REQUEST_CODES,
  type HostCommand,
} from './codec/messages.js';

/** The part of SerialTransport the exchange uses; a structural type so it is easy to stand in for. */
export interface Id003Port {
  write(bytes: Uint8Array): Promise<void>;
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  off(event: 'data', listener: (chunk: Buffer) => void): unknown;
}

/**
 * Which queue a command waits in. Money-moving commands (STACK, RETURN, HOLD, the ACK of VEND
 * VALID, RESET) go first, then settings and requests, and a status request only when nothing
 * else waits: a poll must never delay a decision the acceptor is timing.
 */
export type Id003Lane = 'urgent' | 'normal' | 'poll';

export interface Id003Answer {
  reply: AcceptorReply;
  /** performance.now() just before the command's last attempt was handed to the port. */
  writtenAt: number;
  /** performance.now() at the data event that completed the reply frame. */
  receivedAt: number;
  /** 1 when the first attempt was answered. */
  attempts: number;
}

export interface Id003ExchangeOptions {
  port: Id003Port;
  answerTimeoutMs: number;
  /** Further attempts after the first one goes unanswered. */
  retries: number;
  logger: Logger;
}

export interface Id003ExchangeStats {
  commands: number;
  /** Attempts that timed out or were answered with COMMUNICATION ERROR. */
  retries: number;
  /** Commands that failed after every attempt. */
  failures: number;
  /** Frames that arrived while nothing waited for them, or did not fit the command waiting. */
  unsolicited: number;
  /** Answers to the host's ACK of VEND VALID, from a unit that sends them: taken and dropped. */
  hostAckAnswers: number;
}

interface Received {
  reply: AcceptorReply;
  at: number;
}

interface Job {
  command: HostCommand;
  bytes: Uint8Array;
  /** The host's ACK of VEND VALID: written, not waited on; resolves with its write time. */
  hostAck: boolean;
  resolve: (answer: Id003Answer | number) => void;
  reject: (error: unknown) => void;
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

/**
 * One command at a time on an ID-003 line: writes a frame, waits (Waitress) for the answer
 * for answerTimeoutMs, and tries again up to `retries` times. A timed-out attempt resets the
 * frame parser, so a half frame left over from it cannot swallow the next answer. Commands
 * queue in three lanes (see Id003Lane); the next one is written only once the previous one is
 * answered or has failed.
 */
export class Id003Exchange {
  readonly #port: Id003Port;
  readonly #answerTimeoutMs: number;
  readonly #retries: number;
  readonly #log: Logger;
  readonly #parser = new Id003FrameParser();
  readonly #waitress = new Waitress<Received>();
  readonly #lanes: Record<Id003Lane, Job[]> = { urgent: [], normal: [], poll: [] };
  readonly #stats: Id003ExchangeStats = {
    commands: 0,
    retries: 0,
    failures: 0,
    unsolicited: 0,
    hostAckAnswers: 0,
  };
  #busy = false;
  /**
   * performance.now() until which a frame may still be the unit's answer to the host ACK just
   * written; the first frame received after that ACK settles it either way.
   */
  #hostAckAnswerUntil: number | undefined;
  #hostAckTimer: NodeJS.Timeout | undefined;
  /** Set while closed: what every command is refused with. */
  #closedWith: KioskError | undefined;
  /** Bumped by close(), so an attempt loop still running from before knows to stop. */
  #epoch = 0;
  readonly #onData = (chunk: Buffer): void => this.#receive(chunk);

  constructor(options: Id003ExchangeOptions) {
    this.#port = options.port;
    this.#answerTimeoutMs = options.answerTimeoutMs;
    this.#retries = options.retries;
    this.#log = options.logger;
    this.#closedWith = new KioskError(ErrorCode.DeviceOffline, 'the ID-003 line is not open');
  }

  get busy(): boolean {
    return this.#busy;
  }

  get stats(): Readonly<Id003ExchangeStats> {
    return { ...this.#stats };
  }

  /** Starts taking commands and listening to the port: the line came online. */
  open(): void {
    if (this.#closedWith === undefined) return;
    this.#closedWith = undefined;
    this.#parser.reset();
    this.#port.on('data', this.#onData);
  }

  /**
   * Stops at once: the command on the wire and every queued one reject with `error`, and
   * nothing more is written until open() again.
   */
  close(error: KioskError): void {
    if (this.#closedWith !== undefined) return;
    this.#closedWith = error;
    this.#epoch++;
    this.#port.off('data', this.#onData);
    const queued = [...this.#lanes.urgent, ...this.#lanes.normal, ...this.#lanes.poll];
    this.#lanes.urgent = [];
    this.#lanes.normal = [];
    this.#lanes.poll = [];
    this.#waitress.rejectAll(error);
    for (const job of queued) job.reject(error);
    this.#parser.reset();
    this.#endHostAckWindow();
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
    return this.#enqueue(command, lane, false) as Promise<Id003Answer>;
  }

  /**
   * Sends the host's ACK of VEND VALID ahead of everything queued and resolves with the
   * performance.now() of its write, without waiting for an answer: units differ on whether
   * they answer it (PROTOCOLS.md, "Host ACK"), so it is confirmed by the next status, not by a
   * reply. An answer that does come is taken and dropped; until it has come (or the answer
   * timeout has passed) only status requests go out, whose answers cannot be taken for it.
   */
  sendHostAck(): Promise<number> {
    return this.#enqueue({ kind: 'ack' }, 'urgent', true) as Promise<number>;
  }

  #enqueue(command: HostCommand, lane: Id003Lane, hostAck: boolean): Promise<Id003Answer | number> {
    if (this.#closedWith) return Promise.reject(this.#closedWith);
    let bytes: Uint8Array;
    try {
      bytes = encodeCommand(command);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<Id003Answer | number>((resolve, reject) => {
      this.#lanes[lane].push({ command, bytes, hostAck, resolve, reject });
      this.#next();
    });
  }

  #next(): void {
    if (this.#busy || this.#closedWith) return;
    const lane = [this.#lanes.urgent, this.#lanes.normal, this.#lanes.poll].find((l) => l.length > 0);
    const job = lane?.[0];
    if (!lane || !job) return;
    if (job.command.kind !== 'statusRequest' && this.#hostAckWindowOpen(performance.now())) {
      // An ACK answering this command could not be told from one answering the host ACK.
      this.#armHostAckTimer();
      return;
    }
    lane.shift();
    this.#busy = true;
    this.#stats.commands++;
    const run = job.hostAck ? this.#writeHostAck(job) : this.#run(job, this.#epoch);
    void run.then(
      (answer) => {
        this.#busy = false;
        job.resolve(answer);
        this.#next();
      },
      (error: unknown) => {
        this.#busy = false;
        job.reject(error);
        this.#next();
      },
    );
  }

  async #writeHostAck(job: Job): Promise<number> {
    const writtenAt = performance.now();
    // Open before the write: a quick unit may answer before the write call returns.
    this.#hostAckAnswerUntil = writtenAt + this.#answerTimeoutMs;
    try {
      await this.#port.write(job.bytes);
    } catch (error) {
      this.#endHostAckWindow();
      throw error;
    }
    return writtenAt;
  }

  #hostAckWindowOpen(at: number): boolean {
    if (this.#hostAckAnswerUntil === undefined) return false;
    if (at <= this.#hostAckAnswerUntil) return true;
    this.#endHostAckWindow();
    return false;
  }

  #endHostAckWindow(): void {
    this.#hostAckAnswerUntil = undefined;
    if (this.#hostAckTimer) clearTimeout(this.#hostAckTimer);
    this.#hostAckTimer = undefined;
  }

  #armHostAckTimer(): void {
    if (this.#hostAckTimer || this.#hostAckAnswerUntil === undefined) return;
    const waitMs = Math.max(0, Math.ceil(this.#hostAckAnswerUntil - performance.now())) + 1;
    this.#hostAckTimer = setTimeout(() => {
      this.#hostAckTimer = undefined;
      this.#next();
    }, waitMs);
  }

  async #run(job: Job, epoch: number): Promise<Id003Answer> {
    const attempts = this.#retries + 1;
    for (let attempt = 1; ; attempt++) {
      if (epoch !== this.#epoch) throw this.#closedWith;
      const wait = this.#waitress.waitFor(
        (received) => answers(job.command, received.reply),
        this.#answerTimeoutMs,
        `answer to ${job.command.kind}`,
      );
      const writtenAt = performance.now();
      try {
        await this.#port.write(job.bytes);
      } catch (error) {
        wait.cancel();
        throw error;
      }
      let received: Received;
      try {
        received = await wait.promise;
      } catch (error) {
        if (
          epoch !== this.#epoch ||
          !(error instanceof KioskError) ||
          error.code !== ErrorCode.DeviceTimeout
        ) {
          throw error;
        }
        // Whatever half frame is buffered belongs to the lost answer.
        this.#parser.reset();
        if (attempt >= attempts || NO_BLIND_RESEND.has(job.command.kind)) {
          this.#stats.failures++;
          throw new KioskError(
            ErrorCode.DeviceTimeout,
            `no answer to ${job.command.kind} after ${attempt} attempt${attempt === 1 ? '' : 's'} of ${this.#answerTimeoutMs} ms`,
            {
              details: {
                command: job.command.kind,
                attempts: attempt,
                answerTimeoutMs: this.#answerTimeoutMs,
              },
            },
          );
        }
        this.#stats.retries++;
        continue;
      }
      if (isGarbled(received.reply)) {
        // The unit saw a damaged frame: it did nothing, so sending again is safe.
        if (attempt >= attempts) {
          this.#stats.failures++;
          throw new KioskError(
            ErrorCode.DeviceProtocol,
            `${job.command.kind} arrived garbled ${attempts} times`,
            {
              details: { command: job.command.kind, attempts },
            },
          );
        }
        this.#stats.retries++;
        continue;
      }
      if (isRefusal(received.reply) && job.command.kind !== 'statusRequest') {
        throw new KioskError(
          ErrorCode.DeviceRejectedCommand,
          `the acceptor refused ${job.command.kind} now`,
          {
            details: { command: job.command.kind, attempt },
          },
        );
      }
      return { reply: received.reply, writtenAt, receivedAt: received.at, attempts: attempt };
    }
  }

  #receive(chunk: Buffer): void {
    const frames = this.#parser.push(chunk);
    if (frames.length === 0) return;
    const at = performance.now();
    const hostAckPending = this.#hostAckWindowOpen(at);
    if (hostAckPending) this.#endHostAckWindow();
    for (const [index, frame] of frames.entries()) {
      const reply = decodeReply(frame);
      if (hostAckPending && index === 0 && (reply.kind === 'ack' || isRefusal(reply))) {
        // A unit answers before it takes the next command: this is its answer to the host ACK.
        this.#stats.hostAckAnswers++;
        this.#log.debug({ kind: reply.kind }, 'answer to the host ACK taken and dropped');
        continue;
      }
      if (!this.#waitress.resolve({ reply, at })) {
        this.#stats.unsolicited++;
        this.#log.debug({ code: frame.code, kind: reply.kind }, 'ID-003 frame nobody waited for');
      }
    }
    // A command held back for the host ACK's answer may go now.
    if (hostAckPending) this.#next();
  }
}
