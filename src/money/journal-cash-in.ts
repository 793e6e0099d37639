import type {
  CashAcceptorHooks,
  EscrowDecision,
  EscrowedNote,
  NoteCredit,
} from '../../devices/cash-acceptor/cash-acceptor.js';
import type { Journal } from '../journal/journal.js';
import type { Logger } from '../log.js';

/**
 * Who takes a note in escrow. Synchronous on purpose: invariant 2 says an escrow decision
 * never waits on the network, so whatever decides (the top-up transaction and its limits)
 * must already know the answer.
 */
export interface EscrowPolicy {
  decide(note: EscrowedNote): { accept: true; txId: string } | { accept: false; reason: string };
}

/** Outside a transaction no note is wanted: the acceptor should be inhibited, and a note that slips through goes back. */
export const refuseAllNotes: EscrowPolicy = {
  decide: () => ({ accept: false, reason: 'noTransaction' }),
};

/** How escrow codes are written in the journal: the protocol's code as hex, e.g. "0x63". */
export function escrowCodeText(deviceCode: number | undefined): string | null {
  return deviceCode === undefined ? null : `0x${deviceCode.toString(16).padStart(2, '0')}`;
}

/**
 * The money hooks of a cash acceptor, kept in the journal in the order of invariant 1:
 * the escrow intent is durable before the driver sends STACK (decideEscrow resolves after the
 * write), and the credit is durable before the driver acknowledges it (commitCredit resolves
 * after the write). better-sqlite3 is synchronous and the journal runs synchronous=FULL, so a
 * resolved promise here means the row is on disk.
 */
export class JournalCashIn implements CashAcceptorHooks {
  private policy: EscrowPolicy;

  constructor(
    private readonly journal: Journal,
    /** The device name the journal files these notes under, e.g. "cashAcceptor". */
    readonly device: string,
    private readonly logger: Logger,
    policy: EscrowPolicy = refuseAllNotes,
  ) {
    this.policy = policy;
  }

  /** Until this process commits its first credit, the device may still owe an ACK from the last one. */
  private repeatPossible = true;

  /** The transaction machine installs its policy when a top-up starts and restores refuseAllNotes after. */
  setPolicy(policy: EscrowPolicy): void {
    this.policy = policy;
  }

  async decideEscrow(note: EscrowedNote): Promise<EscrowDecision> {
    const verdict = this.policy.decide(note);
    if (!verdict.accept) return { action: 'return', reason: verdict.reason };
    const stale = this.journal.notes.pendingEscrowIntent(this.device);
    if (stale) {
      // A previous note's fate is still open (a crash between intent and credit): stacking a
      // second note now would make the next credit ambiguous. Recovery must settle it first.
      this.logger.warn(
        { pendingNoteId: stale.noteId },
        'note returned: an earlier escrow intent is unsettled',
      );
      return { action: 'return', reason: 'unsettledEscrowIntent' };
    }
    const noteId = this.journal.notes.recordEscrowIntent({
      txId: verdict.txId,
      device: this.device,
      escrowCode: escrowCodeText(note.deviceCode) ?? 'unknown',
      denomination: note.denomination,
    });
    return { action: 'stack', noteId };
  }

  async commitCredit(credit: NoteCredit): Promise<void> {
    const noteId =
      credit.noteId ??
      this.journal.notes.pendingEscrowIntent(this.device)?.noteId ??
      this.unacknowledgedCredit(credit);
    this.repeatPossible = false;
    if (noteId !== undefined) {
      const result = this.journal.notes.commitCredit({ noteId });
      if (result.alreadyCredited)
        this.logger.info({ noteId, source: credit.source }, 'repeated credit ignored');
      return;
    }
    // The device says a note entered the cashbox and we hold no intent for it: never drop it.
    this.journal.orphans.record({
      device: this.device,
      escrowCode: escrowCodeText(credit.deviceCode),
      denomination: credit.denomination ?? null,
      reason: `${credit.source} with no escrow intent`,
    });
  }

  /**
   * A credit without note id or pending intent, reported before this process committed any: when
   * the device's latest note is already credited, the previous process committed it and stopped
   * (killed, or the power went) before its ACK reached the device, which reports the same note
   * again. A device stacks only the note the host last sent STACK for, and STACK follows the
   * intent, so that note is the latest one. Anything else is an orphan.
   */
  private unacknowledgedCredit(credit: NoteCredit): string | undefined {
    if (!this.repeatPossible) return undefined;
    const latest = this.journal.notes.latest(this.device);
    if (latest?.state !== 'credited') return undefined;
    if (
      credit.denomination !== undefined &&
      latest.denomination !== null &&
      credit.denomination !== latest.denomination
    ) {
      return undefined;
    }
    this.journal.audit.append('kioskd', 'credit.repeatRecognised', {
      noteId: latest.noteId,
      device: this.device,
      source: credit.source,
    });
    this.logger.warn(
      { noteId: latest.noteId, source: credit.source },
      'the device repeats the credit of a note committed before the restart; its ACK was lost',
    );
    return latest.noteId;
  }

  /**
   * The device gave a note back. With a noteId it is that intent; without one (power-up with a
   * bill in the acceptor) it is this device's pending intent, if any.
   */
  noteReturned(event: { noteId?: string }): void {
    const noteId = event.noteId ?? this.journal.notes.pendingEscrowIntent(this.device)?.noteId;
    if (noteId === undefined) return;
    const note = this.journal.notes.get(noteId);
    if (note.state === 'escrowIntent') this.journal.notes.markReturned({ noteId });
  }
}
