import { ErrorCode, KioskError } from '../../core/errors.js';
import type { LineSettings } from '../../core/line-settings.js';
import {
  type AcceptorReply,
  type AcceptorStatusName,
  decodeCommand,
  encodeReply,
  failureReply,
  type HostCommand,
  Id003FrameParser,
  rejectingReply,
} from '../../devices/cash-acceptor/id003/codec/index.js';
import type { DeviceModel } from '../harness/device-model.js';
import { Prng } from '../harness/prng.js';
import {
  type AcceptorSettings,
  applySetting,
  defaultSettings,
  denominationEnabled,
  reportSetting,
  type SettingCommand,
} from './acceptor-settings.js';
import { CashboxLedger, type StackVia } from './cashbox-ledger.js';
import { type CutPhase, type Id003Control, parseId003Control } from './controls.js';
import { minorUnitsOf } from './currency-table.js';
import type { Id003ModelConfig } from './options.js';
import { pointOfNoReturnMs } from './timing.js';

export const ID003_LINE: LineSettings = Object.freeze({
  baudRate: 9600,
  dataBits: 8,
  parity: 'even',
  stopBits: 1,
  rtscts: false,
  xonxoff: false,
});

/**
 * A gap this long inside a frame makes the unit drop the half frame it holds, so a host that
 * gave up mid-frame is not answered for garbage. The vendor figure is not public; 100 ms is
 * far above the 1.15 ms a byte takes at 9600 8E1 and below any sane poll interval.
 */
export const INTER_BYTE_TIMEOUT_MS = 100;

/**
 * Phases of the unit. `off` is a power cut; `fault` is any of jam, stacker open, cheated or
 * failure, which stop the mechanism with the note wherever it is.
 *
 *   off ──power.on──▶ powerUp (40/41/42) ──RESET──▶ initialize (1B) ──initializeMs──▶ idle
 *   idle: disabled (1A) ⇄ idling (11) by C3; stacker full (43) while the cashbox is full
 *   idling ──note──▶ accepting (12) ──acceptingMs──▶ escrow (13+code) | rejecting (17+reason)
 *   escrow ──HOLD──▶ holding (19)      escrow/holding ──escrowTimeoutMs or RETURN──▶ returning (18)
 *   escrow/holding ──STACK-1/2──▶ stacking (14) ──▶ vendValid (15, repeated) ──ACK──▶ stacked (16) ──▶ idle
 *   rejecting/returning ──rejectingMs/returningMs──▶ idle (note back with the customer)
 *   any powered phase ──RESET──▶ initialize (unless a fault condition remains)
 *   any phase ──power cut──▶ off
 */
export type Id003Phase =
  | 'off'
  | 'powerUp'
  | 'initialize'
  | 'idle'
  | 'accepting'
  | 'escrow'
  | 'holding'
  | 'stacking'
  | 'vendValid'
  | 'stacked'
  | 'rejecting'
  | 'returning'
  | 'fault';

export type NoteKind = 'genuine' | 'counterfeit' | 'damaged';
export type NoteOutcome = 'inPath' | 'stacked' | 'returned' | 'rejected';

/** A note the model has seen, from insertion until it is in the cashbox or back with a person. */
export interface NoteRecord {
  noteId: string;
  kind: NoteKind;
  escrowCode: number | undefined;
  /** Minor units, when the unit recognises the note. */
  denomination: number | undefined;
  /** Set when the unit will reject the note after ACCEPTING. */
  rejectReason: number | undefined;
  insertedAt: number;
  /** Where it is while in the path: the acceptor head/escrow, or past the stacker gate. */
  where: 'acceptor' | 'stacker' | undefined;
  outcome: NoteOutcome;
  endedAt: number | undefined;
}

export interface Id003Counters {
  framesIn: number;
  answersOut: number;
  badFrames: number;
  invalidCommands: number;
  answersDropped: number;
  bytesLostWhileOff: number;
  /** Status requests answered with a `status.unknown` code. */
  unknownStatusAnswers: number;
}

/** Command validity by phase: the transition table the docs describe. Anything else → INVALID COMMAND. */
function commandAllowed(kind: HostCommand['kind'], phase: Id003Phase): boolean {
  switch (kind) {
    case 'statusRequest':
    case 'get':
    case 'reset':
      return true;
    case 'stack1':
    case 'stack2':
    case 'return':
    case 'hold':
      return phase === 'escrow' || phase === 'holding';
    case 'ack':
      return phase === 'vendValid';
    case 'setEnable':
    case 'setSecurity':
    case 'setCommunicationMode':
    case 'setInhibit':
    case 'setDirection':
    case 'setOptionalFunction':
    case 'setBarcodeFunction':
    case 'setBarInhibit':
      // Settings only while no note is in the path, as a real unit refuses them mid-transaction.
      return phase === 'powerUp' || phase === 'initialize' || phase === 'idle';
    case 'wait':
    case 'unknownCommand':
      // WAIT's semantics are unverified, so the model refuses it rather than guess.
      return false;
  }
}

function bad(field: string, message: string, details: Record<string, unknown> = {}): never {
  throw new KioskError(ErrorCode.SimBadControl, `${field}: ${message}`, { details: { field, ...details } });
}

interface PendingAnswer {
  at: number;
  bytes: Uint8Array;
}

/**
 * The JCM ID-003 acceptor as a pure state machine: host frames and time in, answer frames out.
 * It is a strict slave: exactly one answer per valid host frame (the host's ACK of VEND VALID
 * only with `answersHostAck`), `answerDelayMs` later, and
 * silence otherwise. The note is tracked physically so that power cuts and jams leave it where
 * a real one would be, and the cashbox ledger records a note the instant it drops in.
 */
export class Id003Model implements DeviceModel {
  readonly kind = 'id003';
  readonly line = ID003_LINE;

  private readonly config: Id003ModelConfig;
  private readonly cashbox: CashboxLedger;
  private readonly parser = new Id003FrameParser();
  private readonly prng: Prng;

  private now = 0;
  private phase: Id003Phase = 'powerUp';
  private settings: AcceptorSettings = defaultSettings();
  private note: NoteRecord | undefined;
  private readonly notes: NoteRecord[] = [];
  private nextNoteNumber = 1;

  /** When the current phase's own timer fires (accepting done, escrow timeout…). */
  private phaseDeadline: number | undefined;
  /** STACK-1 only: when the moving note drops into the cashbox, independent of the reported phase. */
  private cashboxEntryAt: number | undefined;
  private stackMode: 'stack1' | 'stack2' = 'stack2';
  /**
   * Whether the host still owes an ACK for the current note's VEND VALID. Kept across a power
   * cut like the unit's own non-volatile memory: a cut before the ACK powers up as "bill in
   * stacker" even when the note is already in the box (STACK-2), so the host reconciles it.
   */
  private vend: 'none' | 'owed' | 'acked' = 'none';
  private stackStartedAt = 0;

  /** A fault or power-up left the unit needing RESET before it takes notes again. */
  private resetRequired = true;
  /** How a note left in the stacker is recorded when initialize finishes it. */
  private stackerRecoveryVia: StackVia = 'powerUpStack';
  private jam: 'acceptor' | 'stacker' | undefined;
  private cheated = false;
  private failure: { code: number; cleared: boolean } | undefined;

  private armedCut: { phase: CutPhase; afterMs: number } | undefined;
  private cutDueAt: number | undefined;
  private dropCount = 0;
  private dropRate = 0;
  private extraDelayMs = 0;
  /** `answersHostAck` option, changed at run time by `answers.hostAck`. */
  private answersHostAck: boolean;
  /** `status.unknown`: the code the next `remaining` status requests are answered with. */
  private unknownStatus: { code: number; remaining: number } | undefined;

  private outbox: PendingAnswer[] = [];
  private lastRxAt = 0;
  private readonly counters: Id003Counters = {
    framesIn: 0,
    answersOut: 0,
    badFrames: 0,
    invalidCommands: 0,
    answersDropped: 0,
    bytesLostWhileOff: 0,
    unknownStatusAnswers: 0,
  };

  constructor(config: Id003ModelConfig) {
    this.config = config;
    this.cashbox = new CashboxLedger(config.capacity);
    this.prng = new Prng(config.seed);
    this.answersHostAck = config.answersHostAck;
  }

  // ── DeviceModel ──────────────────────────────────────────────────────────────────────────

  receive(bytes: Uint8Array, now: number): void {
    this.settle(now);
    if (this.phase === 'off') {
      this.counters.bytesLostWhileOff += bytes.length;
      return;
    }
    if (this.parser.bufferedBytes > 0 && this.now - this.lastRxAt > INTER_BYTE_TIMEOUT_MS)
      this.parser.reset();
    this.lastRxAt = this.now;
    const crcErrorsBefore = this.parser.stats.crcErrors;
    const frames = this.parser.push(bytes);
    for (const frame of frames) {
      this.counters.framesIn++;
      const reply = this.handleCommand(decodeCommand(frame));
      if (reply !== undefined) this.answer(reply);
    }
    const badFrames = this.parser.stats.crcErrors - crcErrorsBefore;
    if (badFrames > 0) {
      this.counters.badFrames += badFrames;
      // One answer for the corrupted burst: resync may count one damaged frame more than once.
      if (this.config.onBadFrame === 'communicationError')
        this.answer({ kind: 'status', status: 'communicationError' });
    }
  }

  advance(now: number): Uint8Array[] {
    this.settle(now);
    const out: Uint8Array[] = [];
    while (this.outbox.length > 0 && this.outbox[0]!.at <= this.now) {
      out.push(this.outbox.shift()!.bytes);
      this.counters.answersOut++;
    }
    return out;
  }

  nextDeadline(): number | undefined {
    const times = [this.cutDueAt, this.cashboxEntryAt, this.phaseDeadline, this.outbox[0]?.at].filter(
      (t): t is number => t !== undefined,
    );
    return times.length === 0 ? undefined : Math.min(...times);
  }

  control(command: unknown, now: number): unknown {
    const control = parseId003Control(command);
    this.settle(now);
    return this.applyControl(control);
  }

  snapshot(): unknown {
    return {
      kind: this.kind,
      time: this.now,
      phase: this.phase,
      powered: this.phase !== 'off',
      status: this.phase === 'off' ? null : describeReply(this.statusReply()),
      resetRequired: this.resetRequired,
      vend: this.vend,
      note: this.note ? { ...this.note } : null,
      notes: this.notes.map((n) => ({ ...n })),
      settings: { ...this.settings, barcodeFunction: [...this.settings.barcodeFunction] },
      faults: {
        jam: this.jam ?? null,
        cheated: this.cheated,
        failure: this.failure ? { ...this.failure } : null,
        stackerOpen: !this.cashbox.present,
        stackerFull: this.cashbox.full,
      },
      cashbox: this.cashbox.snapshot(),
      counters: { ...this.counters },
      lineFaults: {
        dropCount: this.dropCount,
        dropRate: this.dropRate,
        extraDelayMs: this.extraDelayMs,
        answersHostAck: this.answersHostAck,
        armedCut: this.armedCut ? { ...this.armedCut } : null,
        cutDueAt: this.cutDueAt ?? null,
        unknownStatus: this.unknownStatus ? { ...this.unknownStatus } : null,
      },
      pendingAnswers: this.outbox.length,
    };
  }

  // ── time ─────────────────────────────────────────────────────────────────────────────────

  /**
   * Runs every timed event up to `now` in time order. On a tie a power cut goes first (the
   * note stays where it was), then a STACK-1 note dropping into the cashbox, then the phase
   * timer, so a phase that ends as the note lands sees the note already in the box.
   */
  private settle(now: number): void {
    // Time never runs backwards for the model; a late caller is treated as "now".
    const target = Math.max(now, this.now);
    for (;;) {
      const cut = this.cutDueAt;
      const entry = this.cashboxEntryAt;
      const phaseEnd = this.phaseDeadline;
      const next = Math.min(cut ?? Infinity, entry ?? Infinity, phaseEnd ?? Infinity);
      if (next > target) break;
      this.now = Math.max(this.now, next);
      if (cut === next) this.cutPower();
      else if (entry === next) this.stackMovingNote();
      else this.phaseTimerFired();
    }
    this.now = target;
  }

  private enter(phase: Id003Phase, deadline?: number): void {
    this.phase = phase;
    this.phaseDeadline = deadline;
    if (this.armedCut && this.armedCut.phase === phase) {
      this.cutDueAt = this.now + this.armedCut.afterMs;
      this.armedCut = undefined;
    }
  }

  private phaseTimerFired(): void {
    const t = this.config.timing;
    this.phaseDeadline = undefined;
    switch (this.phase) {
      case 'initialize':
        this.finishInitialize();
        return;
      case 'accepting': {
        const note = this.note!;
        if (note.rejectReason !== undefined) this.enter('rejecting', this.now + t.rejectingMs);
        else this.enter('escrow', this.now + t.escrowTimeoutMs);
        return;
      }
      case 'escrow':
      case 'holding':
        // The unit's own escrow timeout: the host never decided, so the customer gets the note back.
        this.enter('returning', this.now + t.returningMs);
        return;
      case 'stacking':
        if (this.stackMode === 'stack2') {
          this.dropIntoCashbox('vendValid');
        } else {
          // STACK-1: past the point of no return the unit reports VEND VALID while the note still moves.
          this.cashboxEntryAt = this.stackStartedAt + t.stackingMs;
        }
        this.vend = 'owed';
        this.enter('vendValid');
        return;
      case 'stacked':
        this.enter('idle');
        return;
      case 'rejecting':
        this.handBack('rejected');
        this.enter('idle');
        return;
      case 'returning':
        this.handBack('returned');
        this.enter('idle');
        return;
      case 'off':
      case 'powerUp':
      case 'idle':
      case 'vendValid':
      case 'fault':
        return;
    }
  }

  private stackMovingNote(): void {
    this.cashboxEntryAt = undefined;
    this.dropIntoCashbox(this.phase === 'stacked' ? 'stacked' : 'vendValid');
  }

  private dropIntoCashbox(via: StackVia): void {
    const note = this.note!;
    this.cashbox.stack(
      { noteId: note.noteId, escrowCode: note.escrowCode!, denomination: note.denomination! },
      this.now,
      via,
    );
    note.where = undefined;
    note.outcome = 'stacked';
    note.endedAt = this.now;
    this.note = undefined;
  }

  private handBack(outcome: 'returned' | 'rejected'): void {
    const note = this.note;
    if (!note) return;
    note.where = undefined;
    note.outcome = outcome;
    note.endedAt = this.now;
    this.note = undefined;
  }

  /** The mechanism has homed: a note left in the acceptor goes back out, one in the stacker goes in. */
  private finishInitialize(): void {
    if (this.note?.where === 'acceptor') this.handBack('returned');
    else if (this.note?.where === 'stacker') this.dropIntoCashbox(this.stackerRecoveryVia);
    this.stackerRecoveryVia = 'powerUpStack';
    this.vend = 'none';
    this.resetRequired = false;
    this.enter('idle');
  }

  // ── power ────────────────────────────────────────────────────────────────────────────────

  private cutPower(): void {
    this.cutDueAt = undefined;
    this.phaseDeadline = undefined;
    // A STACK-1 note still moving stops where it is: in the stacker, not yet in the box.
    this.cashboxEntryAt = undefined;
    this.outbox = [];
    this.parser.reset();
    this.phase = 'off';
  }

  private powerOn(): void {
    this.settings = defaultSettings();
    this.cheated = false;
    this.resetRequired = true;
    this.enter(this.faultActive() ? 'fault' : 'powerUp');
  }

  // ── faults ───────────────────────────────────────────────────────────────────────────────

  private faultActive(): boolean {
    return this.failure !== undefined || this.cheated || this.jam !== undefined || !this.cashbox.present;
  }

  /** The mechanism stops: timers are lost and the note stays where it physically is. */
  private interrupt(): void {
    if (this.phase !== 'idle') this.resetRequired = true;
    this.phaseDeadline = undefined;
    this.cashboxEntryAt = undefined;
    this.enter('fault');
  }

  private leaveFaultIfResolved(): void {
    if (this.phase !== 'fault' || this.faultActive()) return;
    this.enter(this.resetRequired || this.note !== undefined ? 'powerUp' : 'idle');
  }

  // ── host commands ────────────────────────────────────────────────────────────────────────

  private answer(reply: AcceptorReply): void {
    if (this.dropCount > 0) {
      this.dropCount--;
      this.counters.answersDropped++;
      return;
    }
    if (this.dropRate > 0 && this.prng.next() < this.dropRate) {
      this.counters.answersDropped++;
      return;
    }
    const last = this.outbox.at(-1)?.at ?? -Infinity;
    const at = Math.max(this.now + this.config.timing.answerDelayMs + this.extraDelayMs, last);
    this.outbox.push({ at, bytes: encodeReply(reply) });
  }

  /** The answer to one host frame, or undefined when this unit stays silent. */
  private handleCommand(cmd: HostCommand): AcceptorReply | undefined {
    if (cmd.kind === 'ack' && !this.answersHostAck) {
      // A unit that does not answer the host's ACK takes it in VEND VALID and ignores it elsewhere.
      if (this.phase === 'vendValid') this.takeHostAck();
      return undefined;
    }
    if (!commandAllowed(cmd.kind, this.phase)) {
      this.counters.invalidCommands++;
      return { kind: 'status', status: 'invalidCommand' };
    }
    const t = this.config.timing;
    switch (cmd.kind) {
      case 'statusRequest':
        return this.unknownStatusReply() ?? this.statusReply();
      case 'get':
        return this.getReply(cmd.what);
      case 'reset':
        this.reset();
        return { kind: 'ack' };
      case 'stack1':
      case 'stack2':
        this.note!.where = 'stacker';
        this.stackMode = cmd.kind;
        this.vend = 'none';
        this.stackStartedAt = this.now;
        this.enter(
          'stacking',
          this.now + (cmd.kind === 'stack2' ? t.stackingMs : Math.min(pointOfNoReturnMs(t), t.stackingMs)),
        );
        return { kind: 'ack' };
      case 'return':
        this.enter('returning', this.now + t.returningMs);
        return { kind: 'ack' };
      case 'hold':
        this.enter('holding', this.now + t.escrowTimeoutMs);
        return { kind: 'ack' };
      case 'ack':
        this.takeHostAck();
        return { kind: 'ack' };
      case 'wait':
      case 'unknownCommand':
        // commandAllowed() refuses these in every phase.
        return { kind: 'status', status: 'invalidCommand' };
      default: {
        const echo = applySetting(this.settings, cmd as SettingCommand);
        return { kind: 'settingEcho', command: echo.command, data: echo.data };
      }
    }
  }

  private takeHostAck(): void {
    this.vend = 'acked';
    // STACK-1 may still be moving the note: STACKED lasts until it is in the box.
    this.enter('stacked', Math.max(this.now + this.config.timing.stackedMs, this.cashboxEntryAt ?? 0));
  }

  /**
   * A `status.unknown` answer in place of the unit's real status, which the model keeps
   * tracking underneath (timers run, the note stays where it is). Counted when the unit
   * answers, so an answer `answers.drop` then eats still uses one up.
   */
  private unknownStatusReply(): AcceptorReply | undefined {
    const armed = this.unknownStatus;
    if (!armed) return undefined;
    armed.remaining--;
    if (armed.remaining === 0) this.unknownStatus = undefined;
    this.counters.unknownStatusAnswers++;
    return { kind: 'unknownStatus', code: armed.code, data: new Uint8Array(0) };
  }

  private reset(): void {
    this.cheated = false;
    if (this.failure?.cleared) this.failure = undefined;
    this.settings = defaultSettings();
    // The unit tries to initialise, finds the fault still there and keeps reporting it.
    if (this.faultActive()) return;
    this.cashboxEntryAt = undefined;
    this.enter('initialize', this.now + this.config.timing.initializeMs);
  }

  private getReply(what: Extract<HostCommand, { kind: 'get' }>['what']): AcceptorReply {
    switch (what) {
      case 'version':
        return { kind: 'version', text: this.config.version };
      case 'bootVersion':
        return { kind: 'bootVersion', text: this.config.bootVersion };
      case 'currencyAssignment':
        return {
          kind: 'currencyAssignment',
          entries: this.config.reportedCurrencyTable.map((e) => ({ ...e })),
        };
      default: {
        const report = reportSetting(this.settings, what);
        return { kind: 'settingReport', request: report.request, data: report.data };
      }
    }
  }

  private statusReply(): AcceptorReply {
    const status = (s: AcceptorStatusName): AcceptorReply => ({ kind: 'status', status: s });
    switch (this.phase) {
      case 'off':
      case 'powerUp':
        if (this.note?.where === 'acceptor') return status('powerUpBillInAcceptor');
        // "Bill in stacker" tells the host a stacked note may still be owed to it; once VEND
        // VALID is acknowledged the host has it, even if a STACK-1 note is still moving.
        if (this.vend === 'owed' || (this.note?.where === 'stacker' && this.vend !== 'acked')) {
          return status('powerUpBillInStacker');
        }
        return status('powerUp');
      case 'initialize':
        return status('initialize');
      case 'idle':
        if (this.cashbox.full) return status('stackerFull');
        return status(this.settings.inhibit ? 'disabled' : 'idling');
      case 'accepting':
        return status('accepting');
      case 'escrow':
        return { kind: 'escrow', escrowCode: this.note!.escrowCode! };
      case 'holding':
        return status('holding');
      case 'stacking':
        return status('stacking');
      case 'vendValid':
        return status('vendValid');
      case 'stacked':
        return status('stacked');
      case 'rejecting':
        return rejectingReply(this.note!.rejectReason!);
      case 'returning':
        return status('returning');
      case 'fault':
        if (this.failure) return failureReply(this.failure.code);
        if (this.cheated) return status('cheated');
        if (this.jam) return status(this.jam === 'acceptor' ? 'jamInAcceptor' : 'jamInStacker');
        return status('stackerOpen');
    }
  }

  // ── controls ─────────────────────────────────────────────────────────────────────────────

  private requirePower(field: string): void {
    if (this.phase === 'off') bad(field, 'the unit is powered off', { phase: this.phase });
  }

  private applyControl(c: Id003Control): unknown {
    switch (c.action) {
      case 'note.insert':
        return this.insertNote(c);
      case 'jam':
        this.requirePower('jam');
        if (this.jam) bad('jam', `the unit is already jammed in the ${this.jam}`);
        this.jam = c.where;
        this.interrupt();
        return this.brief();
      case 'jam.clear':
        if (!this.jam) bad('jam.clear', 'there is no jam to clear');
        // Clearing leaves a note in the stacker where it is; RESET then finishes stacking it.
        if (this.note?.where === 'stacker') this.stackerRecoveryVia = 'jamClearStack';
        this.jam = undefined;
        this.leaveFaultIfResolved();
        return this.brief();
      case 'stacker.full':
        this.cashbox.forceFull();
        return this.brief();
      case 'cashbox.remove':
        if (!this.cashbox.present) bad('cashbox.remove', 'the cashbox is already out');
        this.cashbox.remove();
        if (this.phase !== 'off') this.interrupt();
        return this.brief();
      case 'cashbox.replace': {
        if (this.cashbox.present) bad('cashbox.replace', 'the cashbox is already in place');
        const collection = this.cashbox.replace(c.emptied ?? false, this.now);
        this.leaveFaultIfResolved();
        return { ...this.brief(), collection: collection ?? null };
      }
      case 'cheat':
        this.requirePower('cheat');
        this.cheated = true;
        this.interrupt();
        return this.brief();
      case 'failure':
        this.requirePower('failure');
        this.failure = { code: c.code, cleared: false };
        this.interrupt();
        return this.brief();
      case 'failure.clear':
        if (!this.failure) bad('failure.clear', 'there is no failure to clear');
        this.failure = { code: this.failure.code, cleared: true };
        return this.brief();
      case 'power.cut':
        this.requirePower('power.cut');
        this.cutPower();
        return this.brief();
      case 'power.on':
        if (this.phase !== 'off') bad('power.on', 'the unit is already powered');
        this.powerOn();
        return this.brief();
      case 'power.cutAt':
        this.armedCut = { phase: c.phase, afterMs: c.afterMs ?? 0 };
        return this.brief();
      case 'answers.drop':
        this.dropCount = c.count ?? 0;
        this.dropRate = c.rate ?? 0;
        return this.brief();
      case 'answers.delay':
        this.extraDelayMs = c.ms;
        return this.brief();
      case 'answers.hostAck':
        this.answersHostAck = c.answer;
        return { ...this.brief(), answersHostAck: this.answersHostAck };
      case 'status.unknown':
        // Replaces whatever was armed before; survives RESET and power cuts like a firmware quirk.
        this.unknownStatus = { code: c.code, remaining: c.count ?? 1 };
        return { ...this.brief(), unknownStatus: { ...this.unknownStatus } };
      case 'ledger':
        return this.cashbox.entries();
    }
  }

  private brief(): { phase: Id003Phase; status: string | null } {
    return { phase: this.phase, status: this.phase === 'off' ? null : describeReply(this.statusReply()) };
  }

  private insertNote(c: Extract<Id003Control, { action: 'note.insert' }>): unknown {
    const kind = c.kind ?? 'genuine';
    if (kind === 'genuine' && c.rejectReason !== undefined) {
      bad('rejectReason', 'only a counterfeit or damaged note is given a reject reason');
    }
    if (this.phase === 'off') bad('note.insert', 'the unit is powered off: the note is not drawn in');
    if (this.note) bad('note.insert', `note ${this.note.noteId} is still in the path`);
    if (this.phase !== 'idle' || this.cashbox.full || this.settings.inhibit) {
      bad('note.insert', `the unit is ${describeReply(this.statusReply())}: the note is not drawn in`, {
        phase: this.phase,
      });
    }
    const table = this.config.currencyTable;
    const byCode = c.escrowCode === undefined ? undefined : table.find((e) => e.escrowCode === c.escrowCode);
    const byValue =
      c.denomination === undefined
        ? undefined
        : table.find((e) => minorUnitsOf(e, this.config.minorPerMajor) === c.denomination);
    if (byCode && c.denomination !== undefined && byCode !== byValue) {
      bad('escrowCode', `escrow code 0x${byCode.escrowCode.toString(16)} is not a ${c.denomination} note`);
    }
    const entry =
      byCode ??
      byValue ??
      (c.escrowCode === undefined && c.denomination === undefined ? table[0] : undefined);

    let rejectReason: number | undefined;
    if (kind !== 'genuine') rejectReason = c.rejectReason ?? 0x77;
    // A note the unit's table does not know fails identification, like a foreign note would.
    else if (!entry) rejectReason = 0x76;
    else if (!denominationEnabled(this.settings, entry.escrowCode)) rejectReason = 0x79;

    const note: NoteRecord = {
      noteId: `note-${this.nextNoteNumber++}`,
      kind,
      escrowCode: entry?.escrowCode ?? c.escrowCode,
      denomination: entry ? minorUnitsOf(entry, this.config.minorPerMajor) : c.denomination,
      rejectReason,
      insertedAt: this.now,
      where: 'acceptor',
      outcome: 'inPath',
      endedAt: undefined,
    };
    this.note = note;
    this.notes.push(note);
    this.enter('accepting', this.now + this.config.timing.acceptingMs);
    return {
      noteId: note.noteId,
      escrowCode: note.escrowCode ?? null,
      denomination: note.denomination ?? null,
      willBe: rejectReason === undefined ? 'escrowed' : 'rejected',
      rejectReason: rejectReason ?? null,
    };
  }
}

/** A reply as a short name for snapshots and logs: `escrow:0x63`, `rejecting:0x77`, `unknown:0x5a`, `idling`. */
export function describeReply(reply: AcceptorReply): string {
  switch (reply.kind) {
    case 'status':
      return reply.status;
    case 'escrow':
      return `escrow:0x${reply.escrowCode.toString(16)}`;
    case 'rejecting':
      return `rejecting:0x${reply.reasonCode.toString(16)}`;
    case 'failure':
      return `failure:0x${reply.failureCode.toString(16)}`;
    case 'unknownStatus':
      return `unknown:0x${reply.code.toString(16).padStart(2, '0')}`;
    default:
      return reply.kind;
  }
}
