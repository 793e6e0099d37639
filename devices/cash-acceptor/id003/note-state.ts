/** Where the one note an acceptor can hold in its path is, as far as the driver knows. */
export type NotePhase =
  /** In escrow, the host has not answered decideEscrow yet. */
  | 'deciding'
  /** The host said stack (or the unit reported a credit this driver did not see escrowed). */
  | 'stacking'
  /** The host said return, or the driver cannot value the note. */
  | 'returning'
  /** commitCredit resolved; the unit may still repeat VEND VALID until it has our ACK. */
  | 'credited'
  | 'ended';

/** What the driver knows about the one note an acceptor can hold in its path. */
export interface NoteState {
  escrowId: string;
  deviceCode: number | undefined;
  denomination: number | undefined;
  phase: NotePhase;
  noteId?: string;
  returnReason?: string;
  escrowReceivedAt: number;
  /**
   * performance.now() at the write of the latest status request whose answer showed this note
   * in escrow: the unit's state is known no earlier than that.
   */
  seenInEscrowAt: number;
  /** The unit acknowledged STACK: the note is past the point where it can come back out. */
  stackAcked: boolean;
  commandInFlight: boolean;
  commandFailed: boolean;
  /** The note left escrow (unit timeout, RESET) before the host decided: report it once the decision is in. */
  goneWhileDeciding: boolean;
  timed: boolean;
  cancelHold?: () => void;
  /** The host ACK of this note's VEND VALID is queued or being written. */
  ackPending: boolean;
  /** performance.now() of the latest host ACK's write: a VEND VALID seen by a later poll means it was lost. */
  ackWrittenAt?: number;
}

/** A note just seen in escrow (or a credit for one never seen there): the host is to decide it. */
export function newNoteState(
  escrowId: string,
  deviceCode: number | undefined,
  denomination: number | undefined,
  receivedAt: number,
  seenAt: number,
): NoteState {
  return {
    escrowId,
    deviceCode,
    denomination,
    phase: 'deciding',
    escrowReceivedAt: receivedAt,
    seenInEscrowAt: seenAt,
    stackAcked: false,
    commandInFlight: false,
    commandFailed: false,
    goneWhileDeciding: false,
    timed: false,
    ackPending: false,
  };
}
