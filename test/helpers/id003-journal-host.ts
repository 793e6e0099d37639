import type {
  CashAcceptorHooks,
  EscrowDecision,
  EscrowedNote,
  NoteCredit,
} from '../../devices/cash-acceptor/cash-acceptor.js';
import type { Journal } from '../../src/journal/journal.js';

/**
 * The host side of the money hooks for driver tests, on the REAL journal: decideEscrow checks
 * a per-note limit and journals the escrow intent before answering; commitCredit commits the
 * credit, resolving a credit without a note id (power-up with a note in the stacker, a credit
 * the driver recovered) against the pending intent, or recording an orphan.
 */
export class Id003JournalHost implements CashAcceptorHooks {
  readonly txId: string;
  /** Everything the hooks were called with, in order. */
  readonly decisions: Array<{ note: EscrowedNote; decision: EscrowDecision }> = [];
  readonly credits: NoteCredit[] = [];
  /** Things that must not happen in a correct run (a stale intent found at the next escrow...). */
  readonly anomalies: string[] = [];
  /** Largest note taken, minor units. */
  maxNote: number;
  /** When set, decideEscrow waits for it before deciding: a test holds the decision in flight. */
  decisionGate: Promise<void> | undefined;
  /** When set, commitCredit waits for it before writing: a test holds the credit in flight. */
  creditGate: Promise<void> | undefined;
  /** When set, commitCredit throws this many times before it works. */
  failCommits = 0;
  /** commitCredit calls, counted on entry (before the gate, before any write). */
  creditCalls = 0;

  constructor(
    readonly journal: Journal,
    readonly device: string,
    options: { maxNote: number },
  ) {
    this.maxNote = options.maxNote;
    this.txId = journal.transactions.open({
      account: '13800138000',
      limits: { maxAmount: 1_000_000_000, maxNotes: null },
    }).txId;
  }

  async decideEscrow(note: EscrowedNote): Promise<EscrowDecision> {
    if (this.decisionGate) await this.decisionGate;
    let decision: EscrowDecision;
    if (note.denomination > this.maxNote) {
      decision = { action: 'return', reason: 'overLimit' };
    } else {
      const stale = this.journal.notes.pendingEscrowIntent(this.device);
      if (stale) {
        this.anomalies.push(`escrow ${note.escrowId} found intent ${stale.noteId} still pending`);
        this.journal.notes.voidIntent({ noteId: stale.noteId, reason: 'superseded in test' });
      }
      const noteId = this.journal.notes.recordEscrowIntent({
        txId: this.txId,
        device: this.device,
        escrowCode: `0x${note.deviceCode.toString(16)}`,
        denomination: note.denomination,
      });
      decision = { action: 'stack', noteId };
    }
    this.decisions.push({ note, decision });
    return decision;
  }

  async commitCredit(credit: NoteCredit): Promise<void> {
    this.creditCalls++;
    if (this.creditGate) await this.creditGate;
    if (this.failCommits > 0) {
      this.failCommits--;
      throw new Error('journal write failed (injected by the test)');
    }
    this.credits.push(credit);
    if (credit.noteId) {
      this.journal.notes.commitCredit({ noteId: credit.noteId });
      return;
    }
    const pending = this.journal.notes.pendingEscrowIntent(this.device);
    if (pending) {
      this.journal.notes.commitCredit({ noteId: pending.noteId });
      return;
    }
    this.journal.orphans.record({
      device: this.device,
      escrowCode: credit.deviceCode === undefined ? null : `0x${credit.deviceCode.toString(16)}`,
      denomination: credit.denomination ?? null,
      reason: credit.source,
    });
  }

  /** The driver says a note went back: settle its intent, if the host made one. */
  onReturned(event: { escrowId?: string; noteId?: string }): void {
    const noteId =
      event.noteId ??
      (event.escrowId === undefined
        ? this.journal.notes.pendingEscrowIntent(this.device)?.noteId
        : undefined);
    if (noteId && this.journal.notes.get(noteId).state === 'escrowIntent')
      this.journal.notes.markReturned({ noteId });
  }

  /** Denominations of every credited note of this device (transaction notes and orphans), sorted. */
  creditedDenominations(): number[] {
    const inTx = this.journal.transactions
      .notes(this.txId)
      .filter((n) => n.state === 'credited')
      .map((n) => n.denomination ?? 0);
    const orphans = this.journal.orphans.list().map((o) => o.denomination ?? 0);
    return [...inTx, ...orphans].sort((a, b) => a - b);
  }

  pendingIntents(): number {
    return this.journal.notes.pendingEscrowIntent(this.device) ? 1 : 0;
  }
}
