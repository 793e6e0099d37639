import type Database from 'better-sqlite3';
import { ErrorCode, KioskError } from '../../core/errors.js';
import type { JournalAudit } from './audit.js';
import type { JournalCashbox } from './cashbox.js';
import type { CollectionPayload, CollectionRecord, CollectionState } from './collection-types.js';
import type { JournalConnection } from './journal-connection.js';
import { type CashboxRow, conflict, notFound } from './rows.js';
import { isUlid } from './ulid.js';
import * as check from './validate.js';

interface CollectionRow {
  collection_id: string;
  device: string;
  cycle: number;
  currency: string;
  state: CollectionState;
  started_by: string;
  started_at: string;
  counted_by: string | null;
  counted_at: string | null;
  ended_by: string | null;
  ended_at: string | null;
  seq: number | null;
}

interface CountRow {
  denomination: number;
  expected: number;
  counted: number | null;
}

const MAX_RECENT = 500;
/** More denominations than any note series has; bounds a count list before it is looked at. */
const MAX_COUNT_ENTRIES = 64;

/** Statements of this concern only, prepared on the shared connection (so they join its transactions). */
function prepareCollectionStatements(db: Database.Database) {
  const s = (sql: string) => db.prepare(sql);
  return {
    insert: s(`INSERT INTO collections (collection_id, device, cycle, currency, state, started_by, started_at)
               VALUES (?, ?, ?, ?, 'started', ?, ?)`),
    get: s('SELECT * FROM collections WHERE collection_id = ?'),
    open: s("SELECT * FROM collections WHERE state <> 'ended' ORDER BY collection_id LIMIT 1"),
    recent: s('SELECT * FROM collections ORDER BY collection_id DESC LIMIT ?'),
    counts: s(
      'SELECT denomination, expected, counted FROM collection_counts WHERE collection_id = ? ORDER BY denomination DESC',
    ),
    upsertExpected: s(`INSERT INTO collection_counts (collection_id, denomination, expected) VALUES (?, ?, ?)
                       ON CONFLICT (collection_id, denomination) DO UPDATE SET expected = excluded.expected`),
    setCounted: s('UPDATE collection_counts SET counted = ? WHERE collection_id = ? AND denomination = ?'),
    markCounted: s(
      "UPDATE collections SET state = 'counted', counted_by = ?, counted_at = ? WHERE collection_id = ? AND state IN ('started', 'counted')",
    ),
    markEnded: s(
      "UPDATE collections SET state = 'ended', ended_by = ?, ended_at = ?, seq = ? WHERE collection_id = ? AND state = 'counted'",
    ),
    insertOutbox: s("INSERT INTO outbox (seq, collection_id, payload, state) VALUES (?, ?, ?, 'pending')"),
  };
}

/**
 * Cash collections after XFS4IoT Storage exchange, as three journal steps that each commit
 * whole: started (who, when, which cashbox cycle it closes) → counts entered (counted per
 * denomination, compared with what the journal credited in that cycle) → ended (the record
 * is final, its outbox row written in the payments' seq space, and the cashbox starts a new
 * cycle at zero — all in one transaction). A kill between steps leaves an open collection that
 * `open()` finds again; a kill inside a step leaves the step undone.
 *
 * A collection closes exactly one cashbox cycle (UNIQUE (device, cycle)), and a note is
 * credited in exactly one cycle, so no note can be counted in two collections.
 */
export class JournalCollections {
  private readonly st: ReturnType<typeof prepareCollectionStatements>;

  constructor(
    private readonly c: JournalConnection,
    private readonly cashbox: JournalCashbox,
    private readonly audit: JournalAudit,
  ) {
    this.st = prepareCollectionStatements(c.db);
  }

  /**
   * Opens a collection of `device`'s cashbox. `denominations` are the notes the device takes
   * (fen): counts may be entered for those and for any the journal credited, and no other.
   * Refused while another collection is open.
   */
  start(input: { device: string; technician: string; denominations: readonly number[] }): CollectionRecord {
    const device = check.text('device', input?.device, 64);
    const who = check.text('technician', input.technician, 64);
    const accepted = check
      .array('denominations', input.denominations)
      .map((d, i) => check.denomination(`denominations[${i}]`, d));
    if (accepted.length > MAX_COUNT_ENTRIES) {
      throw new KioskError(ErrorCode.JournalBadInput, `denominations lists more than ${MAX_COUNT_ENTRIES}`, {
        details: { field: 'denominations' },
      });
    }
    return this.c.write('startCollection', () => {
      const open = this.st.open.get() as CollectionRow | undefined;
      if (open) {
        throw conflict(
          `collection ${open.collection_id} of ${open.device} is still open (${open.state}); end it first`,
          { collectionId: open.collection_id, state: open.state },
        );
      }
      const cycle = this.cashbox.cycleInTransaction(device);
      const id = this.c.newId();
      const now = this.c.now();
      this.st.insert.run(id, device, cycle, this.c.currency, who, now);
      for (const d of accepted) this.st.upsertExpected.run(id, d, 0);
      this.refreshExpected(id, device);
      const record = this.recordInTransaction(id);
      this.audit.appendInTransaction(who, 'collection.started', {
        collectionId: id,
        device,
        cycle,
        expected: record.denominations.map((d) => ({ denomination: d.denomination, expected: d.expected })),
        expectedValue: record.expectedValue,
      });
      return record;
    });
  }

  /**
   * The technician's count of the removed cashbox. Denominations not listed hold none; a
   * recount before the end replaces the previous one. A discrepancy marks the counters
   * inaccurate at once, naming the collection.
   */
  enterCounts(input: {
    collectionId: string;
    counts: ReadonlyArray<{ denomination: number; count: number }>;
    technician: string;
  }): CollectionRecord {
    const id = collectionIdOf(input?.collectionId);
    const who = check.text('technician', input.technician, 64);
    const list = check.array('counts', input.counts);
    if (list.length > MAX_COUNT_ENTRIES) {
      throw new KioskError(ErrorCode.JournalBadInput, `counts lists more than ${MAX_COUNT_ENTRIES} entries`, {
        details: { field: 'counts' },
      });
    }
    const seen = new Set<number>();
    const entries = list.map((entry, i) => {
      const denomination = check.denomination(`counts[${i}].denomination`, entry?.denomination);
      const count = check.integer(`counts[${i}].count`, entry.count, 0);
      if (seen.has(denomination)) {
        throw new KioskError(ErrorCode.JournalBadInput, `counts lists denomination ${denomination} twice`, {
          details: { field: `counts[${i}].denomination`, denomination },
        });
      }
      seen.add(denomination);
      return { denomination, count };
    });
    return this.c.write('enterCollectionCounts', () => {
      const row = this.requireRow(id);
      requireState(row, ['started', 'counted'], 'enter counts');
      this.refreshExpected(id, row.device);
      const known = new Set((this.st.counts.all(id) as CountRow[]).map((r) => r.denomination));
      const unknown = entries.find((e) => !known.has(e.denomination));
      if (unknown) {
        throw new KioskError(
          ErrorCode.JournalBadInput,
          `counts names denomination ${unknown.denomination}, which cashbox ${row.device} does not take (takes ${[
            ...known,
          ]
            .filter((d) => d > 0)
            .sort((a, b) => a - b)
            .join(', ')})`,
          { details: { field: 'counts', denomination: unknown.denomination } },
        );
      }
      const counted = new Map(entries.map((e) => [e.denomination, e.count]));
      for (const d of known) this.st.setCounted.run(counted.get(d) ?? 0, id, d);
      this.st.markCounted.run(who, this.c.now(), id);
      const record = this.recordInTransaction(id);
      if (record.discrepancy) {
        this.cashbox.changeAccuracyInTransaction(row.device, 'inaccurate', discrepancyReason(record));
      }
      this.audit.appendInTransaction(who, 'collection.counted', {
        collectionId: id,
        device: row.device,
        denominations: record.denominations,
        expectedValue: record.expectedValue,
        countedValue: record.countedValue,
        differenceValue: record.differenceValue,
        recount: row.state === 'counted',
      });
      return record;
    });
  }

  /**
   * Finalizes the collection: the record, its outbox row (next seq, shared with payments) and
   * the cashbox's new cycle at zero commit together. Expected is taken once more here, in the
   * same transaction that closes the cycle, so the record holds exactly the notes the cycle did.
   */
  end(input: { collectionId: string; technician: string }): CollectionRecord {
    const id = collectionIdOf(input?.collectionId);
    const who = check.text('technician', input.technician, 64);
    return this.c.write('endCollection', () => {
      const row = this.requireRow(id);
      requireState(row, ['counted'], 'end');
      this.refreshExpected(id, row.device);
      // A denomination credited after the count (none should be: the acceptor is disabled)
      // was not counted; it stays null → counted as 0 and shows as a discrepancy.
      for (const r of this.st.counts.all(id) as CountRow[]) {
        if (r.counted === null) this.st.setCounted.run(0, id, r.denomination);
      }
      const now = this.c.now();
      const seq = (this.c.st.nextSeq.get() as { seq: number }).seq;
      this.st.markEnded.run(who, now, seq, id);
      const record = this.recordInTransaction(id);
      this.st.insertOutbox.run(seq, id, JSON.stringify(collectionPayload(this.c.kioskId, record)));
      const box = this.c.st.cashbox.get(row.device) as CashboxRow;
      this.c.st.clearCounts.run(row.device);
      this.c.st.startCycle.run(now, row.device);
      if (record.discrepancy) {
        this.cashbox.changeAccuracyInTransaction(row.device, 'inaccurate', discrepancyReason(record));
      } else {
        this.cashbox.changeAccuracyInTransaction(
          row.device,
          'accurate',
          `collection ${id}: counted as the journal expected`,
        );
      }
      this.audit.appendInTransaction(who, 'collection.ended', {
        collectionId: id,
        device: row.device,
        seq,
        cycle: row.cycle,
        nextCycle: box.cycle + 1,
        expectedValue: record.expectedValue,
        countedValue: record.countedValue,
        differenceValue: record.differenceValue,
        discrepancy: record.discrepancy,
      });
      return record;
    });
  }

  get(collectionId: string): CollectionRecord {
    const id = collectionIdOf(collectionId);
    return this.c.readSnapshot('collection', () => {
      this.requireRow(id);
      return this.recordInTransaction(id);
    });
  }

  /** The collection not yet ended, or null; survives restarts (it is in the journal). */
  open(): CollectionRecord | null {
    return this.c.readSnapshot('openCollection', () => {
      const row = this.st.open.get() as CollectionRow | undefined;
      return row ? this.recordInTransaction(row.collection_id) : null;
    });
  }

  /** Newest first. */
  recent(limit: number): CollectionRecord[] {
    const n = check.integer('limit', limit, 1, MAX_RECENT);
    return this.c.readSnapshot('recentCollections', () =>
      (this.st.recent.all(n) as CollectionRow[]).map((r) => this.recordInTransaction(r.collection_id)),
    );
  }

  /** Sets expected to the notes credited in the collection's cycle (still the box's current one). */
  private refreshExpected(id: string, device: string): void {
    for (const r of this.c.st.creditedInCycle.all(device) as { denomination: number; notes: number }[]) {
      this.st.upsertExpected.run(id, r.denomination, r.notes);
    }
  }

  private requireRow(id: string): CollectionRow {
    const row = this.st.get.get(id) as CollectionRow | undefined;
    if (!row) throw notFound('collectionId', id);
    return row;
  }

  private recordInTransaction(id: string): CollectionRecord {
    const row = this.requireRow(id);
    const counts = this.st.counts.all(id) as CountRow[];
    const counted = row.state !== 'started';
    const denominations = counts.map((r) => ({
      denomination: r.denomination,
      expected: r.expected,
      counted: counted ? (r.counted ?? 0) : null,
      difference: counted ? (r.counted ?? 0) - r.expected : null,
    }));
    const expectedValue = denominations.reduce((sum, d) => sum + d.denomination * d.expected, 0);
    const countedValue = counted
      ? denominations.reduce((sum, d) => sum + d.denomination * (d.counted ?? 0), 0)
      : null;
    return {
      collectionId: row.collection_id,
      device: row.device,
      cycle: row.cycle,
      currency: row.currency,
      state: row.state,
      startedBy: row.started_by,
      startedAt: row.started_at,
      countedBy: row.counted_by,
      countedAt: row.counted_at,
      endedBy: row.ended_by,
      endedAt: row.ended_at,
      seq: row.seq,
      denominations,
      expectedValue,
      countedValue,
      differenceValue: countedValue === null ? null : countedValue - expectedValue,
      discrepancy: counted ? denominations.some((d) => d.difference !== 0) : null,
    };
  }
}

function collectionIdOf(value: unknown): string {
  const id = check.text('collectionId', value, 64);
  if (!isUlid(id)) {
    throw new KioskError(
      ErrorCode.JournalBadInput,
      `collectionId must be a ULID, got ${JSON.stringify(id)}`,
      {
        details: { field: 'collectionId' },
      },
    );
  }
  return id;
}

function requireState(row: CollectionRow, allowed: readonly CollectionState[], step: string): void {
  if (allowed.includes(row.state)) return;
  throw conflict(
    `collection ${row.collection_id} is ${row.state}; ${step} needs it ${allowed.join(' or ')}`,
    { collectionId: row.collection_id, state: row.state, step },
  );
}

function discrepancyReason(record: CollectionRecord): string {
  const off = record.denominations
    .filter((d) => d.difference !== 0)
    .map((d) => `${d.denomination}: ${d.difference! > 0 ? '+' : ''}${d.difference}`)
    .join(', ');
  return `collection ${record.collectionId}: counted differs from the journal (${off})`;
}

/** The fleet payload, frozen into the outbox when the collection ends (like a payment's). */
export function collectionPayload(kioskId: string, record: CollectionRecord): CollectionPayload {
  if (
    record.seq === null ||
    record.endedAt === null ||
    record.endedBy === null ||
    record.countedBy === null
  ) {
    throw new KioskError(ErrorCode.JournalInvariant, `collection ${record.collectionId} is not ended`, {
      details: { collectionId: record.collectionId },
    });
  }
  return {
    v: 1,
    kioskId,
    ts: record.endedAt,
    collectionId: record.collectionId,
    seq: record.seq,
    technician: record.countedBy,
    startedBy: record.startedBy,
    endedBy: record.endedBy,
    device: record.device,
    startedAt: record.startedAt,
    endedAt: record.endedAt,
    currency: record.currency,
    denominations: record.denominations.map((d) => ({
      denomination: d.denomination,
      expected: d.expected,
      counted: d.counted ?? 0,
      difference: d.difference ?? 0,
    })),
    expectedValue: record.expectedValue,
    countedValue: record.countedValue ?? 0,
    difference: record.differenceValue ?? 0,
    discrepancy: record.discrepancy === true,
  };
}
