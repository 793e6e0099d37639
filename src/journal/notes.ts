import type { JournalAudit } from './audit.js';
import type { JournalCashbox } from './cashbox.js';
import type { JournalConnection } from './journal-connection.js';
import type { CommitCreditResult, NoteRecord } from './journal-types.js';
import {
  conflict,
  type NoteForCreditRow,
  type NoteRow,
  notFound,
  requireNote,
  requireTx,
  SYSTEM_ACTOR,
  toNote,
} from './rows.js';
import * as check from './validate.js';

/**
 * Notes from escrow intent to credit, return or void. The credit is the money write between
 * two device messages, so it stays here whole: the note, its counter cell and, when no open
 * transaction takes it, the orphan row and its audit entry are one commit.
 */
export class JournalNotes {
  constructor(
    private readonly c: JournalConnection,
    private readonly cashbox: JournalCashbox,
    private readonly audit: JournalAudit,
  ) {}

  /** Written before STACK is sent: a power cut after this line leaves a trace to reconcile. */
  recordEscrowIntent(input: {
    txId: string | null;
    device: string;
    escrowCode: string;
    denomination: number;
  }): string {
    const txId = input?.txId === null ? null : check.text('txId', input?.txId, 64);
    const device = check.text('device', input.device, 64);
    const escrowCode = check.text('escrowCode', input.escrowCode, 64);
    const denomination = check.denomination('denomination', input.denomination);
    const st = this.c.st;
    return this.c.write('recordEscrowIntent', () => {
      if (txId !== null) {
        const tx = requireTx(st, txId);
        if (tx.state !== 'open') {
          throw conflict(`transaction ${txId} is ${tx.state}; it takes no more notes`, {
            txId,
            state: tx.state,
          });
        }
      }
      const pending = st.pendingIntent.get(device) as NoteRow | undefined;
      if (pending) {
        throw conflict(`device ${device} already has note ${pending.note_id} in escrow; settle it first`, {
          device,
          pendingNoteId: pending.note_id,
        });
      }
      const noteId = this.c.newId();
      st.insertIntent.run(noteId, txId, device, escrowCode, denomination, this.c.now());
      return noteId;
    });
  }

  pendingEscrowIntent(device: string): NoteRecord | null {
    const name = check.text('device', device, 64);
    return this.c.read('pendingEscrowIntent', () => {
      const row = this.c.st.pendingIntent.get(name) as NoteRow | undefined;
      return row ? toNote(row) : null;
    });
  }

  /** Every device's unsettled intent, for start-up reconciliation. */
  pendingEscrowIntents(): NoteRecord[] {
    return this.c.read('pendingEscrowIntents', () =>
      (this.c.st.allPendingIntents.all() as NoteRow[]).map(toNote),
    );
  }

  /**
   * The device's most recent note (ids are time-ordered ULIDs). A device only stacks the note
   * the host last told it to, so a credit repeated after a restart belongs to this note.
   */
  latest(device: string): NoteRecord | null {
    const name = check.text('device', device, 64);
    return this.c.read('latestNote', () => {
      const row = this.c.st.latestNote.get(name) as NoteRow | undefined;
      return row ? toNote(row) : null;
    });
  }

  get(noteId: string): NoteRecord {
    const id = check.text('noteId', noteId, 64);
    return this.c.read('note', () => toNote(requireNote(this.c.st, id)));
  }

  /**
   * Committed before the device's credit is acknowledged. Idempotent, because the device
   * repeats its credit report until acknowledged: a second call for the same note changes nothing.
   */
  commitCredit(input: { noteId: string }): CommitCreditResult {
    const noteId = check.text('noteId', input?.noteId, 64);
    const st = this.c.st;
    return this.c.write('commitCredit', () => {
      // One lookup for note, transaction and cashbox: this is the hot path between two fsyncs.
      const note = st.noteForCredit.get(noteId) as NoteForCreditRow | undefined;
      if (!note) throw notFound('noteId', noteId);
      if (note.state === 'credited') {
        const orphan = st.orphanOfNote.get(noteId) as { orphan_id: string } | undefined;
        return { noteId, alreadyCredited: true, orphanId: orphan?.orphan_id ?? null };
      }
      if (note.state !== 'escrowIntent') {
        throw conflict(
          `note ${noteId} was ${note.state}; a credit for it must be recorded as an orphan credit`,
          {
            noteId,
            state: note.state,
          },
        );
      }
      const now = this.c.now();
      const cycle = note.box_cycle ?? this.cashbox.cycleInTransaction(note.device);
      st.creditNote.run(now, cycle, noteId);
      st.bumpCount.run(note.device, note.denomination);

      // Money the device took must land somewhere: without an open transaction it becomes an orphan.
      if (note.tx_state === 'open') return { noteId, alreadyCredited: false, orphanId: null };
      const reason =
        note.tx_id === null
          ? 'credited without a transaction'
          : `credited after transaction ${note.tx_id} was ${note.tx_state}`;
      const orphanId = this.c.newId();
      st.insertOrphan.run(orphanId, noteId, reason, now);
      this.audit.appendInTransaction(SYSTEM_ACTOR, 'orphan.recorded', {
        orphanId,
        noteId,
        device: note.device,
        denomination: note.denomination,
        reason,
      });
      this.c.log.warn({ orphanId, noteId, device: note.device, reason }, 'orphan credit recorded');
      return { noteId, alreadyCredited: false, orphanId };
    });
  }

  /** The note went back to the customer. Repeating it is harmless; returning a credited note is not possible. */
  markReturned(input: { noteId: string }): { alreadyReturned: boolean } {
    const noteId = check.text('noteId', input?.noteId, 64);
    return this.c.write('markReturned', () => ({ alreadyReturned: this.settle(noteId, 'returned', null) }));
  }

  /** An intent that never reached the device (crash before STACK, or the device reports no note). */
  voidIntent(input: { noteId: string; reason: string }): { alreadyVoided: boolean } {
    const noteId = check.text('noteId', input?.noteId, 64);
    const reason = check.text('reason', input.reason);
    return this.c.write('voidIntent', () => {
      const alreadyVoided = this.settle(noteId, 'voided', reason);
      if (!alreadyVoided) this.audit.appendInTransaction(SYSTEM_ACTOR, 'note.voided', { noteId, reason });
      return { alreadyVoided };
    });
  }

  /** Moves an intent to returned/voided; true when the note was already in that state. */
  private settle(noteId: string, state: 'returned' | 'voided', reason: string | null): boolean {
    const note = requireNote(this.c.st, noteId);
    if (note.state === state) return true;
    if (note.state !== 'escrowIntent') {
      throw conflict(`note ${noteId} is ${note.state}; it cannot become ${state}`, {
        noteId,
        state: note.state,
      });
    }
    this.c.st.settleNote.run(state, this.c.now(), reason, noteId);
    return false;
  }
}
