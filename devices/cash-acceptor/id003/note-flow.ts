import type { Clock } from '../../../core/clock.js';
import { ErrorCode, KioskError } from '../../../core/errors.js';
import type { Logger } from '../../../core/logger.js';
import type {
  CashAcceptorEvents,
  CashAcceptorHooks,
  EscrowDecision,
  EscrowedNote,
  NoteCredit,
} from '../cash-acceptor.js';
import type { Id003CurrencyMap } from './currency-map.js';
import type { ResolvedId003DriverOptions } from './driver-options.js';
import type { Id003Exchange } from './exchange.js';
import { type NotePhase, type NoteState, newNoteState } from './note-state.js';

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

/** Emits a CashAcceptor event on the driver, a throwing listener logged rather than thrown. */
export type EmitAcceptorEvent = <E extends keyof CashAcceptorEvents>(
  event: E,
  ...args: CashAcceptorEvents[E]
) => void;

/** What the note flow needs from the driver that owns it. */
export interface Id003NoteFlowConfig {
  /** The driver's name, the prefix of every escrowId. */
  name: string;
  exchange: Id003Exchange;
  hooks: CashAcceptorHooks;
  options: ResolvedId003DriverOptions;
  logger: Logger;
  clock: Clock;
  onTiming: ((timing: Id003DriverTiming) => void) | undefined;
  emit: EmitAcceptorEvent;
  /** Whether the latest line session is still up: nothing is written to a line that went away. */
  lineActive: () => boolean;
  /** The unit's latest status key, for the reconciliation log line. */
  unitStatus: () => string | undefined;
}

function validDecision(decision: unknown): decision is EscrowDecision {
  if (typeof decision !== 'object' || decision === null) return false;
  const d = decision as Record<string, unknown>;
  if (d['action'] === 'stack') return typeof d['noteId'] === 'string' && d['noteId'] !== '';
  return d['action'] === 'return' && typeof d['reason'] === 'string';
}

/**
 * The money path of an ID-003 unit: a note in escrow → the host's decision → STACK or RETURN →
 * VEND VALID → credit committed → ACK. It keeps DESIGN.md invariant 1 (escrow intent before
 * STACK through decideEscrow; credit committed before VEND VALID is acknowledged through
 * commitCredit). The driver feeds it the statuses it polls; this decides what they mean for the
 * one note the unit can hold, and writes the STACK, RETURN, HOLD and ACK that follow.
 *
 * STACK and RETURN name no note: they act on whatever is in escrow when they arrive. So neither
 * is sent blindly again after a timeout (see exchange.ts), and a STACK whose escrow sighting is
 * stale waits for a fresh one (driver-options.ts, staleEscrowMs).
 */
export class Id003NoteFlow {
  readonly #name: string;
  readonly #exchange: Id003Exchange;
  readonly #hooks: CashAcceptorHooks;
  readonly #opts: ResolvedId003DriverOptions;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #onTiming: ((timing: Id003DriverTiming) => void) | undefined;
  readonly #emit: EmitAcceptorEvent;
  readonly #lineActive: () => boolean;
  readonly #unitStatus: () => string | undefined;

  #note: NoteState | undefined;
  #commit: Promise<void> | undefined;
  #escrowCount = 0;
  #credits = 0;
  /**
   * The note the unit reported in its stacker at power-up is credited, and the unit has not yet
   * been through INITIALIZE since: its repeated power-up status is about the same note.
   */
  #stackerCredited = false;

  constructor(config: Id003NoteFlowConfig) {
    this.#name = config.name;
    this.#exchange = config.exchange;
    this.#hooks = config.hooks;
    this.#opts = config.options;
    this.#log = config.logger;
    this.#clock = config.clock;
    this.#onTiming = config.onTiming;
    this.#emit = config.emit;
    this.#lineActive = config.lineActive;
    this.#unitStatus = config.unitStatus;
  }

  get escrows(): number {
    return this.#escrowCount;
  }

  get credits(): number {
    return this.#credits;
  }

  /** The tracked note's phase, for log lines. */
  get phase(): NotePhase | undefined {
    return this.#note?.phase;
  }

  /** The unit acknowledged STACK for the tracked note and has not reported it credited. */
  get stackAcked(): boolean {
    const note = this.#note;
    return note !== undefined && note.phase === 'stacking' && note.stackAcked;
  }

  /** The tracked note is still in the acceptor's path: the host is deciding it, or it is going back. */
  get inAcceptor(): boolean {
    const note = this.#note;
    return note !== undefined && (note.phase === 'deciding' || note.phase === 'returning');
  }

  /** The driver stops: no HOLD goes out for a note still being decided. */
  stopHolding(): void {
    this.#note?.cancelHold?.();
  }

  /** The unit went through INITIALIZE or is idle: a later power-up in the stacker is a new note. */
  unitInitialised(): void {
    this.#stackerCredited = false;
  }

  #nextEscrowId(): string {
    return `${this.#name}-${++this.#escrowCount}`;
  }

  /** The unit shows `code` in escrow; `seenAt` is when the status request that saw it was written. */
  onEscrow(map: Id003CurrencyMap, code: number, receivedAt: number, seenAt: number): void {
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
      this.noteGone('idle');
    }
    const denomination = map.acceptedDenomination(code);
    const note = newNoteState(this.#nextEscrowId(), code, denomination, receivedAt, seenAt);
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
    this.#emit('escrow', { ...escrowed });
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
      this.#emit('returned', {
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
        if (note.phase !== 'deciding' || this.#note !== note || !this.#lineActive()) return;
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
    if (!this.#lineActive()) {
      // Sent when the unit shows the note in escrow again after the line is back.
      note.commandFailed = true;
      return;
    }
    if (stacking && !note.stackAcked) {
      const ageMs = performance.now() - note.seenInEscrowAt;
      if (ageMs > this.#opts.staleEscrowMs) {
        // The unit may have handed this note back and drawn in the next one since it was last
        // seen: STACK goes out when a status request written from now on shows the note still
        // in escrow (onEscrow); a note seen leaving instead is reported returned (noteGone).
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
        this.#emit('returned', {
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
  noteGone(how: 'returned' | 'rejected' | 'idle'): void {
    const note = this.#note;
    if (!note) return;
    switch (note.phase) {
      case 'deciding':
        note.goneWhileDeciding = true;
        return;
      case 'returning':
        note.phase = 'ended';
        this.#emit('returned', {
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
          this.#emit('returned', {
            escrowId: note.escrowId,
            ...(note.noteId ? { noteId: note.noteId } : {}),
          });
          return;
        }
        this.#log.error(
          { escrowId: note.escrowId, noteId: note.noteId, status: this.#unitStatus() },
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

  /**
   * RESET after a power-up with a note in the acceptor handed it back: the note the driver
   * tracked there is returned, or, when it knew of none, an unnamed one.
   */
  acceptorNoteReturned(): void {
    const note = this.#note;
    if (note && note.phase !== 'ended' && note.phase !== 'credited') this.noteGone('returned');
    else this.#emit('returned', {});
  }

  /** STACKED: the credited note is in the box, the unit took our ACK. */
  onStacked(): void {
    if (this.#note?.phase === 'credited') this.#note.phase = 'ended';
  }

  /** `seenAt`: when the status request that was answered VEND VALID was written. */
  onVendValid(seenAt: number): void {
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
      note = newNoteState(this.#nextEscrowId(), note?.deviceCode, note?.denomination, 0, 0);
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
    this.#emit('credited', { ...credit });
    this.#ack(note);
  }

  /**
   * Sends the ACK of VEND VALID and goes on polling: the next status confirms it (STACKED or
   * an idle status) or shows it lost (VEND VALID again, which sends it again).
   */
  #ack(note: NoteState): void {
    if (!this.#lineActive() || note.ackPending) return;
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

  /**
   * A power-up (or a reset) with a note in the stacker: RESET finishes stacking it, so it is
   * money in the box. Credited once until the unit initialises again (unitInitialised), however
   * often the power-up status repeats.
   */
  async creditStackerNote(): Promise<void> {
    if (this.#stackerCredited) return;
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
    this.#emit('credited', { ...credit });
  }
}
