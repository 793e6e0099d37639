/**
 * The simulated unit's cashbox and the ground truth of what went into it. The ledger is written
 * at the instant a note physically drops into the cashbox, whatever the host was told, so
 * tests can compare the daemon's journal with what really happened across power cuts and jams.
 */

/** What the unit was doing when the note dropped into the cashbox. */
export type StackVia = 'vendValid' | 'stacked' | 'powerUpStack' | 'jamClearStack';

export interface LedgerEntry {
  /** 1, 2, 3… in the order notes entered the cashbox, across cashbox changes. */
  seq: number;
  noteId: string;
  escrowCode: number;
  /** Minor units (fen). */
  denomination: number;
  /** Model time (ms) the note entered the cashbox. */
  at: number;
  via: StackVia;
}

export interface Collection {
  seq: number;
  at: number;
  /** Notes per denomination (minor units, as a decimal string key) taken out. */
  counts: Record<string, number>;
  notes: number;
  /** Minor units taken out. */
  total: number;
}

export interface CashboxSnapshot {
  present: boolean;
  capacity: number;
  notes: number;
  total: number;
  counts: Record<string, number>;
  full: boolean;
  forcedFull: boolean;
  ledger: LedgerEntry[];
  collections: Collection[];
}

export interface StackedNote {
  noteId: string;
  escrowCode: number;
  denomination: number;
}

export class CashboxLedger {
  readonly capacity: number;
  private inserted = true;
  private forcedFull = false;
  private counts = new Map<number, number>();
  private readonly ledger: LedgerEntry[] = [];
  private readonly collections: Collection[] = [];

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  get present(): boolean {
    return this.inserted;
  }

  get notes(): number {
    let n = 0;
    for (const c of this.counts.values()) n += c;
    return n;
  }

  /** Full by count, or because a test said the box is physically full. */
  get full(): boolean {
    return this.forcedFull || this.notes >= this.capacity;
  }

  /**
   * The note drops into the box. Callers only stack into a present box: removing the box is a
   * fault that freezes the transport, so a note in flight waits in the stacker for a new box.
   */
  stack(note: StackedNote, at: number, via: StackVia): LedgerEntry {
    this.counts.set(note.denomination, (this.counts.get(note.denomination) ?? 0) + 1);
    const entry: LedgerEntry = { seq: this.ledger.length + 1, ...note, at, via };
    this.ledger.push(entry);
    return entry;
  }

  forceFull(): void {
    this.forcedFull = true;
  }

  remove(): void {
    this.inserted = false;
  }

  /** Puts the box back; `emptied` records a collection and starts the counts from zero. */
  replace(emptied: boolean, at: number): Collection | undefined {
    this.inserted = true;
    if (!emptied) return undefined;
    const collection: Collection = {
      seq: this.collections.length + 1,
      at,
      counts: this.countsRecord(),
      notes: this.notes,
      total: this.total(),
    };
    this.collections.push(collection);
    this.counts = new Map();
    this.forcedFull = false;
    return collection;
  }

  entries(): LedgerEntry[] {
    return this.ledger.map((e) => ({ ...e }));
  }

  snapshot(): CashboxSnapshot {
    return {
      present: this.inserted,
      capacity: this.capacity,
      notes: this.notes,
      total: this.total(),
      counts: this.countsRecord(),
      full: this.full,
      forcedFull: this.forcedFull,
      ledger: this.entries(),
      collections: this.collections.map((c) => ({ ...c, counts: { ...c.counts } })),
    };
  }

  private total(): number {
    let sum = 0;
    for (const [denomination, count] of this.counts) sum += denomination * count;
    return sum;
  }

  private countsRecord(): Record<string, number> {
    const record: Record<string, number> = {};
    for (const [denomination, count] of [...this.counts].sort((a, b) => a[0] - b[0])) {
      record[String(denomination)] = count;
    }
    return record;
  }
}
