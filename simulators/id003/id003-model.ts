import type { LineSettings } from '../../core/line-settings.js';
import {
  type AcceptorReply,
  decodeCommand,
  encodeReply,
  type HostCommand,
  Id003FrameParser,
} from '../../devices/cash-acceptor/id003/codec/index.js';
import type { DeviceModel } from '../harness/device-model.js';
import { Prng } from '../harness/prng.js';
import { TransmitQueue } from '../harness/transmit-queue.js';
import { applySetting, reportSetting, type SettingCommand } from './acceptor-settings.js';
import { type Id003Control, parseId003Control } from './controls.js';
import { type Id003Phase, Id003Unit } from './id003-unit.js';
import type { Id003ModelConfig } from './options.js';
import { applyUnitControl } from './unit-controls.js';

export {
  describeReply,
  type Id003Phase,
  type NoteKind,
  type NoteOutcome,
  type NoteRecord,
} from './id003-unit.js';

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

/**
 * The JCM ID-003 acceptor as a pure state machine: host frames and time in, answer frames out.
 * It is a strict slave: exactly one answer per valid host frame (the host's ACK of VEND VALID
 * only with `answersHostAck`), `answerDelayMs` later, and
 * silence otherwise. This class is the unit's serial side (frames, answers, line faults); the
 * mechanism, which tracks the note physically so that power cuts and jams leave it where a
 * real one would be, is `Id003Unit`, and the cashbox ledger records a note the instant it drops in.
 */
export class Id003Model implements DeviceModel {
  readonly kind = 'id003';
  readonly line = ID003_LINE;

  private readonly config: Id003ModelConfig;
  private readonly unit: Id003Unit;
  private readonly parser = new Id003FrameParser();
  private readonly prng: Prng;

  private dropCount = 0;
  private dropRate = 0;
  private extraDelayMs = 0;
  /** `answersHostAck` option, changed at run time by `answers.hostAck`. */
  private answersHostAck: boolean;
  /** `status.unknown`: the code the next `remaining` status requests are answered with. */
  private unknownStatus: { code: number; remaining: number } | undefined;

  private readonly outbox = new TransmitQueue();
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
    this.unit = new Id003Unit(config, () => {
      this.outbox.clear();
      this.parser.reset();
    });
    this.prng = new Prng(config.seed);
    this.answersHostAck = config.answersHostAck;
  }

  // ── DeviceModel ──────────────────────────────────────────────────────────────────────────

  receive(bytes: Uint8Array, now: number): void {
    const unit = this.unit;
    unit.settle(now);
    if (unit.phase === 'off') {
      this.counters.bytesLostWhileOff += bytes.length;
      return;
    }
    if (this.parser.bufferedBytes > 0 && unit.now - this.lastRxAt > INTER_BYTE_TIMEOUT_MS)
      this.parser.reset();
    this.lastRxAt = unit.now;
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
    this.unit.settle(now);
    const out: Uint8Array[] = [];
    for (const bytes of this.outbox.takeDue(this.unit.now)) {
      out.push(bytes);
      this.counters.answersOut++;
    }
    return out;
  }

  nextDeadline(): number | undefined {
    const times = [this.unit.nextDeadline(), this.outbox.nextAt].filter((t): t is number => t !== undefined);
    return times.length === 0 ? undefined : Math.min(...times);
  }

  control(command: unknown, now: number): unknown {
    const control = parseId003Control(command);
    this.unit.settle(now);
    return this.applyControl(control);
  }

  snapshot(): unknown {
    const unit = this.unit;
    return {
      kind: this.kind,
      time: unit.now,
      phase: unit.phase,
      powered: unit.phase !== 'off',
      status: unit.brief().status,
      resetRequired: unit.resetRequired,
      vend: unit.vend,
      note: unit.note ? { ...unit.note } : null,
      notes: unit.notes.map((n) => ({ ...n })),
      settings: { ...unit.settings, barcodeFunction: [...unit.settings.barcodeFunction] },
      faults: {
        jam: unit.jam ?? null,
        cheated: unit.cheated,
        failure: unit.failure ? { ...unit.failure } : null,
        stackerOpen: !unit.cashbox.present,
        stackerFull: unit.cashbox.full,
      },
      cashbox: unit.cashbox.snapshot(),
      counters: { ...this.counters },
      lineFaults: {
        dropCount: this.dropCount,
        dropRate: this.dropRate,
        extraDelayMs: this.extraDelayMs,
        answersHostAck: this.answersHostAck,
        armedCut: unit.armedCut ? { ...unit.armedCut } : null,
        cutDueAt: unit.cutDueAt ?? null,
        unknownStatus: this.unknownStatus ? { ...this.unknownStatus } : null,
      },
      pendingAnswers: this.outbox.length,
    };
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
    this.outbox.append(
      encodeReply(reply),
      this.unit.now + this.config.timing.answerDelayMs + this.extraDelayMs,
    );
  }

  /** The answer to one host frame, or undefined when this unit stays silent. */
  private handleCommand(cmd: HostCommand): AcceptorReply | undefined {
    const unit = this.unit;
    if (cmd.kind === 'ack' && !this.answersHostAck) {
      // A unit that does not answer the host's ACK takes it in VEND VALID and ignores it elsewhere.
      if (unit.phase === 'vendValid') unit.takeHostAck();
      return undefined;
    }
    if (!commandAllowed(cmd.kind, unit.phase)) {
      this.counters.invalidCommands++;
      return { kind: 'status', status: 'invalidCommand' };
    }
    switch (cmd.kind) {
      case 'statusRequest':
        return this.unknownStatusReply() ?? unit.statusReply();
      case 'get':
        return this.getReply(cmd.what);
      case 'reset':
        unit.reset();
        return { kind: 'ack' };
      case 'stack1':
      case 'stack2':
        unit.stack(cmd.kind);
        return { kind: 'ack' };
      case 'return':
        unit.returnNote();
        return { kind: 'ack' };
      case 'hold':
        unit.hold();
        return { kind: 'ack' };
      case 'ack':
        unit.takeHostAck();
        return { kind: 'ack' };
      case 'wait':
      case 'unknownCommand':
        // commandAllowed() refuses these in every phase.
        return { kind: 'status', status: 'invalidCommand' };
      default: {
        const echo = applySetting(unit.settings, cmd as SettingCommand);
        return { kind: 'settingEcho', command: echo.command, data: echo.data };
      }
    }
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
        const report = reportSetting(this.unit.settings, what);
        return { kind: 'settingReport', request: report.request, data: report.data };
      }
    }
  }

  // ── controls ─────────────────────────────────────────────────────────────────────────────

  /** The line's faults are the model's; everything physical goes to the unit. */
  private applyControl(c: Id003Control): unknown {
    switch (c.action) {
      case 'answers.drop':
        this.dropCount = c.count ?? 0;
        this.dropRate = c.rate ?? 0;
        return this.unit.brief();
      case 'answers.delay':
        this.extraDelayMs = c.ms;
        return this.unit.brief();
      case 'answers.hostAck':
        this.answersHostAck = c.answer;
        return { ...this.unit.brief(), answersHostAck: this.answersHostAck };
      case 'status.unknown':
        // Replaces whatever was armed before; survives RESET and power cuts like a firmware quirk.
        this.unknownStatus = { code: c.code, remaining: c.count ?? 1 };
        return { ...this.unit.brief(), unknownStatus: { ...this.unknownStatus } };
      default:
        return applyUnitControl(this.unit, this.config, c);
    }
  }
}
