import { ErrorCode, KioskError } from '../../../core/errors.js';
import type { Logger } from '../../../core/logger.js';
import type { DeviceIdentity, DeviceStatus } from '../../device-status.js';
import type { SessionState } from '../../transport/polled-session.js';
import { type AcceptorStatusName, encodeCommand, type HostCommand } from './codec/messages.js';
import { ALL_DENOMINATIONS_DISABLED, Id003CurrencyMap } from './currency-map.js';
import type { ResolvedId003DriverOptions } from './driver-options.js';
import type { Id003Exchange } from './exchange.js';
import type { EmitAcceptorEvent, Id003NoteFlow } from './note-flow.js';
import { hexOf } from './status-map.js';

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** One connection's worth of set-up state: a new one starts on every `online`. */
export interface Id003Session extends SessionState {
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

/** The line came online: nothing is known about the unit, so everything is to be set up. */
export function newId003Session(id: number): Id003Session {
  return {
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
}

/** The session is over: whoever waits for the unit to be ready or enabled hears why. */
export function failSessionWaiters(session: Id003Session, error: KioskError): void {
  for (const waiter of [...session.readyWaiters, ...session.enableWaiters]) waiter.reject(error);
  session.readyWaiters = [];
  session.enableWaiters = [];
}

/** Which notes a RESET settles: one past STACK (credited first) and one in the acceptor (handed back). */
export interface NotesAtReset {
  stackerNote: boolean;
  acceptorNote: boolean;
}

/** What the start-up needs from the driver that owns it. */
export interface Id003StartUpConfig {
  name: string;
  exchange: Id003Exchange;
  options: ResolvedId003DriverOptions;
  logger: Logger;
  emit: EmitAcceptorEvent;
  /** The notes a power-up or reset settles are the note flow's. */
  notes: Id003NoteFlow;
  setStatus: (status: DeviceStatus) => void;
  /** Resolves the driver's start(): the unit is ready, or will not be without someone's help. */
  finishStart: () => void;
}

/** details.reason of the DeviceProtocol error for a setting the unit echoed differently every time. */
const ECHO_MISMATCH = 'echoMismatch';

function isEchoMismatch(error: unknown): error is KioskError {
  return (
    error instanceof KioskError &&
    error.code === ErrorCode.DeviceProtocol &&
    error.details?.['reason'] === ECHO_MISMATCH
  );
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/**
 * Bringing an ID-003 unit into service: power-up and RESET, the settings (checked against the
 * unit's echo), the identity, the currency table and the enable state the host wants. Start-up
 * is not a separate script: the driver calls in here with the statuses it polls, and whatever
 * is pending is (re-)applied when the unit is idle, which also covers a unit that kept power
 * while the line was down. The currency table and the host's wanted denominations outlive a
 * session; the pending flags are per session.
 */
export class Id003StartUp {
  readonly #name: string;
  readonly #exchange: Id003Exchange;
  readonly #opts: ResolvedId003DriverOptions;
  readonly #log: Logger;
  readonly #emit: EmitAcceptorEvent;
  readonly #notes: Id003NoteFlow;
  readonly #setStatus: (status: DeviceStatus) => void;
  readonly #finishStart: () => void;

  #map: Id003CurrencyMap | undefined;
  /** Denominations the host enabled; undefined while acceptance is disabled. */
  #wanted: ReadonlySet<number> | undefined;

  constructor(config: Id003StartUpConfig) {
    this.#name = config.name;
    this.#exchange = config.exchange;
    this.#opts = config.options;
    this.#log = config.logger;
    this.#emit = config.emit;
    this.#notes = config.notes;
    this.#setStatus = config.setStatus;
    this.#finishStart = config.finishStart;
  }

  /** The unit's currency table, once read. */
  get currencyMap(): Id003CurrencyMap | undefined {
    return this.#map;
  }

  /** The host's choice of denominations, from now on and across sessions; undefined disables. */
  want(denominations: ReadonlySet<number> | undefined): void {
    this.#wanted = denominations;
  }

  async powerUp(session: Id003Session, status: AcceptorStatusName, entered: boolean): Promise<void> {
    if (entered) {
      session.ready = false;
      if (status === 'powerUpBillInAcceptor') this.#emit('powerUpWithNote', { where: 'acceptor' });
      if (status === 'powerUpBillInStacker') this.#emit('powerUpWithNote', { where: 'stacker' });
      this.#log.info({ status, note: this.#notes.phase }, 'acceptor powered up');
    }
    if (session.identityPending) await this.readIdentity(session);
    await this.resetDevice(session, {
      stackerNote:
        status === 'powerUpBillInStacker' ||
        // A plain power-up after STACK was acknowledged: the note went all the way in while the power was out.
        (status === 'powerUp' && this.#notes.stackAcked),
      acceptorNote: status === 'powerUpBillInAcceptor',
    });
  }

  async resetDevice(session: Id003Session, notes: NotesAtReset): Promise<void> {
    // Credit before RESET, as a credit before the ACK of VEND VALID: once reset, the unit no
    // longer says a note was in its stacker, so a daemon killed between RESET and the credit
    // would leave that note in the cashbox and nowhere in the journal.
    if (notes.stackerNote) await this.#notes.creditStackerNote();
    await this.#exchange.send({ kind: 'reset' }, 'urgent');
    // Only once RESET is acknowledged: until then the unit may still be reporting the old state.
    session.ready = false;
    session.settingsPending = true;
    session.enablePending = true;
    session.tablePending = true;
    if (notes.acceptorNote) session.acceptorReturnPending = true;
    this.#log.info(notes, 'acceptor reset');
  }

  /** INITIALIZE: the unit takes its settings now, ahead of its first idle status. */
  async initialising(session: Id003Session): Promise<void> {
    if (session.settingsPending && !session.faulted) await this.#sendSettings(session);
  }

  /** Runs whatever set-up is pending while the unit is idle, in start-up order. */
  async setUp(session: Id003Session): Promise<void> {
    if (session.faulted) return;
    if (session.settingsPending) await this.#sendSettings(session);
    if (session.faulted) return;
    if (session.identityPending) await this.readIdentity(session);
    if (session.tablePending) await this.loadCurrencyTable(session);
    if (session.acceptorReturnPending) {
      session.acceptorReturnPending = false;
      this.#notes.acceptorNoteReturned();
    }
    if (session.enablePending) await this.#applyEnableState(session);
    if (!session.ready) {
      session.ready = true;
      this.#log.info({ enabled: this.#wanted ? [...this.#wanted] : [] }, 'acceptor ready');
      for (const waiter of session.readyWaiters) waiter.resolve();
      session.readyWaiters = [];
      this.#finishStart();
      this.#emit('ready');
    }
  }

  async #sendSettings(session: Id003Session): Promise<void> {
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

  #settingNotTaken(session: Id003Session, error: KioskError): void {
    session.faulted = true;
    this.#log.error({ err: error }, 'acceptor refuses its settings; not enabling it');
    this.#setStatus({ state: 'hardwareError', action: 'configuration', reason: 'settingNotTaken' });
    for (const waiter of session.enableWaiters) waiter.reject(error);
    session.enableWaiters = [];
    this.#finishStart();
  }

  async readIdentity(session: Id003Session): Promise<DeviceIdentity> {
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
    session.identityPending = false;
    this.#emit('identity', identity);
    return identity;
  }

  async loadCurrencyTable(session: Id003Session): Promise<Id003CurrencyMap> {
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
    session.tablePending = false;
    this.#log.info({ table: map.entries() }, 'acceptor currency table');
    return map;
  }

  /**
   * Enable state wanted by the host: applied now when the unit is ready and `idle`, else at its
   * next idle status.
   */
  async requestEnableState(session: Id003Session, idle: boolean): Promise<void> {
    session.enablePending = true;
    if (session.faulted) {
      throw new KioskError(
        ErrorCode.DeviceBadState,
        `acceptor ${this.#name} refused its settings; cannot enable it`,
      );
    }
    if (session.ready && idle) {
      await this.#applyEnableState(session);
      return;
    }
    await new Promise<void>((resolve, reject) => session.enableWaiters.push({ resolve, reject }));
  }

  async #applyEnableState(session: Id003Session): Promise<void> {
    session.enablePending = false;
    const waiters = session.enableWaiters;
    session.enableWaiters = [];
    try {
      const wanted = this.#wanted;
      const map = this.#map ?? (await this.loadCurrencyTable(session));
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
}
