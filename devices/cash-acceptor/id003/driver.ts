import { EventEmitter } from 'node:events';
import { type Clock, realClock } from '../../../core/clock.js';
import { ErrorCode, KioskError } from '../../../core/errors.js';
import type { LineSettings } from '../../../core/line-settings.js';
import type { Logger } from '../../../core/logger.js';
import { emitSafely } from '../../../core/safe-emitter.js';
import type { DeviceIdentity, DeviceStatus } from '../../device-status.js';
import { PolledSession, type SessionState } from '../../transport/polled-session.js';
import type { RetryInfo, SerialTransport, TransportLossReason } from '../../transport/serial-transport.js';
import type {
  CashAcceptorDriver,
  CashAcceptorEvents,
  CashAcceptorHooks,
  CurrencyTableEntry,
  EscrowDecision,
  EscrowedNote,
  NoteCredit,
} from '../cash-acceptor.js';
import {
  type AcceptorReply,
  type AcceptorStatusName,
  encodeCommand,
  type HostCommand,
} from './codec/messages.js';
import { ALL_DENOMINATIONS_DISABLED, Id003CurrencyMap } from './currency-map.js';
import {
  type Id003DriverOptions,
  type ResolvedId003DriverOptions,
  resolveId003DriverOptions,
} from './driver-options.js';
import { type Id003Answer, Id003Exchange, type Id003ExchangeStats } from './exchange.js';
import { meaningOf, sameStatus, statusKey } from './status-map.js';

/** JCM ID-003 speaks 9600 baud, 8 data bits, even parity, 1 stop bit, no flow control. */
export const ID003_LINE: LineSettings = Object.freeze({
  baudRate: 9600,
  dataBits: 8,
  parity: 'even',
  stopBits: 1,
  rtscts: false,
  xonxoff: false,
});

/**
 * Escrow decision latency, for benchmarks: from the data event that completed the ESCROW frame
 * to the moment the STACK frame was handed to the port (both performance.now()).
 */
export interface Id003DriverTiming {
  kind: 'escrowToStack';
  escrowId: string;
  escrowReceivedAt: number;
  stackWrittenAt: number;
  ms: number;
}

export interface Id003DriverConfig {
  name: string;
  /** Constructed and started by the caller; the driver follows its online/offline/data events. */
  transport: SerialTransport;
  hooks: CashAcceptorHooks;
  options: Id003DriverOptions;
  logger: Logger;
  clock?: Clock;
  /** Called once per stacked note; must be cheap (it runs on the escrow path). */
  onTiming?: (timing: Id003DriverTiming) => void;
}

export interface Id003DriverCounters extends Id003ExchangeStats {
  polls: number;
  escrows: number;
  credits: number;
}

type NotePhase =
  /** In escrow, the host has not answered decideEscrow yet. */
  | 'deciding'
  /** The host said stack (or the unit reported a credit this driver did not see escrowed). */
  | 'stacking'
  /** The host said return, or the driver cannot value the note. */
  | 'returning'
  /** commitCredit resolved; the unit may still repeat VEND VALID until it has our ACK. */
  | 'credited'
  | 'ended';

/** What the driver knows about the one note an acceptor can hold in its path. */
interface NoteState {
  escrowId: string;
  deviceCode: number | undefined;
  denomination: number | undefined;
  phase: NotePhase;
  noteId?: string;
  returnReason?: string;
  escrowReceivedAt: number;
  /**
   * performance.now() at the write of the latest status request whose answer showed this note
   * in escrow: the unit's state is known no earlier than that.
   */
  seenInEscrowAt: number;
  /** The unit acknowledged STACK: the note is past the point where it can come back out. */
  stackAcked: boolean;
  commandInFlight: boolean;
  commandFailed: boolean;
  /** The note left escrow (unit timeout, RESET) before the host decided: report it once the decision is in. */
  goneWhileDeciding: boolean;
  timed: boolean;
  cancelHold?: () => void;
  /** The host ACK of this note's VEND VALID is queued or being written. */
  ackPending: boolean;
  /** performance.now() of the latest host ACK's write: a VEND VALID seen by a later poll means it was lost. */
  ackWrittenAt?: number;
}

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** One connection's worth of state: a new one starts on every `online`. */
interface Session extends SessionState {
  /** Settings, table and enable state are in place since the last power-up or reset. */
  ready: boolean;
  /** A setting echo never matched: the unit is unusable until someone looks at it. */
  faulted: boolean;
  settingsPending: boolean;
  identityPending: boolean;
  tablePending: boolean;
  enablePending: boolean;
  /** After a power-up with a note in the acceptor, RESET hands it back: report it once initialised. */
  acceptorReturnPending: boolean;
  readyWaiters: Waiter[];
  enableWaiters: Waiter[];
}

const IDLE_STATUSES = new Set<AcceptorStatusName>(['idling', 'disabled', 'stackerFull']);
const POWER_UP_STATUSES = new Set<AcceptorStatusName>([
  'powerUp',
  'powerUpBillInAcceptor',
  'powerUpBillInStacker',
]);
const ERROR_STATES = new Set<DeviceStatus['state']>([
  'hardwareError',
  'fraudAttempt',
  'potentialFraud',
  'userError',
  'deviceBusy',
]);

/** details.reason of the DeviceProtocol error for a setting the unit echoed differently every time. */
const ECHO_MISMATCH = 'echoMismatch';

function isEchoMismatch(error: unknown): error is KioskError {
  return (
    error instanceof KioskError &&
    error.code === ErrorCode.DeviceProtocol &&
    error.details?.['reason'] === ECHO_MISMATCH
  );
}

function hexOf(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.length).toString('hex');
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

function validDecision(decision: unknown): decision is EscrowDecision {
  if (typeof decision !== 'object' || decision === null) return false;
  const d = decision as Record<string, unknown>;
  if (d['action'] === 'stack') return typeof d['noteId'] === 'string' && d['noteId'] !== '';
  return d['action'] === 'return' && typeof d['reason'] === 'string';
}

/**
 * JCM ID-003 banknote acceptor driver: a strict master polling the unit, turning its statuses
 * into the protocol-neutral CashAcceptor events and keeping the money order of DESIGN.md
 * invariant 1 (escrow intent before STACK through the decideEscrow hook; credit committed
 * before VEND VALID is acknowledged through commitCredit).
 *
 * All traffic goes through one Id003Exchange (one command at a time). A poll loop sends STATUS
 * REQUEST every pollIntervalMs; everything the statuses call for (STACK, ACK, settings...) is
 * queued ahead of the next poll. Start-up is not a separate script: it is what the status
 * handler does with a power-up status, and settings/currency table/enable state are re-applied
 * whenever the unit is idle and they are pending, which also covers a unit that kept power
 * while the line was down.
 */
export class Id003Driver extends EventEmitter<CashAcceptorEvents> implements CashAcceptorDriver {
  readonly name: string;
  readonly #transport: SerialTransport;
  readonly #hooks: CashAcceptorHooks;
  readonly #opts: ResolvedId003DriverOptions;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #onTiming: ((timing: Id003DriverTiming) => void) | undefined;
  readonly #exchange: Id003Exchange;

  #status: DeviceStatus = { state: 'starting' };
  #lastKey: string | undefined;
  #map: Id003CurrencyMap | undefined;
  /** Denominations the host enabled; undefined while acceptance is disabled. */
  #wanted: ReadonlySet<number> | undefined;
  #note: NoteState | undefined;
  #commit: Promise<void> | undefined;
  readonly #sessions: PolledSession<Id003Answer, Session>;
  #escrowCount = 0;
  #polls = 0;
  #credits = 0;
  #started = false;
  /**
   * The note the unit reported in its stacker at power-up is credited, and the unit has not yet
   * been through INITIALIZE since: its repeated power-up status is about the same note.
   */
  #stackerCredited = false;
  #stopped = false;
  #startDone: (() => void) | undefined;
  #startPromise: Promise<void> | undefined;

  readonly #onOnline = (): void => this.#beginSession();
  /** A port that will not open, for a reason the OS named: the unit is not there (yet). */
  readonly #onRetry = (info: RetryInfo): void => {
    const { reason } = info;
    if (this.#stopped || reason.code !== ErrorCode.TransportOpenFailed || reason.errno === undefined) return;
    this.#setStatus({ state: 'noDevice', reason: reason.errno });
    this.#finishStart();
  };
  readonly #onOffline = (reason: TransportLossReason): void => {
    this.#endSession(
      new KioskError(ErrorCode.DeviceOffline, `acceptor ${this.name} is offline: ${reason.message}`, {
        details: { device: this.name, transportCode: reason.code },
      }),
    );
    this.#setStatus({ state: 'offline' });
  };

  constructor(config: Id003DriverConfig) {
    super();
    const bad = (message: string): never => {
      throw new KioskError(ErrorCode.ConfigInvalid, `id003 driver: ${message}`);
    };
    if (typeof config !== 'object' || config === null) bad('config must be an object');
    if (typeof config.name !== 'string' || config.name === '') bad('name must be a non-empty string');
    if (typeof config.transport?.write !== 'function' || typeof config.transport?.on !== 'function') {
      bad('transport must be a SerialTransport');
    }
    if (
      typeof config.hooks?.decideEscrow !== 'function' ||
      typeof config.hooks?.commitCredit !== 'function'
    ) {
      bad('hooks must provide decideEscrow and commitCredit');
    }
    if (typeof config.logger !== 'object' || config.logger === null) bad('logger is required');
    if (config.onTiming !== undefined && typeof config.onTiming !== 'function')
      bad('onTiming must be a function');
    this.#opts = resolveId003DriverOptions(config.options);
    this.name = config.name;
    this.#transport = config.transport;
    this.#hooks = config.hooks;
    this.#log = config.logger.child({ device: config.name, protocol: 'id003' });
    this.#clock = config.clock ?? realClock;
    this.#onTiming = config.onTiming;
    this.#exchange = new Id003Exchange({
      port: config.transport,
      answerTimeoutMs: this.#opts.answerTimeoutMs,
      retries: this.#opts.retries,
      logger: this.#log,
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
          this.#finishStart();
        },
        answersAgain: (silentMs) =>
          this.#log.info({ silentMs: Math.round(silentMs) }, 'acceptor answers again'),
      },
      clock: this.#clock,
      pollIntervalMs: this.#opts.pollIntervalMs,
      logger: this.#log,
    });
  }

  get #session(): Session | undefined {
    return this.#sessions.latest;
  }

  get status(): DeviceStatus {
    return { ...this.#status };
  }

  get counters(): Id003DriverCounters {
    return {
      ...this.#exchange.stats,
      polls: this.#polls,
      escrows: this.#escrowCount,
      credits: this.#credits,
    };
  }

  /**
   * Follows the transport from now on. Resolves once the unit is initialised and set up, has
   * reported a fault, has stopped answering, or stop() was called; while the transport is not
   * online it waits for it.
   */
  start(): Promise<void> {
    if (this.#stopped) {
      return Promise.reject(new KioskError(ErrorCode.DeviceBadState, `acceptor ${this.name} was stopped`));
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

  /** Stops polling and every wait at once; does not stop the transport (its owner does). */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#transport.off('online', this.#onOnline);
    this.#transport.off('offline', this.#onOffline);
    this.#transport.off('retry', this.#onRetry);
    this.#endSession(new KioskError(ErrorCode.DeviceOffline, `acceptor ${this.name} stopped`));
    this.#note?.cancelHold?.();
    this.#finishStart();
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
    this.#wanted = denominations.length === 0 ? undefined : new Set(denominations);
    await this.#requestEnableState(session);
  }

  async disable(): Promise<void> {
    const session = this.#requireSession();
    this.#wanted = undefined;
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
    const note = this.#note;
    const stackerNote = note !== undefined && note.phase === 'stacking' && note.stackAcked;
    const acceptorNote = note !== undefined && (note.phase === 'deciding' || note.phase === 'returning');
    await this.#resetDevice(session, { stackerNote, acceptorNote });
  }

  async readIdentity(): Promise<DeviceIdentity> {
    this.#requireSession();
    return this.#readIdentity();
  }

  async readCurrencyTable(): Promise<CurrencyTableEntry[]> {
    this.#requireSession();
    return (await this.#loadCurrencyTable()).entries();
  }

  // ── sessions ───────────────────────────────────────────────────────────────────────────

  #requireSession(): Session {
    const session = this.#session;
    if (!session?.active) {
      throw new KioskError(
        ErrorCode.DeviceOffline,
        `acceptor ${this.name} is ${this.#stopped ? 'stopped' : 'offline'}`,
        {
          details: { device: this.name },
        },
      );
    }
    return session;
  }

  #beginSession(): void {
    if (this.#stopped || !this.#started) return;
    this.#sessions.begin(
      () => new KioskError(ErrorCode.DeviceOffline, `acceptor ${this.name} line reopened`),
    );
  }

  #newSession(id: number): Session {
    const session: Session = {
      id,
      active: true,
      ready: false,
      faulted: false,
      settingsPending: true,
      identityPending: true,
      tablePending: true,
      enablePending: true,
      acceptorReturnPending: false,
      readyWaiters: [],
      enableWaiters: [],
    };
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

  #sessionEnded(session: Session, error: KioskError): void {
    this.#exchange.close(error);
    for (const waiter of [...session.readyWaiters, ...session.enableWaiters]) waiter.reject(error);
    session.readyWaiters = [];
    session.enableWaiters = [];
  }

  #finishStart(): void {
    const done = this.#startDone;
    this.#startDone = undefined;
    done?.();
  }

  async #handleSafely(session: Session, answer: Id003Answer): Promise<void> {
    try {
      await this.#handle(session, answer);
    } catch (error) {
      if (!session.active) return;
      // Whatever was pending stays pending and is tried again on the next poll.
      this.#log.warn({ err: error, status: statusKey(answer.reply) }, 'acting on the acceptor status failed');
    }
  }

  // ── statuses ───────────────────────────────────────────────────────────────────────────

  async #handle(session: Session, answer: Id003Answer): Promise<void> {
    const reply = answer.reply;
    const entered = this.#applyStatus(reply);
    switch (reply.kind) {
      case 'escrow':
        if (!this.#map) await this.#loadCurrencyTable();
        this.#onEscrow(reply.escrowCode, answer.receivedAt, answer.writtenAt);
        return;
      case 'rejecting':
        this.#noteGone('rejected');
        return;
      case 'status':
        break;
      default:
        return;
    }
    const status = reply.status;
    if (POWER_UP_STATUSES.has(status)) {
      await this.#powerUp(session, status, entered);
      return;
    }
    switch (status) {
      case 'initialize':
        this.#stackerCredited = false;
        if (session.settingsPending && !session.faulted) await this.#sendSettings(session);
        return;
      case 'idling':
      case 'disabled':
      case 'stackerFull':
        this.#stackerCredited = false;
        // Set-up first: a power-up return still pending must see the note as it was.
        await this.#setUp(session);
        this.#noteGone('idle');
        return;
      case 'accepting':
        this.#noteGone('idle');
        return;
      case 'vendValid':
        this.#onVendValid(answer.writtenAt);
        return;
      case 'stacked':
        if (this.#note?.phase === 'credited') this.#note.phase = 'ended';
        return;
      case 'returning':
        this.#noteGone('returned');
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
      if (ERROR_STATES.has(meaning.status.state)) this.#finishStart();
    }
    return entered;
  }

  #setStatus(status: DeviceStatus): void {
    if (sameStatus(status, this.#status)) return;
    this.#status = { ...status };
    this.#log.info({ status }, 'acceptor status changed');
    this.#emitSafe('status', { ...status });
  }

  // ── start-up ───────────────────────────────────────────────────────────────────────────

  async #powerUp(session: Session, status: AcceptorStatusName, entered: boolean): Promise<void> {
    const note = this.#note;
    if (entered) {
      session.ready = false;
      if (status === 'powerUpBillInAcceptor') this.#emitSafe('powerUpWithNote', { where: 'acceptor' });
      if (status === 'powerUpBillInStacker') this.#emitSafe('powerUpWithNote', { where: 'stacker' });
      this.#log.info({ status, note: note?.phase }, 'acceptor powered up');
    }
    if (session.identityPending) await this.#readIdentity();
    await this.#resetDevice(session, {
      stackerNote:
        status === 'powerUpBillInStacker' ||
        // A plain power-up after STACK was acknowledged: the note went all the way in while the power was out.
        (status === 'powerUp' && note !== undefined && note.phase === 'stacking' && note.stackAcked),
      acceptorNote: status === 'powerUpBillInAcceptor',
    });
  }

  async #resetDevice(
    session: Session,
    notes: { stackerNote: boolean; acceptorNote: boolean },
  ): Promise<void> {
    // Credit before RESET, as a credit before the ACK of VEND VALID: once reset, the unit no
    // longer says a note was in its stacker, so a daemon killed between RESET and the credit
    // would leave that note in the cashbox and nowhere in the journal.
    if (notes.stackerNote && !this.#stackerCredited) await this.#creditStackerNote();
    await this.#exchange.send({ kind: 'reset' }, 'urgent');
    // Only once RESET is acknowledged: until then the unit may still be reporting the old state.
    session.ready = false;
    session.settingsPending = true;
    session.enablePending = true;
    session.tablePending = true;
    if (notes.acceptorNote) session.acceptorReturnPending = true;
    this.#log.info(notes, 'acceptor reset');
  }

  /** Runs whatever set-up is pending while the unit is idle, in start-up order. */
  async #setUp(session: Session): Promise<void> {
    if (session.faulted) return;
    if (session.settingsPending) await this.#sendSettings(session);
    if (session.faulted) return;
    if (session.identityPending) await this.#readIdentity();
    if (session.tablePending) await this.#loadCurrencyTable();
    if (session.acceptorReturnPending) {
      session.acceptorReturnPending = false;
      const note = this.#note;
      if (note && note.phase !== 'ended' && note.phase !== 'credited') this.#noteGone('returned');
      else this.#emitSafe('returned', {});
    }
    if (session.enablePending) await this.#applyEnableState(session);
    if (!session.ready) {
      session.ready = true;
      this.#log.info({ enabled: this.#wanted ? [...this.#wanted] : [] }, 'acceptor ready');
      for (const waiter of session.readyWaiters) waiter.resolve();
      session.readyWaiters = [];
      this.#finishStart();
      this.#emitSafe('ready');
    }
  }

  async #sendSettings(session: Session): Promise<void> {
    const map = this.#map;
    const settings: HostCommand[] = [
      {
        kind: 'setEnable',
        disabledMask: map && this.#wanted ? map.disabledMask(this.#wanted) : ALL_DENOMINATIONS_DISABLED,
      },
      { kind: 'setSecurity', mask: this.#opts.securityMask },
      { kind: 'setCommunicationMode', mode: 0 },
      { kind: 'setDirection', mask: this.#opts.directionMask },
    ];
    try {
      for (const setting of settings) await this.#setting(setting);
    } catch (error) {
      if (isEchoMismatch(error)) this.#settingNotTaken(session, error);
      throw error;
    }
    session.settingsPending = false;
  }

  /** Sends a setting and checks the unit echoes exactly what was sent, trying again on a mismatch. */
  async #setting(command: HostCommand): Promise<void> {
    const frame = encodeCommand(command);
    const sent = frame.subarray(3, frame.length - 2);
    let echoed: Uint8Array | undefined;
    for (let attempt = 0; attempt <= this.#opts.retries; attempt++) {
      const { reply } = await this.#exchange.send(command, 'normal');
      if (reply.kind === 'settingEcho' && sameBytes(reply.data, sent)) return;
      echoed = reply.kind === 'settingEcho' ? reply.data : undefined;
      this.#log.warn(
        { setting: command.kind, sent: hexOf(sent), echoed: echoed && hexOf(echoed) },
        'setting echo differs',
      );
    }
    throw new KioskError(
      ErrorCode.DeviceProtocol,
      `the acceptor did not take ${command.kind}: its echo differs`,
      {
        details: {
          reason: ECHO_MISMATCH,
          setting: command.kind,
          sent: hexOf(sent),
          echoed: echoed ? hexOf(echoed) : null,
        },
      },
    );
  }

  #settingNotTaken(session: Session, error: KioskError): void {
    session.faulted = true;
    this.#log.error({ err: error }, 'acceptor refuses its settings; not enabling it');
    this.#setStatus({ state: 'hardwareError', action: 'configuration', reason: 'settingNotTaken' });
    for (const waiter of session.enableWaiters) waiter.reject(error);
    session.enableWaiters = [];
    this.#finishStart();
  }

  async #readIdentity(): Promise<DeviceIdentity> {
    const version = await this.#exchange.send({ kind: 'get', what: 'version' }, 'normal');
    const boot = await this.#exchange.send({ kind: 'get', what: 'bootVersion' }, 'normal');
    const versionText = version.reply.kind === 'version' ? version.reply.text.trim() : '';
    const bootText = boot.reply.kind === 'bootVersion' ? boot.reply.text.trim() : '';
    // ID-003 has no model request; the version string's layout is vendor-specific (unverified),
    // so it is reported whole rather than parsed.
    const identity: DeviceIdentity = {
      model: 'JCM ID-003',
      firmware: bootText ? `${versionText} (boot ${bootText})` : versionText,
    };
    if (this.#session) this.#session.identityPending = false;
    this.#emitSafe('identity', identity);
    return identity;
  }

  async #loadCurrencyTable(): Promise<Id003CurrencyMap> {
    const { reply } = await this.#exchange.send({ kind: 'get', what: 'currencyAssignment' }, 'normal');
    if (reply.kind !== 'currencyAssignment') {
      throw new KioskError(ErrorCode.DeviceProtocol, `currency table request answered with ${reply.kind}`);
    }
    const map = new Id003CurrencyMap({
      table: reply.entries,
      minorUnitsPerMajor: this.#opts.minorUnitsPerMajor,
      acceptedDenominations: this.#opts.acceptedDenominations,
      denominationOverride: this.#opts.denominationOverride,
    });
    if (map.problems.length > 0)
      this.#log.warn({ problems: map.problems }, 'acceptor currency table has rows ignored');
    this.#map = map;
    if (this.#session) this.#session.tablePending = false;
    this.#log.info({ table: map.entries() }, 'acceptor currency table');
    return map;
  }

  /** Enable state wanted by the host: applied now when the unit is idle, else at its next idle status. */
  async #requestEnableState(session: Session): Promise<void> {
    session.enablePending = true;
    if (session.faulted) {
      throw new KioskError(
        ErrorCode.DeviceBadState,
        `acceptor ${this.name} refused its settings; cannot enable it`,
      );
    }
    const idle = this.#lastKey !== undefined && IDLE_STATUSES.has(this.#lastKey as AcceptorStatusName);
    if (session.ready && idle) {
      await this.#applyEnableState(session);
      return;
    }
    await new Promise<void>((resolve, reject) => session.enableWaiters.push({ resolve, reject }));
  }

  async #applyEnableState(session: Session): Promise<void> {
    session.enablePending = false;
    const waiters = session.enableWaiters;
    session.enableWaiters = [];
    try {
      const wanted = this.#wanted;
      const map = this.#map ?? (await this.#loadCurrencyTable());
      if (wanted) {
        await this.#setting({ kind: 'setEnable', disabledMask: map.disabledMask(wanted) });
        await this.#setting({ kind: 'setInhibit', inhibit: false });
      } else {
        await this.#setting({ kind: 'setInhibit', inhibit: true });
      }
    } catch (error) {
      session.enablePending = true;
      session.enableWaiters.push(...waiters);
      if (isEchoMismatch(error)) this.#settingNotTaken(session, error);
      throw error;
    }
    for (const waiter of waiters) waiter.resolve();
  }

  // ── money ──────────────────────────────────────────────────────────────────────────────

  #newNote(
    deviceCode: number | undefined,
    denomination: number | undefined,
    receivedAt: number,
    seenAt: number,
  ): NoteState {
    return {
      escrowId: `${this.name}-${++this.#escrowCount}`,
      deviceCode,
      denomination,
      phase: 'deciding',
      escrowReceivedAt: receivedAt,
      seenInEscrowAt: seenAt,
      stackAcked: false,
      commandInFlight: false,
      commandFailed: false,
      goneWhileDeciding: false,
      timed: false,
      ackPending: false,
    };
  }

  #onEscrow(code: number, receivedAt: number, seenAt: number): void {
    const current = this.#note;
    if (
      current &&
      current.deviceCode === code &&
      (current.phase === 'deciding' || current.phase === 'stacking' || current.phase === 'returning')
    ) {
      current.seenInEscrowAt = Math.max(current.seenInEscrowAt, seenAt);
      // The same note, still in escrow: send again a STACK or RETURN that did not get through.
      if (current.phase !== 'deciding' && current.commandFailed && !current.commandInFlight) {
        void this.#sendEscrowCommand(current);
      }
      return;
    }
    if (current && current.phase !== 'ended' && current.phase !== 'deciding') {
      // Polls can miss a short RETURNING/IDLING between two notes (a slow host, a corrupt
      // answer). Settle the last note first, exactly as if its leaving had been seen, so the
      // host hears of a returned note before it is asked about the next one.
      this.#log.warn(
        { escrowId: current.escrowId, phase: current.phase },
        'a new note in escrow before the last one was seen leaving the path',
      );
      this.#noteGone('idle');
    }
    const denomination = this.#map?.acceptedDenomination(code);
    const note = this.#newNote(code, denomination, receivedAt, seenAt);
    this.#note = note;
    if (denomination === undefined) {
      this.#log.warn(
        { escrowCode: code, escrowId: note.escrowId },
        'note not in the accepted currency map: returning it',
      );
      note.phase = 'returning';
      note.returnReason = 'unknownDenomination';
      void this.#sendEscrowCommand(note);
      return;
    }
    const escrowed: EscrowedNote = { escrowId: note.escrowId, deviceCode: code, denomination };
    this.#emitSafe('escrow', { ...escrowed });
    void this.#decide(note, escrowed);
  }

  async #decide(note: NoteState, escrowed: EscrowedNote): Promise<void> {
    note.cancelHold = this.#holdWhileDeciding(note);
    let decision: EscrowDecision;
    try {
      const answer: unknown = await this.#hooks.decideEscrow(escrowed);
      if (!validDecision(answer)) {
        throw new KioskError(
          ErrorCode.DeviceBadArgument,
          'decideEscrow must answer {action:"stack", noteId} or {action:"return", reason}',
          {
            details: { escrowId: note.escrowId },
          },
        );
      }
      decision = answer;
    } catch (error) {
      this.#log.error({ err: error, escrowId: note.escrowId }, 'escrow decision failed: returning the note');
      decision = { action: 'return', reason: 'decisionFailed' };
    } finally {
      note.cancelHold();
      note.cancelHold = undefined;
    }
    if (note.goneWhileDeciding || note.phase !== 'deciding' || this.#note !== note) {
      // The unit gave the note back (its own escrow timeout, a power cut) before the host answered.
      note.phase = 'ended';
      this.#emitSafe('returned', {
        escrowId: note.escrowId,
        ...(decision.action === 'stack' ? { noteId: decision.noteId } : {}),
      });
      return;
    }
    if (decision.action === 'stack') {
      note.noteId = decision.noteId;
      note.phase = 'stacking';
    } else {
      note.phase = 'returning';
      note.returnReason = decision.reason;
    }
    await this.#sendEscrowCommand(note);
  }

  #holdWhileDeciding(note: NoteState): () => void {
    const every = this.#opts.escrowHoldMs;
    if (every <= 0) return () => {};
    let timer: { cancel(): void } | undefined;
    const arm = (): void => {
      timer = this.#clock.setTimer(() => {
        if (note.phase !== 'deciding' || this.#note !== note || !this.#session?.active) return;
        this.#exchange.send({ kind: 'hold' }, 'urgent').catch((error: unknown) => {
          this.#log.debug({ err: error, escrowId: note.escrowId }, 'HOLD not taken');
        });
        arm();
      }, every);
    };
    arm();
    return () => timer?.cancel();
  }

  async #sendEscrowCommand(note: NoteState): Promise<void> {
    const stacking = note.phase === 'stacking';
    if (!this.#session?.active) {
      // Sent when the unit shows the note in escrow again after the line is back.
      note.commandFailed = true;
      return;
    }
    if (stacking && !note.stackAcked) {
      const ageMs = performance.now() - note.seenInEscrowAt;
      if (ageMs > this.#opts.staleEscrowMs) {
        // The unit may have handed this note back and drawn in the next one since it was last
        // seen: STACK goes out when a status request written from now on shows the note still
        // in escrow (#onEscrow); a note seen leaving instead is reported returned (#noteGone).
        note.commandFailed = true;
        this.#log.warn(
          { escrowId: note.escrowId, ageMs: Math.round(ageMs), staleEscrowMs: this.#opts.staleEscrowMs },
          'escrow sighting too old to STACK on: waiting for the next status',
        );
        return;
      }
    }
    note.commandInFlight = true;
    note.commandFailed = false;
    try {
      const answer = await this.#exchange.send(
        { kind: stacking ? this.#opts.stackCommand : 'return' },
        'urgent',
      );
      if (stacking) {
        note.stackAcked = true;
        if (!note.timed && this.#onTiming) {
          note.timed = true;
          this.#onTiming({
            kind: 'escrowToStack',
            escrowId: note.escrowId,
            escrowReceivedAt: note.escrowReceivedAt,
            stackWrittenAt: answer.writtenAt,
            ms: answer.writtenAt - note.escrowReceivedAt,
          });
        }
      } else if (note.phase === 'returning') {
        note.phase = 'ended';
        this.#emitSafe('returned', {
          escrowId: note.escrowId,
          ...(note.noteId ? { noteId: note.noteId } : {}),
        });
      }
    } catch (error) {
      note.commandFailed = true;
      this.#log.warn(
        { err: error, escrowId: note.escrowId },
        `${stacking ? 'STACK' : 'RETURN'} not acknowledged`,
      );
    } finally {
      note.commandInFlight = false;
    }
  }

  /**
   * The unit reports no note in escrow any more (`how`): a note the driver still tracked there
   * went back to the customer, or was refused. A note that was stacking and never reported VEND
   * VALID cannot be valued from here and is logged for reconciliation.
   */
  #noteGone(how: 'returned' | 'rejected' | 'idle'): void {
    const note = this.#note;
    if (!note) return;
    switch (note.phase) {
      case 'deciding':
        note.goneWhileDeciding = true;
        return;
      case 'returning':
        note.phase = 'ended';
        this.#emitSafe('returned', {
          escrowId: note.escrowId,
          ...(note.noteId ? { noteId: note.noteId } : {}),
        });
        return;
      case 'stacking':
        if (this.#commit) return;
        // A unit cannot finish stacking without our ACK of its VEND VALID, so a note whose
        // STACK was never acknowledged and is no longer in the path went back out.
        if (how === 'returned' || !note.stackAcked) {
          note.phase = 'ended';
          this.#emitSafe('returned', {
            escrowId: note.escrowId,
            ...(note.noteId ? { noteId: note.noteId } : {}),
          });
          return;
        }
        this.#log.error(
          { escrowId: note.escrowId, noteId: note.noteId, status: this.#lastKey },
          'a stacked note left the path without VEND VALID: reconcile it',
        );
        note.phase = 'ended';
        return;
      case 'credited':
        note.phase = 'ended';
        return;
      case 'ended':
        return;
    }
  }

  /** `seenAt`: when the status request that was answered VEND VALID was written. */
  #onVendValid(seenAt: number): void {
    let note = this.#note;
    if (note?.phase === 'credited') {
      // Still VEND VALID to a poll written after our ACK: it was lost. Acknowledge again,
      // never commit again. A poll written before it says nothing about the ACK.
      if (!note.ackPending && (note.ackWrittenAt === undefined || seenAt > note.ackWrittenAt)) {
        this.#ack(note);
      }
      return;
    }
    if (this.#commit) return;
    if (note?.phase !== 'stacking') {
      // A credit for a note this driver did not stack (the daemon restarted meanwhile).
      note = this.#newNote(note?.deviceCode, note?.denomination, 0, 0);
      note.phase = 'stacking';
      this.#note = note;
    }
    const credit: NoteCredit = note.noteId
      ? { source: 'credit', noteId: note.noteId }
      : { source: 'recoveredCredit' };
    if (note.deviceCode !== undefined) credit.deviceCode = note.deviceCode;
    if (note.denomination !== undefined) credit.denomination = note.denomination;
    this.#commit = this.#commitThenAck(note, credit);
  }

  async #commitThenAck(note: NoteState, credit: NoteCredit): Promise<void> {
    try {
      await this.#hooks.commitCredit({ ...credit });
    } catch (error) {
      // No ACK: the unit repeats VEND VALID and the next one tries the commit again.
      this.#log.error(
        { err: error, escrowId: note.escrowId, noteId: note.noteId },
        'credit commit failed; not acknowledging',
      );
      return;
    } finally {
      this.#commit = undefined;
    }
    note.phase = 'credited';
    this.#credits++;
    this.#emitSafe('credited', { ...credit });
    this.#ack(note);
  }

  /**
   * Sends the ACK of VEND VALID and goes on polling: the next status confirms it (STACKED or
   * an idle status) or shows it lost (VEND VALID again, which sends it again).
   */
  #ack(note: NoteState): void {
    if (!this.#session?.active || note.ackPending) return;
    note.ackPending = true;
    this.#exchange.sendHostAck().then(
      (writtenAt) => {
        note.ackPending = false;
        note.ackWrittenAt = writtenAt;
      },
      (error: unknown) => {
        note.ackPending = false;
        // The unit repeats VEND VALID until an ACK gets through; the next poll sends it again.
        this.#log.debug({ err: error, escrowId: note.escrowId }, 'ACK of VEND VALID not written');
      },
    );
  }

  /** A power-up (or a reset) with a note in the stacker: RESET finishes stacking it, so it is money in the box. */
  async #creditStackerNote(): Promise<void> {
    if (this.#commit) await this.#commit;
    const tracked = this.#note;
    if (tracked?.phase === 'credited') {
      this.#log.info(
        { escrowId: tracked.escrowId, noteId: tracked.noteId },
        'note in the stacker at power-up was already credited',
      );
      tracked.phase = 'ended';
      this.#stackerCredited = true;
      return;
    }
    // Only a note this driver sent to the stacker is known; otherwise the host resolves it
    // from its persisted escrow intent, or records an orphan.
    const note = tracked?.phase === 'stacking' ? tracked : undefined;
    const credit: NoteCredit = { source: 'powerUpInStacker' };
    if (note?.noteId) credit.noteId = note.noteId;
    if (note?.deviceCode !== undefined) credit.deviceCode = note.deviceCode;
    if (note?.denomination !== undefined) credit.denomination = note.denomination;
    await this.#hooks.commitCredit({ ...credit });
    this.#stackerCredited = true;
    if (tracked) tracked.phase = 'ended';
    this.#credits++;
    this.#emitSafe('credited', { ...credit });
  }

  #emitSafe<E extends keyof CashAcceptorEvents>(event: E, ...args: CashAcceptorEvents[E]): void {
    emitSafely(this, this.#log, 'acceptor event', event, ...args);
  }
}
