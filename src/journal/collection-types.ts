/** The steps of a cash collection (XFS4IoT Storage exchange), in the only order they happen. */
export type CollectionState = 'started' | 'counted' | 'ended';

/** One denomination of a collection. Counts are notes; `denomination` is in fen (0: unknown). */
export interface CollectionDenomination {
  denomination: number;
  /** Notes the journal credited to the cashbox in the cycle this collection closes. */
  expected: number;
  /** Notes the technician counted; null until counts are entered. */
  counted: number | null;
  /** counted − expected (notes); null until counts are entered. */
  difference: number | null;
}

export interface CollectionRecord {
  collectionId: string;
  device: string;
  /** The cashbox cycle this collection closes: every note credited in it, and no other. */
  cycle: number;
  currency: string;
  state: CollectionState;
  startedBy: string;
  startedAt: string;
  countedBy: string | null;
  countedAt: string | null;
  endedBy: string | null;
  endedAt: string | null;
  /** Its place in the outbox, shared with payments; null until ended. */
  seq: number | null;
  /** Highest denomination first. */
  denominations: CollectionDenomination[];
  /** Value the journal expects in the box, fen. */
  expectedValue: number;
  /** Value counted, fen; null until counts are entered. */
  countedValue: number | null;
  /** countedValue − expectedValue, fen; null until counts are entered. */
  differenceValue: number | null;
  /** Any denomination whose count differs; null until counts are entered. */
  discrepancy: boolean | null;
}

/** What the fleet receives on `kiosk/v1/{id}/collection`; field order is fixed (frozen payload). */
export interface CollectionPayload {
  v: 1;
  kioskId: string;
  ts: string;
  collectionId: string;
  seq: number;
  /** Who counted the notes (the count is what the money rests on). */
  technician: string;
  startedBy: string;
  endedBy: string;
  device: string;
  startedAt: string;
  endedAt: string;
  currency: string;
  denominations: Array<{ denomination: number; expected: number; counted: number; difference: number }>;
  expectedValue: number;
  countedValue: number;
  /** countedValue − expectedValue, fen. */
  difference: number;
  discrepancy: boolean;
}
