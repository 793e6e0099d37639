import { EventEmitter } from 'node:events';
import { realClock } from '../../../core/clock.js';
import { ErrorCode, KioskError } from '../../../core/errors.js';
import type { LineSettings } from '../../../core/line-settings.js';
import type { Logger } from '../../../core/logger.js';
import { emitSafely } from '../../../core/safe-emitter.js';
import type { DeviceIdentity, DeviceStatus } from '../../device-status.js';
import { PolledSession } from '../../transport/polled-session.js';
import type { TransportLossReason } from '../../transport/serial-transport.js';
import { TransportFollower } from '../../transport/transport-follower.js';
import type { CashAcceptorDriver, CashAcceptorEvents, CurrencyTableEntry } from '../cash-acceptor.js';
import type { AcceptorReply, AcceptorStatusName } from './codec/messages.js';
import {
  checkId003DriverConfig,
  type Id003DriverConfig,
  type ResolvedId003DriverOptions,
} from './driver-options.js';
import { type Id003Answer, Id003Exchange, type Id003ExchangeStats } from './exchange.js';
import { type EmitAcceptorEvent, Id003NoteFlow } from './note-flow.js';
import { failSessionWaiters, type Id003Session, Id003StartUp, newId003Session } from './start-up.js';
import {
  ERROR_STATES,
  hexOf,
  IDLE_STATUSES,
  meaningOf,
  POWER_UP_STATUSES,
  sameStatus,
  statusKey,
} from './status-map.js';

export type { Id003DriverConfig } from './driver-options.js';
export type { Id003DriverTiming } from './note-flow.js';

/** JCM ID-003 speaks 9600 baud, 8 data bits, even parity, 1 stop bit, no flow control. */
export const ID003_LINE: LineSettings = Object.freeze({
  baudRate: 9600,
  dataBits: 8,
  parity: 'even',
  stopBits: 1,
  rtscts: false,
  xonxoff: false,
});

export interface Id003DriverCounters extends Id003ExchangeStats {
  polls: number;
  escrows: number;
  credits: number;
}

/**
 * JCM ID-003 banknote acceptor driver: a strict master polling the unit, turning its statuses
 * into the protocol-neutral CashAcceptor events and keeping the money order of DESIGN.md
 * invariant 1 (escrow intent before STACK through the decideEscrow hook; credit committed
 * before VEND VALID is acknowledged through commitCredit).
 *
 * All traffic goes through one Id003Exchange (one command at a time). A poll loop sends STATUS
 * REQUEST every pollIntervalMs; everything the statuses call for (STACK, ACK, settings...) is
 * queued ahead of the next poll. This class owns the line sessions, the CashAcceptor API and
 * what each status means; bringing the unit into service is Id003StartUp's (start-up.ts), the
 * money path of a note is Id003NoteFlow's (note-flow.ts).
 */
export class Id003Driver extends EventEmitter<CashAcceptorEvents> implements CashAcceptorDriver {
  readonly name: string;
  readonly #opts: ResolvedId003DriverOptions;
  readonly #log: Logger;
  readonly #exchange: Id003Exchange;
  readonly #notes: Id003NoteFlow;
  readonly #startUp: Id003StartUp;

  #status: DeviceStatus = { state: 'starting' };
  #lastKey: string | undefined;
  readonly #sessions: PolledSession<Id003Answer, Id003Session>;
  #polls = 0;
  readonly #follower: TransportFollower;

  constructor(config: Id003DriverConfig) {
    super();
    this.#opts = checkId003DriverConfig(config);
    this.name = config.name;
    this.#follower = new TransportFollower(config.transport, `acceptor ${config.name}`, {
      online: () => this.#beginSession(),
      offline: (reason: TransportLossReason) => {
        this.#endSession(
          new KioskError(ErrorCode.DeviceOffline, `acceptor ${this.name} is offline: ${reason.message}`, {
            details: { device: this.name, transportCode: reason.code },
          }),
        );
        this.#setStatus({ state: 'offline' });
      },
      noDevice: (errno) => this.#setStatus({ state: 'noDevice', reason: errno }),
    });
    this.#log = config.logger.child({ device: config.name, protocol: 'id003' });
    const clock = config.clock ?? realClock;
    this.#exchange = new Id003Exchange({
      port: config.transport,
      answerTimeoutMs: this.#opts.answerTimeoutMs,
      retries: this.#opts.retries,
      logger: this.#log,
    });
    const emit: EmitAcceptorEvent = (event, ...args) => this.#emitSafe(event, ...args);
    this.#notes = new Id003NoteFlow({
      name: this.name,
      exchange: this.#exchange,
      hooks: config.hooks,
      options: this.#opts,
      logger: this.#log,
      clock,
      onTiming: config.onTiming,
      emit,
      lineActive: () => this.#session?.active === true,
      unitStatus: () => this.#lastKey,
    });
    this.#startUp = new Id003StartUp({
      name: this.name,
      exchange: this.#exchange,
      options: this.#opts,
      logger: this.#log,
      emit,
      notes: this.#notes,
      setStatus: (status) => this.#setStatus(status),
      finishStart: () => this.#follower.settleStart(),
    });
    this.#sessions = new PolledSession({
      device: {
        begin: (id) => this.#newSession(id),
        end: (session, error) => this.#sessionEnded(session, error),
        poll: () => {
          this.#polls++;
          return this.#exchange.send({ kind: 'statusRequest' }, 'poll');
        },
        handle: (session, answer) => this.#handleSafely(session, answer),
        noAnswer: (error) => {
          this.#log.warn({ err: error }, 'acceptor does not answer status requests');
          this.#setStatus({ state: 'offline', reason: 'noAnswer' });
          this.#follower.settleStart();
        },
        answersAgain: (silentMs) =>
          this.#log.info({ silentMs: Math.round(silentMs) }, 'acceptor answers again'),
      },
      clock,
      pollIntervalMs: this.#opts.pollIntervalMs,
      logger: this.#log,
    });
  }

  get #session(): Id003Session | undefined {
    return this.#sessions.latest;
  }

  get status(): DeviceStatus {
    return { ...this.#status };
  }

  get counters(): Id003DriverCounters {
    return {
      ...this.#exchange.stats,
      polls: this.#polls,
      escrows: this.#notes.escrows,
      credits: this.#notes.credits,
    };
  }

  /**
   * Follows the transport from now on. Resolves once the unit is initialised and set up, has
   * reported a fault, has stopped answering, or stop() was called; while the transport is not
   * online it waits for it.
   */
  start(): Promise<void> {
    return this.#follower.start();
  }

  /** Stops polling and every wait at once; does not stop the transport (its owner does). */
  async stop(): Promise<void> {
    if (!this.#follower.stop()) return;
    this.#endSession(new KioskError(ErrorCode.DeviceOffline, `acceptor ${this.name} stopped`));
    this.#notes.stopHolding();
  }

  async enable(denominations: readonly number[]): Promise<void> {
    if (!Array.isArray(denominations)) {
      throw new KioskError(
        ErrorCode.DeviceBadArgument,
        'enable needs an array of denominations in minor units',
      );
    }
    const accepted = new Set(this.#opts.acceptedDenominations);
    for (const value of denominations) {
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
        throw new KioskError(
          ErrorCode.DeviceBadArgument,
          `denomination ${String(value)} is not a positive whole amount`,
          {
            details: { denomination: value },
          },
        );
      }
      if (!accepted.has(value)) {
        throw new KioskError(
          ErrorCode.DeviceBadArgument,
          `denomination ${value} is not in this acceptor's acceptedDenominations (${[...accepted].join(', ')})`,
          { details: { denomination: value, accepted: [...accepted] } },
        );
      }
    }
    const session = this.#requireSession();
    this.#startUp.want(denominations.length === 0 ? undefined : new Set(denominations));
    await this.#requestEnableState(session);
  }

  async disable(): Promise<void> {
    const session = this.#requireSession();
    this.#startUp.want(undefined);
    await this.#requestEnableState(session);
  }

  async stack(): Promise<void> {
    this.#requireSession();
    await this.#exchange.send({ kind: this.#opts.stackCommand }, 'urgent');
  }

  async return(): Promise<void> {
    this.#requireSession();
    await this.#exchange.send({ kind: 'return' }, 'urgent');
  }

  async hold(): Promise<void> {
    this.#requireSession();
    await this.#exchange.send({ kind: 'hold' }, 'urgent');
  }

  /** RESET, then the same re-initialisation as after a power-up (settings, table, enable state). */
  async reset(): Promise<void> {
    const session = this.#requireSession();
    await this.#startUp.resetDevice(session, {
      stackerNote: this.#notes.stackAcked,
      acceptorNote: this.#notes.inAcceptor,
    });
  }

  async readIdentity(): Promise<DeviceIdentity> {
    return this.#startUp.readIdentity(this.#requireSession());
  }

  async readCurrencyTable(): Promise<CurrencyTableEntry[]> {
    return (await this.#startUp.loadCurrencyTable(this.#requireSession())).entries();
  }

  /** Enable state wanted by the host: applied now when the unit is idle, else at its next idle status. */
  #requestEnableState(session: Id003Session): Promise<void> {
    const idle = this.#lastKey !== undefined && IDLE_STATUSES.has(this.#lastKey as AcceptorStatusName);
    return this.#startUp.requestEnableState(session, idle);
  }

  // ── sessions ───────────────────────────────────────────────────────────────────────────

  #requireSession(): Id003Session {
    const session = this.#session;
    if (!session?.active) {
      throw new KioskError(
        ErrorCode.DeviceOffline,
        `acceptor ${this.name} is ${this.#follower.stopped ? 'stopped' : 'offline'}`,
        {
          details: { device: this.name },
        },
      );
    }
    return session;
  }

  #beginSession(): void {
    if (!this.#follower.following) return;
    this.#sessions.begin(
      () => new KioskError(ErrorCode.DeviceOffline, `acceptor ${this.name} line reopened`),
    );
  }

  #newSession(id: number): Id003Session {
    const session = newId003Session(id);
    // Open before the first poll, which the session sends as soon as this returns.
    this.#exchange.open();
    if (this.#status.state === 'offline' || this.#status.state === 'noDevice') {
      this.#setStatus({ state: 'starting' });
    }
    this.#log.info({ session: id }, 'line online: contacting the acceptor');
    return session;
  }

  #endSession(error: KioskError): void {
    this.#sessions.end(error);
  }

  #sessionEnded(session: Id003Session, error: KioskError): void {
    this.#exchange.close(error);
    failSessionWaiters(session, error);
  }

  async #handleSafely(session: Id003Session, answer: Id003Answer): Promise<void> {
    try {
      await this.#handle(session, answer);
    } catch (error) {
      if (!session.active) return;
      // Whatever was pending stays pending and is tried again on the next poll.
      this.#log.warn({ err: error, status: statusKey(answer.reply) }, 'acting on the acceptor status failed');
    }
  }

  // ── statuses ───────────────────────────────────────────────────────────────────────────

  async #handle(session: Id003Session, answer: Id003Answer): Promise<void> {
    const reply = answer.reply;
    const entered = this.#applyStatus(reply);
    switch (reply.kind) {
      case 'escrow':
        this.#notes.onEscrow(
          this.#startUp.currencyMap ?? (await this.#startUp.loadCurrencyTable(session)),
          reply.escrowCode,
          answer.receivedAt,
          answer.writtenAt,
        );
        return;
      case 'rejecting':
        this.#notes.noteGone('rejected');
        return;
      case 'status':
        break;
      default:
        return;
    }
    const status = reply.status;
    if (POWER_UP_STATUSES.has(status)) {
      await this.#startUp.powerUp(session, status, entered);
      return;
    }
    switch (status) {
      case 'initialize':
        this.#notes.unitInitialised();
        await this.#startUp.initialising(session);
        return;
      case 'idling':
      case 'disabled':
      case 'stackerFull':
        this.#notes.unitInitialised();
        // Set-up first: a power-up return still pending must see the note as it was.
        await this.#startUp.setUp(session);
        this.#notes.noteGone('idle');
        return;
      case 'accepting':
        this.#notes.noteGone('idle');
        return;
      case 'vendValid':
        this.#notes.onVendValid(answer.writtenAt);
        return;
      case 'stacked':
        this.#notes.onStacked();
        return;
      case 'returning':
        this.#notes.noteGone('returned');
        return;
      case 'invalidCommand':
        this.#log.warn('acceptor answered a status request with INVALID COMMAND');
        return;
      default:
        return;
    }
  }

  /** Maps the reply to the DESIGN status and emits the events of entering a new unit status. Returns whether it is new. */
  #applyStatus(reply: AcceptorReply): boolean {
    const meaning = meaningOf(reply);
    if (!meaning && reply.kind !== 'unknownStatus') return false;
    const key = statusKey(reply);
    const previous = this.#lastKey;
    const entered = key !== previous;
    this.#lastKey = key;
    if (entered) {
      this.#log.debug({ from: previous, to: key }, 'acceptor status');
      if (previous === 'stackerOpen') this.#emitSafe('cashboxReplaced');
      switch (meaning?.onEnter) {
        case 'cashboxFull':
          this.#emitSafe('cashboxFull');
          break;
        case 'cashboxRemoved':
          this.#emitSafe('cashboxRemoved');
          break;
        case 'jamInAcceptor':
          this.#emitSafe('jam', { where: 'acceptor' });
          break;
        case 'jamInStacker':
          this.#emitSafe('jam', { where: 'stacker' });
          break;
        case 'cheat':
          this.#emitSafe('cheat');
          break;
        case undefined:
          break;
      }
      if (reply.kind === 'rejecting') {
        this.#emitSafe('rejected', { reason: reply.reason, deviceCode: reply.reasonCode });
      }
      if (reply.kind === 'unknownStatus') {
        this.#log.warn(
          { code: reply.code, data: hexOf(reply.data), malformed: reply.malformed === true },
          'unknown acceptor status',
        );
        this.#emitSafe('unknownStatus', { deviceCode: reply.code, data: hexOf(reply.data) });
      }
    }
    if (meaning) {
      this.#setStatus(meaning.status);
      if (ERROR_STATES.has(meaning.status.state)) this.#follower.settleStart();
    }
    return entered;
  }

  #setStatus(status: DeviceStatus): void {
    if (sameStatus(status, this.#status)) return;
    this.#status = { ...status };
    this.#log.info({ status }, 'acceptor status changed');
    this.#emitSafe('status', { ...status });
  }

  #emitSafe<E extends keyof CashAcceptorEvents>(event: E, ...args: CashAcceptorEvents[E]): void {
    emitSafely(this, this.#log, 'acceptor event', event, ...args);
  }
}
