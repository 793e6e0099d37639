import {
  type AcceptorReply,
  type AcceptorStatusName,
  failureReply,
  rejectingReply,
} from '../../devices/cash-acceptor/id003/codec/index.js';
import { type AcceptorSettings, defaultSettings } from './acceptor-settings.js';
import { CashboxLedger, type StackVia } from './cashbox-ledger.js';
import type { CutPhase } from './controls.js';
import type { Id003ModelConfig } from './options.js';
import { pointOfNoReturnMs } from './timing.js';

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

/**
 * The acceptor's mechanism: the phase it is in and its timers, the note's physical path into
 * the cashbox or back out, power and faults, and the status it would report. It knows nothing
 * of the serial line: the model feeds it host commands and physical-world controls.
 */
export class Id003Unit {
  readonly cashbox: CashboxLedger;
  readonly notes: NoteRecord[] = [];
  now = 0;
  phase: Id003Phase = 'powerUp';
  settings: AcceptorSettings = defaultSettings();
  note: NoteRecord | undefined;
  nextNoteNumber = 1;

  /** When the current phase's own timer fires (accepting done, escrow timeout…). */
  phaseDeadline: number | undefined;
  /** STACK-1 only: when the moving note drops into the cashbox, independent of the reported phase. */
  cashboxEntryAt: number | undefined;
  /**
   * Whether the host still owes an ACK for the current note's VEND VALID. Kept across a power
   * cut like the unit's own non-volatile memory: a cut before the ACK powers up as "bill in
   * stacker" even when the note is already in the box (STACK-2), so the host reconciles it.
   */
  vend: 'none' | 'owed' | 'acked' = 'none';

  /** A fault or power-up left the unit needing RESET before it takes notes again. */
  resetRequired = true;
  /** How a note left in the stacker is recorded when initialize finishes it. */
  stackerRecoveryVia: StackVia = 'powerUpStack';
  jam: 'acceptor' | 'stacker' | undefined;
  cheated = false;
  failure: { code: number; cleared: boolean } | undefined;

  armedCut: { phase: CutPhase; afterMs: number } | undefined;
  cutDueAt: number | undefined;

  readonly #config: Id003ModelConfig;
  /** What the line loses when the power goes: answers not yet sent, a half-received frame. */
  readonly #onPowerCut: () => void;
  #stackMode: 'stack1' | 'stack2' = 'stack2';
  #stackStartedAt = 0;

  constructor(config: Id003ModelConfig, onPowerCut: () => void) {
    this.#config = config;
    this.#onPowerCut = onPowerCut;
    this.cashbox = new CashboxLedger(config.capacity);
  }

  /** The earliest of the unit's own timers, or undefined while it waits. */
  nextDeadline(): number | undefined {
    const times = [this.cutDueAt, this.cashboxEntryAt, this.phaseDeadline].filter(
      (t): t is number => t !== undefined,
    );
    return times.length === 0 ? undefined : Math.min(...times);
  }

  // ── time ─────────────────────────────────────────────────────────────────────────────────

  /**
   * Runs every timed event up to `now` in time order. On a tie a power cut goes first (the
   * note stays where it was), then a STACK-1 note dropping into the cashbox, then the phase
   * timer, so a phase that ends as the note lands sees the note already in the box.
   */
  settle(now: number): void {
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
      else if (entry === next) this.#stackMovingNote();
      else this.#phaseTimerFired();
    }
    this.now = target;
  }

  enter(phase: Id003Phase, deadline?: number): void {
    this.phase = phase;
    this.phaseDeadline = deadline;
    if (this.armedCut && this.armedCut.phase === phase) {
      this.cutDueAt = this.now + this.armedCut.afterMs;
      this.armedCut = undefined;
    }
  }

  #phaseTimerFired(): void {
    const t = this.#config.timing;
    this.phaseDeadline = undefined;
    switch (this.phase) {
      case 'initialize':
        this.#finishInitialize();
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
        if (this.#stackMode === 'stack2') {
          this.#dropIntoCashbox('vendValid');
        } else {
          // STACK-1: past the point of no return the unit reports VEND VALID while the note still moves.
          this.cashboxEntryAt = this.#stackStartedAt + t.stackingMs;
        }
        this.vend = 'owed';
        this.enter('vendValid');
        return;
      case 'stacked':
        this.enter('idle');
        return;
      case 'rejecting':
        this.#handBack('rejected');
        this.enter('idle');
        return;
      case 'returning':
        this.#handBack('returned');
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

  #stackMovingNote(): void {
    this.cashboxEntryAt = undefined;
    this.#dropIntoCashbox(this.phase === 'stacked' ? 'stacked' : 'vendValid');
  }

  #dropIntoCashbox(via: StackVia): void {
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

  #handBack(outcome: 'returned' | 'rejected'): void {
    const note = this.note;
    if (!note) return;
    note.where = undefined;
    note.outcome = outcome;
    note.endedAt = this.now;
    this.note = undefined;
  }

  /** The mechanism has homed: a note left in the acceptor goes back out, one in the stacker goes in. */
  #finishInitialize(): void {
    if (this.note?.where === 'acceptor') this.#handBack('returned');
    else if (this.note?.where === 'stacker') this.#dropIntoCashbox(this.stackerRecoveryVia);
    this.stackerRecoveryVia = 'powerUpStack';
    this.vend = 'none';
    this.resetRequired = false;
    this.enter('idle');
  }

  // ── what the host asks of the mechanism ──────────────────────────────────────────────────

  stack(mode: 'stack1' | 'stack2'): void {
    const t = this.#config.timing;
    this.note!.where = 'stacker';
    this.#stackMode = mode;
    this.vend = 'none';
    this.#stackStartedAt = this.now;
    this.enter(
      'stacking',
      this.now + (mode === 'stack2' ? t.stackingMs : Math.min(pointOfNoReturnMs(t), t.stackingMs)),
    );
  }

  returnNote(): void {
    this.enter('returning', this.now + this.#config.timing.returningMs);
  }

  hold(): void {
    this.enter('holding', this.now + this.#config.timing.escrowTimeoutMs);
  }

  takeHostAck(): void {
    this.vend = 'acked';
    // STACK-1 may still be moving the note: STACKED lasts until it is in the box.
    this.enter('stacked', Math.max(this.now + this.#config.timing.stackedMs, this.cashboxEntryAt ?? 0));
  }

  reset(): void {
    this.cheated = false;
    if (this.failure?.cleared) this.failure = undefined;
    this.settings = defaultSettings();
    // The unit tries to initialise, finds the fault still there and keeps reporting it.
    if (this.faultActive()) return;
    this.cashboxEntryAt = undefined;
    this.enter('initialize', this.now + this.#config.timing.initializeMs);
  }

  // ── power ────────────────────────────────────────────────────────────────────────────────

  cutPower(): void {
    this.cutDueAt = undefined;
    this.phaseDeadline = undefined;
    // A STACK-1 note still moving stops where it is: in the stacker, not yet in the box.
    this.cashboxEntryAt = undefined;
    this.#onPowerCut();
    this.phase = 'off';
  }

  powerOn(): void {
    this.settings = defaultSettings();
    this.cheated = false;
    this.resetRequired = true;
    this.enter(this.faultActive() ? 'fault' : 'powerUp');
  }

  // ── faults ───────────────────────────────────────────────────────────────────────────────

  faultActive(): boolean {
    return this.failure !== undefined || this.cheated || this.jam !== undefined || !this.cashbox.present;
  }

  /** The mechanism stops: timers are lost and the note stays where it physically is. */
  interrupt(): void {
    if (this.phase !== 'idle') this.resetRequired = true;
    this.phaseDeadline = undefined;
    this.cashboxEntryAt = undefined;
    this.enter('fault');
  }

  leaveFaultIfResolved(): void {
    if (this.phase !== 'fault' || this.faultActive()) return;
    this.enter(this.resetRequired || this.note !== undefined ? 'powerUp' : 'idle');
  }

  // ── status ───────────────────────────────────────────────────────────────────────────────

  statusReply(): AcceptorReply {
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

  /** The phase and the status it reports, for control results and snapshots. */
  brief(): { phase: Id003Phase; status: string | null } {
    return { phase: this.phase, status: this.phase === 'off' ? null : describeReply(this.statusReply()) };
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
