import type { TopUpContext } from './top-up-context.js';

type LimitView = Pick<
  TopUpContext,
  'limits' | 'total' | 'dailyTotalSoFar' | 'notes' | 'denominations' | 'cashInOpen' | 'noteInProgress'
>;

/** How much more this transaction may take: the tighter of the per-transaction and the daily limit. */
export function remainingLimit(context: Pick<LimitView, 'limits' | 'total' | 'dailyTotalSoFar'>): number {
  const perTransaction = context.limits.maxPerTransaction - context.total;
  const daily = context.limits.maxPerAccountPerDay - (context.dailyTotalSoFar + context.total);
  return Math.max(0, Math.min(perTransaction, daily));
}

/**
 * The denominations the acceptor should take now. The device refuses the others itself, so a
 * customer rarely sees a note stacked-then-refused; decideEscrow still checks every note.
 */
export function acceptableDenominations(
  context: Pick<LimitView, 'limits' | 'total' | 'dailyTotalSoFar' | 'notes' | 'denominations'>,
): number[] {
  if (context.notes.length >= context.limits.maxNotesPerTransaction) return [];
  const remaining = remainingLimit(context);
  return context.denominations.filter((d) => d <= remaining);
}

export type EscrowVerdict =
  | { accept: true }
  | {
      accept: false;
      reason: 'overLimit' | 'tooManyNotes' | 'notAccepted' | 'notInsertingCash' | 'noteInProgress';
    };

/**
 * Decides a note in escrow from the transaction's context alone, synchronously: invariant 2
 * says an escrow decision never waits on the network, and the acceptor returns the note by
 * itself after a few seconds. The service calls this as its EscrowPolicy, then tells the
 * machine NOTE_ESCROWED for an accepted note.
 */
export function decideEscrow(context: LimitView, note: { denomination: number }): EscrowVerdict {
  if (!context.cashInOpen) return { accept: false, reason: 'notInsertingCash' };
  // The journal holds one escrow intent per device; a second note before the first settles
  // would make the next credit ambiguous.
  if (context.noteInProgress) return { accept: false, reason: 'noteInProgress' };
  if (!Number.isSafeInteger(note.denomination) || !context.denominations.includes(note.denomination))
    return { accept: false, reason: 'notAccepted' };
  if (context.notes.length >= context.limits.maxNotesPerTransaction)
    return { accept: false, reason: 'tooManyNotes' };
  if (note.denomination > remainingLimit(context)) return { accept: false, reason: 'overLimit' };
  return { accept: true };
}
