import type { EscrowedNote, NoteCredit } from '../../devices/cash-acceptor/cash-acceptor.js';
import { decideEscrow } from '../../fsm/top-up/top-up-machine.js';
import type { Journal } from '../journal/journal.js';
import type { Logger } from '../log.js';
import type { EscrowPolicy } from '../money/journal-cash-in.js';
import { rejectMessage, returnMessage } from './reject-message.js';
import type { RunningTopUp } from './running-top-up.js';
import { remainingOf } from './running-top-up-view.js';
import type { KioskEvent } from './top-up-view.js';

/** What the note handling needs of the service: the running top-up and its screen. */
export interface TopUpNoteHost {
  running(): RunningTopUp | undefined;
  emit(event: KioskEvent): void;
  publishView(running: RunningTopUp): void;
}

/**
 * The acceptor's side of a top-up: the escrow decision for each note, and each credit, return
 * and rejection turned into a machine event and a screen event.
 */
export class TopUpNotes {
  readonly #host: TopUpNoteHost;
  readonly #journal: Journal;
  /** The journal's device name for the acceptor's notes. */
  readonly #device: string;
  readonly #log: Logger;

  constructor(options: { host: TopUpNoteHost; journal: Journal; device: string; logger: Logger }) {
    this.#host = options.host;
    this.#journal = options.journal;
    this.#device = options.device;
    this.#log = options.logger;
  }

  /** Synchronous, from the machine's context alone (invariant 2); an accepted note is announced at once. */
  policyFor(running: RunningTopUp): EscrowPolicy {
    return {
      decide: (note: EscrowedNote) => {
        if (this.#host.running() !== running) return { accept: false, reason: 'noTransaction' };
        const context = running.actor.getSnapshot().context;
        const verdict = decideEscrow(context, note);
        if (!verdict.accept || context.txId === null) {
          running.refusal = verdict.accept ? 'notInsertingCash' : verdict.reason;
          this.#log.info(
            { denomination: note.denomination, reason: running.refusal },
            'note refused in escrow',
          );
          return { accept: false, reason: running.refusal };
        }
        running.refusal = undefined;
        running.actor.send({
          type: 'NOTE_ESCROWED',
          escrowId: note.escrowId,
          denomination: note.denomination,
        });
        return { accept: true, txId: context.txId };
      },
    };
  }

  credited(credit: NoteCredit): void {
    const running = this.#host.running();
    if (!running) return;
    const context = running.actor.getSnapshot().context;
    if (context.txId === null) return;
    // A credit recovered without its id is the journal's latest note for this device, if any.
    const note =
      credit.noteId !== undefined
        ? this.#journal.notes.get(credit.noteId)
        : this.#journal.notes.latest(this.#device);
    if (
      note === null ||
      note.txId !== context.txId ||
      note.state !== 'credited' ||
      note.denomination === null
    )
      return;
    if (context.notes.some((n) => n.noteId === note.noteId)) return;
    running.notice = null;
    running.actor.send({ type: 'NOTE_CREDITED', noteId: note.noteId, denomination: note.denomination });
    const after = running.actor.getSnapshot().context;
    this.#host.emit({
      type: 'topup.note',
      data: {
        txId: context.txId,
        noteId: note.noteId,
        denomination: note.denomination,
        total: after.total,
        remaining: remainingOf(after),
      },
    });
  }

  returned(): void {
    const running = this.#host.running();
    const message = returnMessage(running?.refusal);
    if (running) {
      running.refusal = undefined;
      running.notice = message;
      running.actor.send({ type: 'NOTE_RETURNED' });
    }
    this.#host.emit({
      type: 'topup.noteReturned',
      data: { txId: running?.actor.getSnapshot().context.txId ?? null, message },
    });
    if (running) this.#host.publishView(running);
  }

  rejected(reason: string): void {
    const running = this.#host.running();
    const message = rejectMessage(reason);
    if (running) {
      running.notice = message;
      running.actor.send({ type: 'NOTE_REJECTED', reason });
    }
    this.#host.emit({
      type: 'topup.noteRejected',
      data: { txId: running?.actor.getSnapshot().context.txId ?? null, reason, message },
    });
    if (running) this.#host.publishView(running);
  }
}
