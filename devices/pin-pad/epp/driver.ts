import { EventEmitter } from 'node:events';
import { type Clock, realClock } from '../../../core/clock.js';
import { ErrorCode, KioskError } from '../../../core/errors.js';
import type { Logger } from '../../../core/logger.js';
import { emitSafely } from '../../../core/safe-emitter.js';
import type { DeviceIdentity, DeviceStatus } from '../../device-status.js';
import type { LineAnswer } from '../../transport/command-line.js';
import { PolledSession, type SessionState } from '../../transport/polled-session.js';
import type { RetryInfo, SerialTransport, TransportLossReason } from '../../transport/serial-transport.js';
import type {
  DataEntryResult,
  EntryOptions,
  PinBlock,
  PinBlockRequest,
  PinEntryResult,
  PinPadEvents,
  PinPadStatus,
} from '../pin-pad.js';
import type { EppKeyScheme, EppPadMessage } from './codec/index.js';
import {
  type EppDriverOptions,
  type ResolvedEppDriverOptions,
  resolveEppDriverOptions,
} from './driver-options.js';
import { EntryRunner } from './entry-runner.js';
import type { EntryEnd, EntryKind } from './pad-entry.js';
import {
  busyError,
  type KeyFault,
  keyFaultError,
  keyFaultOf,
  keyFaultStatus,
  padAnswered,
  padRefusal,
  unexpectedReply,
} from './pad-errors.js';
import { PadLine } from './pad-line.js';

export interface EppDriverConfig {
  name: string;
  transport: SerialTransport;
  logger: Logger;
  options: EppDriverOptions;
  clock?: Clock;
}

interface PadSession extends SessionState {
  /** `reset` goes first on every connection: no entry or PIN from before it survives. */
  setupPending: boolean;
}

const DEFAULT_BEEP_MS = 200;

/**
 * The EPP PIN pad on its serial line (docs/devices/epp.md). Each connection starts with `reset`,
 * so a reconnect never resumes an entry or keeps a PIN; then a status poll runs, which is how a
 * silent pad is noticed mid-entry. Entries are one at a time (PadEntry); key presses arrive as
 * events between and during replies and are passed on masked, as the pad sent them. The PIN
 * block and KSN are handed to the caller and never logged: log lines carry their lengths.
 */
export class EppDriver extends EventEmitter<PinPadEvents> {
  readonly name: string;
  readonly #transport: SerialTransport;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #opts: ResolvedEppDriverOptions;
  readonly #line: PadLine;
  readonly #sessions: PolledSession<LineAnswer<EppPadMessage>, PadSession>;
  readonly #entries: EntryRunner;
  /** Undefined while the pad answers; otherwise why the line is not usable. */
  #lineStatus: DeviceStatus | undefined = { state: 'starting' };
  #keyScheme: EppKeyScheme | undefined;
  #keyFault: KeyFault | undefined;
  #identity: DeviceIdentity | undefined;
  #pinReady = false;
  #status: PinPadStatus = { state: 'starting', entry: 'idle', pinReady: false };
  #statusKey = '';
  readonly #counters = { polls: 0, entries: 0, pinBlocks: 0 };
  #started = false;
  #stopped = false;
  #startDone: (() => void) | undefined;
  #startPromise: Promise<void> | undefined;

  readonly #onOnline = (): void => this.#beginSession();
  readonly #onOffline = (reason: TransportLossReason): void => {
    this.#sessions.end(
      new KioskError(ErrorCode.DeviceOffline, `PIN pad ${this.name} is offline: ${reason.message}`, {
        details: { device: this.name, transportCode: reason.code },
      }),
    );
    this.#lineStatus = { state: 'offline' };
    this.#publish();
  };
  readonly #onRetry = (info: RetryInfo): void => {
    const { reason } = info;
    if (this.#stopped || reason.code !== ErrorCode.TransportOpenFailed || reason.errno === undefined) return;
    this.#lineStatus = { state: 'noDevice', reason: reason.errno };
    this.#publish();
    this.#finishStart();
  };

  constructor(config: EppDriverConfig) {
    super();
    this.name = config.name;
    this.#transport = config.transport;
    this.#log = config.logger.child({ device: config.name, protocol: 'epp' });
    this.#clock = config.clock ?? realClock;
    this.#opts = resolveEppDriverOptions(config.options);
    this.#line = new PadLine({
      port: config.transport,
      answerTimeoutMs: this.#opts.answerTimeoutMs,
      rawKeyBytes: this.#opts.rawKeyBytes,
      logger: this.#log,
      onEvent: (inbound) => this.#entries.handle(inbound),
    });
    this.#entries = new EntryRunner({
      name: this.name,
      log: this.#log,
      clock: this.#clock,
      answerTimeoutMs: this.#opts.answerTimeoutMs,
      rawKeys: this.#opts.rawKeyBytes.size > 0,
      send: (command) => this.#line.send(command),
      command: (command) => this.#command(command),
      refused: (command, reply) => this.#refused(command, reply),
      onPinKey: (key) => emitSafely(this, this.#log, 'PIN pad', 'pinKey', key),
      onDataKey: (key) => emitSafely(this, this.#log, 'PIN pad', 'dataKey', key),
      resetPad: (why) => {
        const session = this.#sessions.latest;
        if (!session?.active || session.setupPending) return;
        this.#log.warn({ why }, 'resetting the PIN pad at the next poll');
        session.setupPending = true;
      },
      changed: (entry, end) => {
        if (entry.kind === 'pin' && end)
          this.#pinReady = end.completion === 'enter' || end.completion === 'auto';
        this.#publish();
      },
    });
    this.#sessions = new PolledSession({
      device: {
        begin: (id) => this.#newSession(id),
        end: (_session, error) => {
          this.#line.close(error);
          this.#pinReady = false;
          this.#entries.fail(error);
          this.#publish();
        },
        poll: () => this.#poll(),
        handle: async (_session, answer) => this.#handlePoll(answer),
        noAnswer: (error) => {
          this.#log.warn({ err: error }, 'PIN pad does not answer status requests');
          this.#lineStatus = { state: 'offline', reason: 'noAnswer' };
          // A pad that went silent mid-entry is not trusted with it: the entry fails, and the
          // reset once it answers again makes sure it holds nothing.
          this.#pinReady = false;
          this.#entries.fail(
            new KioskError(ErrorCode.DeviceOffline, `PIN pad ${this.name} stopped answering`, {
              details: { device: this.name },
            }),
          );
          const session = this.#sessions.latest;
          if (session?.active) session.setupPending = true;
          this.#publish();
          this.#finishStart();
        },
        answersAgain: (silentMs) =>
          this.#log.info({ silentMs: Math.round(silentMs) }, 'PIN pad answers again'),
      },
      clock: this.#clock,
      pollIntervalMs: this.#opts.statusPollIntervalMs,
      logger: this.#log,
    });
  }

  get status(): PinPadStatus {
    return { ...this.#status };
  }

  get counters(): Readonly<Record<string, number>> {
    return { ...this.#line.stats, ...this.#entries.stats, ...this.#counters };
  }

  /** Follows the transport; resolves once the pad's status is known, it stopped answering, or stop(). */
  start(): Promise<void> {
    if (this.#stopped) {
      return Promise.reject(new KioskError(ErrorCode.DeviceBadState, `PIN pad ${this.name} was stopped`));
    }
    if (this.#startPromise) return this.#startPromise;
    this.#started = true;
    this.#startPromise = new Promise<void>((resolve) => {
      this.#startDone = resolve;
    });
    this.#transport.on('online', this.#onOnline);
    this.#transport.on('offline', this.#onOffline);
    this.#transport.on('retry', this.#onRetry);
    if (this.#transport.state === 'online') this.#beginSession();
    return this.#startPromise;
  }

  /** Stops polling; a running entry fails. Does not stop the transport (its owner does). */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#transport.off('online', this.#onOnline);
    this.#transport.off('offline', this.#onOffline);
    this.#transport.off('retry', this.#onRetry);
    this.#sessions.end(new KioskError(ErrorCode.DeviceOffline, `PIN pad ${this.name} stopped`));
    this.#finishStart();
  }

  /** `reset`: a running entry fails, a held PIN is forgotten, a tamper or DUKPT fault is read again. */
  async reset(): Promise<void> {
    const session = this.#requireSession();
    this.#entries.fail(
      new KioskError(ErrorCode.DeviceBadState, `PIN pad ${this.name} was reset during the entry`),
    );
    this.#pinReady = false;
    this.#keyFault = undefined;
    session.setupPending = false;
    await this.#command({ kind: 'reset' });
    this.#handlePoll(await this.#line.send({ kind: 'getStatus' }));
  }

  /** The pad's model, serial and firmware from its status reply (asked for when not yet known). */
  async readIdentity(): Promise<DeviceIdentity> {
    if (this.#identity) return { ...this.#identity };
    this.#requireSession();
    const answer = await this.#line.send({ kind: 'getStatus' });
    this.#handlePoll(answer);
    if (answer.reply.kind !== 'status') throw unexpectedReply(this.name, 'getStatus', answer.reply);
    return { model: answer.reply.model, firmware: answer.reply.firmware, serialNumber: answer.reply.serial };
  }

  async pinEntry(options: EntryOptions): Promise<PinEntryResult> {
    const end = await this.#runEntry('pin', options);
    return { digits: end.digits, completion: end.completion };
  }

  async dataEntry(options: EntryOptions): Promise<DataEntryResult> {
    const end = await this.#runEntry('data', options);
    return { value: end.value, completion: end.completion };
  }

  /** Ends a running entry as `cancel`; resolves once its promise has settled. Nothing runs: nothing sent. */
  cancelEntry(): Promise<void> {
    return this.#entries.cancel();
  }

  async getPinBlock(request: PinBlockRequest): Promise<PinBlock> {
    this.#requireSession();
    if (this.#entries.current) throw busyError(this.name, this.#entries.current.kind, 'a PIN block');
    if (this.#keyFault) throw keyFaultError(this.name, this.#keyFault);
    let reply: EppPadMessage;
    try {
      reply = await this.#command({ kind: 'getPinBlock', format: request.format, account: request.account });
    } catch (error) {
      // A request the codec refused was never sent. Otherwise the host stops counting on the
      // PIN, whatever the pad did with it: a block made, most refusals, and a lost reply drop it.
      if (!(error instanceof KioskError) || error.code !== ErrorCode.DeviceBadArgument) this.#dropPin();
      throw error;
    }
    this.#dropPin();
    if (reply.kind !== 'pinBlock' || reply.format !== request.format) {
      throw unexpectedReply(this.name, 'getPinBlock', reply);
    }
    this.#counters.pinBlocks++;
    this.#log.info(
      { format: reply.format, pinBlockBytes: reply.pinBlock.length, ksnBytes: reply.ksn.length },
      'PIN block received (redacted)',
    );
    return { format: reply.format, pinBlock: reply.pinBlock.slice(), ksn: reply.ksn.slice() };
  }

  async beep(durationMs = DEFAULT_BEEP_MS): Promise<void> {
    this.#requireSession();
    await this.#command({ kind: 'beep', durationMs });
  }

  // ── entries ──────────────────────────────────────────────────────────────────────────────

  async #runEntry(kind: EntryKind, options: EntryOptions): Promise<EntryEnd> {
    const session = this.#requireSession();
    if (this.#entries.current) throw busyError(this.name, this.#entries.current.kind, `a ${kind} entry`);
    if (kind === 'pin') {
      if (this.#keyFault) throw keyFaultError(this.name, this.#keyFault);
      if (this.#keyScheme === 'none') throw keyFaultError(this.name, 'noKey');
      // A new PIN entry replaces whatever PIN the pad held.
      this.#pinReady = false;
    }
    this.#counters.entries++;
    return this.#entries.run(kind, session.id, options);
  }

  // ── commands and sessions ────────────────────────────────────────────────────────────────

  /** Sends `command` and returns its OK reply; an error reply throws the KioskError it means. */
  async #command(command: Parameters<PadLine['send']>[0]): Promise<EppPadMessage> {
    const { reply } = await this.#line.send(command);
    if (reply.kind === 'error') throw this.#refused(command.kind, reply);
    if (reply.kind === 'unrecognised') throw unexpectedReply(this.name, command.kind, reply);
    return reply;
  }

  #refused(command: string, reply: Extract<EppPadMessage, { kind: 'error' }>): KioskError {
    const fault = keyFaultOf(reply.error);
    if (fault && this.#keyFault !== fault) {
      this.#keyFault = fault;
      this.#log.error({ fault }, 'PIN pad key fault');
      this.#publish();
    }
    return padRefusal(this.name, command, reply);
  }

  #requireSession(): PadSession {
    const session = this.#sessions.latest;
    if (!session?.active || this.#stopped) {
      throw new KioskError(
        ErrorCode.DeviceOffline,
        `PIN pad ${this.name} is ${this.#stopped ? 'stopped' : 'offline'}`,
        {
          details: { device: this.name },
        },
      );
    }
    return session;
  }

  #beginSession(): void {
    if (this.#stopped || !this.#started) return;
    this.#sessions.begin(() => new KioskError(ErrorCode.DeviceOffline, `PIN pad ${this.name} line reopened`));
  }

  #newSession(id: number): PadSession {
    this.#line.open();
    this.#keyScheme = undefined;
    this.#lineStatus = { state: 'starting' };
    this.#publish();
    this.#log.info({ session: id }, 'line online: resetting the PIN pad');
    return { id, active: true, setupPending: true };
  }

  async #poll(): Promise<LineAnswer<EppPadMessage>> {
    this.#counters.polls++;
    const session = this.#sessions.latest;
    if (session?.active && session.setupPending && !this.#entries.current) {
      try {
        await this.#command({ kind: 'reset' });
      } catch (error) {
        // Unanswered: the pad is silent, which the poll reports. Refused (a tampered pad answers
        // every command but getStatus with E8): it answered, holds nothing, and its status says why.
        if (!padAnswered(error)) throw error;
        this.#log.warn({ err: error }, 'PIN pad refused reset');
      }
      session.setupPending = false;
    }
    return this.#line.send({ kind: 'getStatus' }, 'poll');
  }

  #handlePoll(answer: LineAnswer<EppPadMessage>): void {
    const { reply, writtenAt } = answer;
    if (reply.kind === 'error') {
      this.#refused('getStatus', reply);
    } else if (reply.kind !== 'status') {
      this.#log.warn({ reply: reply.kind }, 'PIN pad answered getStatus with something else');
    } else {
      this.#identity = { model: reply.model, firmware: reply.firmware, serialNumber: reply.serial };
      this.#keyScheme = reply.keyScheme;
      this.#lineStatus = undefined;
      this.#entries.checkAgainst(reply.state, writtenAt);
    }
    this.#publish();
    this.#finishStart();
  }

  #dropPin(): void {
    this.#pinReady = false;
    this.#publish();
  }

  #publish(): void {
    const base: DeviceStatus =
      this.#lineStatus ??
      (this.#keyFault
        ? keyFaultStatus(this.#keyFault)
        : this.#keyScheme === 'none'
          ? { state: 'hardwareError', action: 'maintenance', reason: 'noKey' }
          : { state: 'online' });
    const status: PinPadStatus = {
      ...base,
      entry: this.#entries.current?.kind ?? 'idle',
      pinReady: this.#pinReady,
    };
    const key = JSON.stringify(status);
    this.#status = status;
    if (key === this.#statusKey) return;
    this.#statusKey = key;
    this.#log.info({ status }, 'PIN pad status');
    emitSafely(this, this.#log, 'PIN pad', 'status', { ...status });
  }

  #finishStart(): void {
    const done = this.#startDone;
    this.#startDone = undefined;
    done?.();
  }
}
