import Database from 'better-sqlite3';
import type { Collection, LedgerEntry } from '../../simulators/id003/cashbox-ledger.js';
import type { Violation } from './conservation-check.js';

/**
 * Invariant 1 across cash collections, checked from outside the daemon against the simulator's
 * ground truth (issue 14: a SIGKILL at any point of a collection leaves the counters and the
 * collection records consistent):
 *
 * - every note stacked into any cashbox = the notes of the ended collections' expected + the
 *   current cycle's counters;
 * - the i-th cashbox the simulator emptied holds exactly what the i-th ended collection expected
 *   (its cycle's credited notes), and each closed cycle has exactly one ended collection;
 * - every ended collection is in the outbox once, its frozen payload as the record says, with
 *   difference = counted − expected per denomination and in value;
 * - counted is what the technician entered;
 * - the counters' accuracy is what the last collection that set it said (inaccurate after a
 *   discrepancy, accurate after an exact count).
 *
 * The journal is opened read-only, like the conservation check.
 */

export type Count = { denomination: number; count: number };

export interface CollectionCheckInput {
  /** The journal's name of the collected acceptor. */
  device: string;
  /** Every note the simulator stacked, into any cashbox. */
  ledger: readonly LedgerEntry[];
  /** The boxes the simulator had taken out and emptied, oldest first. */
  emptiedBoxes: readonly Collection[];
  /** What the technician entered per collection id (denominations not listed: none counted). */
  counted: ReadonlyMap<string, readonly Count[]>;
  /** Recovery settled and the technician finished: no collection may be open. */
  quiescent: boolean;
}

export interface CollectionFigures {
  collectionsEnded: number;
  discrepancies: number;
  /**
   * Ended collections that expected notes of unknown value (denomination 0): a true count of the
   * box cannot match those, so they end as discrepancies however well the technician counted.
   */
  unknownValueCollections: number;
  openCollections: number;
  /** Notes in the ended collections' expected. */
  collectedNotes: number;
  /** Notes on the current cycle's counters. */
  cycleNotes: number;
}

interface CollectionRow {
  collection_id: string;
  cycle: number;
  state: 'started' | 'counted' | 'ended';
  seq: number | null;
}

interface CountRow {
  denomination: number;
  expected: number;
  counted: number | null;
}

interface PayloadDenomination {
  denomination: number;
  expected: number;
  counted: number;
  difference: number;
}

function sumOf(map: ReadonlyMap<number, number>): number {
  let n = 0;
  for (const v of map.values()) n += v;
  return n;
}

function describe(map: ReadonlyMap<number, number>): string {
  const parts = [...map].filter(([, n]) => n !== 0).sort((a, b) => a[0] - b[0]);
  return parts.length === 0 ? 'none' : parts.map(([d, n]) => `${d}×${n}`).join(', ');
}

/** Per-denomination equality, or, when the journal holds notes of unknown value (0), totals only. */
function sameNotes(box: ReadonlyMap<number, number>, journal: ReadonlyMap<number, number>): boolean {
  if ((journal.get(0) ?? 0) > 0) {
    if (sumOf(box) !== sumOf(journal)) return false;
    for (const [d, n] of journal) if (d !== 0 && n > (box.get(d) ?? 0)) return false;
    return true;
  }
  for (const d of new Set([...box.keys(), ...journal.keys()])) {
    if ((box.get(d) ?? 0) !== (journal.get(d) ?? 0)) return false;
  }
  return true;
}

export function checkCollections(
  journalPath: string,
  input: CollectionCheckInput,
): { violations: Violation[]; figures: CollectionFigures } {
  const db = new Database(journalPath, { readonly: true, fileMustExist: true });
  try {
    return db.transaction(() => checkOpen(db, input)).deferred();
  } finally {
    db.close();
  }
}

function checkOpen(
  db: Database.Database,
  input: CollectionCheckInput,
): { violations: Violation[]; figures: CollectionFigures } {
  const violations: Violation[] = [];
  const fail = (rule: string, message: string) => violations.push({ rule: `collection.${rule}`, message });
  const { device } = input;

  const collections = db
    .prepare('SELECT collection_id, cycle, state, seq FROM collections WHERE device = ? ORDER BY cycle')
    .all(device) as CollectionRow[];
  const ended = collections.filter((c) => c.state === 'ended');
  const open = collections.filter((c) => c.state !== 'ended');
  const countsOf = (id: string) =>
    db
      .prepare('SELECT denomination, expected, counted FROM collection_counts WHERE collection_id = ?')
      .all(id) as CountRow[];
  const box = db.prepare('SELECT cycle, accuracy FROM cashboxes WHERE device = ?').get(device) as
    | { cycle: number; accuracy: string }
    | undefined;
  const cycle = box?.cycle ?? 1;
  const counters = new Map(
    (
      db.prepare('SELECT denomination, count FROM cashbox_counts WHERE device = ?').all(device) as Array<{
        denomination: number;
        count: number;
      }>
    ).map((r) => [r.denomination, r.count]),
  );
  const creditedIn = (c: number) =>
    new Map(
      (
        db
          .prepare(
            `SELECT COALESCE(denomination, 0) AS denomination, COUNT(*) AS notes FROM notes
             WHERE device = ? AND state = 'credited' AND cashbox_cycle = ? GROUP BY 1`,
          )
          .all(device, c) as Array<{ denomination: number; notes: number }>
      ).map((r) => [r.denomination, r.notes]),
    );

  if (input.quiescent) {
    for (const c of open)
      fail('open', `collection ${c.collection_id} is still ${c.state} after the technician finished`);
  }
  if (open.length > 1) fail('open', `${open.length} collections are open at once`);

  // Each closed cycle has exactly one ended collection, and the box is in the cycle after them.
  ended.forEach((c, i) => {
    if (c.cycle !== i + 1) {
      fail(
        'cycles',
        `the ended collections close cycles ${ended.map((e) => e.cycle).join(', ')}, not 1..${ended.length}`,
      );
    }
  });
  if (cycle !== ended.length + 1) {
    fail('cycles', `the cashbox is in cycle ${cycle} after ${ended.length} ended collections`);
  }

  // All the notes stacked = the ended collections' expected + the current cycle's counters.
  const stacked = new Map<number, number>();
  for (const e of input.ledger) stacked.set(e.denomination, (stacked.get(e.denomination) ?? 0) + 1);
  const accounted = new Map(counters);
  let collectedNotes = 0;
  let discrepancies = 0;
  let unknownValueCollections = 0;
  const expectedOf = new Map<string, Map<number, number>>();
  for (const c of ended) {
    const rows = countsOf(c.collection_id);
    const expected = new Map(rows.filter((r) => r.expected > 0).map((r) => [r.denomination, r.expected]));
    expectedOf.set(c.collection_id, expected);
    for (const [d, n] of expected) accounted.set(d, (accounted.get(d) ?? 0) + n);
    collectedNotes += sumOf(expected);
    if ((expected.get(0) ?? 0) > 0) unknownValueCollections++;
  }
  if (!sameNotes(stacked, accounted)) {
    fail(
      'notes',
      `the cashboxes took ${input.ledger.length} notes (${describe(stacked)}) but the ended collections expected ${collectedNotes} and the counters hold ${sumOf(counters)} (${describe(accounted)} together)`,
    );
  }
  const cycleCredited = creditedIn(cycle);
  if (!sameNotes(cycleCredited, counters) || sumOf(cycleCredited) !== sumOf(counters)) {
    fail(
      'counters',
      `the counters hold ${describe(counters)} but cycle ${cycle} credited ${describe(cycleCredited)}`,
    );
  }

  // Box i, as the simulator emptied it, is what ended collection i expected: nothing in two.
  if (input.emptiedBoxes.length !== ended.length) {
    fail(
      'boxes',
      `the simulator emptied ${input.emptiedBoxes.length} cashboxes but ${ended.length} collections ended`,
    );
  }
  input.emptiedBoxes.forEach((emptied, i) => {
    const c = ended[i];
    if (c === undefined) return;
    const inBox = new Map(Object.entries(emptied.counts).map(([d, n]) => [Number(d), n]));
    const expected = expectedOf.get(c.collection_id) ?? new Map<number, number>();
    if (!sameNotes(inBox, expected)) {
      fail(
        'boxes',
        `cashbox ${i + 1} held ${describe(inBox)} but collection ${c.collection_id} expected ${describe(expected)}`,
      );
    }
    const credited = creditedIn(c.cycle);
    if (!sameNotes(credited, expected) || sumOf(credited) !== sumOf(expected)) {
      fail(
        'boxes',
        `collection ${c.collection_id} expected ${describe(expected)} but its cycle ${c.cycle} credited ${describe(credited)}`,
      );
    }
  });

  // Each ended record once in the outbox, its payload the record; counted as entered.
  const outbox = db
    .prepare('SELECT seq, collection_id, payload FROM outbox WHERE collection_id IS NOT NULL')
    .all() as Array<{ seq: number; collection_id: string; payload: string }>;
  for (const c of collections) {
    const rows = outbox.filter((o) => o.collection_id === c.collection_id);
    if (c.state !== 'ended') {
      if (rows.length > 0)
        fail('outbox', `collection ${c.collection_id} is ${c.state} but already in the outbox`);
      continue;
    }
    const counts = countsOf(c.collection_id);
    const row = rows[0];
    if (rows.length !== 1 || row === undefined) {
      fail('outbox', `ended collection ${c.collection_id} is in the outbox ${rows.length} times`);
    } else {
      const payload = JSON.parse(row.payload) as {
        collectionId: string;
        seq: number;
        denominations: PayloadDenomination[];
        expectedValue: number;
        countedValue: number;
        difference: number;
        discrepancy: boolean;
      };
      if (payload.collectionId !== c.collection_id || payload.seq !== c.seq || row.seq !== c.seq) {
        fail(
          'outbox',
          `the outbox row of collection ${c.collection_id} (seq ${c.seq}) names ${payload.collectionId}, seq ${payload.seq}/${row.seq}`,
        );
      }
      for (const d of payload.denominations) {
        const r = counts.find((x) => x.denomination === d.denomination);
        if (r === undefined || r.expected !== d.expected || r.counted !== d.counted) {
          fail(
            'payload',
            `collection ${c.collection_id}'s payload says ${d.denomination}: ${d.counted} counted of ${d.expected}, the journal ${r?.counted} of ${r?.expected}`,
          );
        }
        if (d.difference !== d.counted - d.expected) {
          fail(
            'difference',
            `collection ${c.collection_id}, ${d.denomination}: difference ${d.difference}, counted − expected = ${d.counted - d.expected}`,
          );
        }
      }
      if (payload.denominations.length !== counts.length) {
        fail(
          'payload',
          `collection ${c.collection_id}'s payload lists ${payload.denominations.length} denominations, the journal ${counts.length}`,
        );
      }
      const expectedValue = counts.reduce((s, r) => s + r.denomination * r.expected, 0);
      const countedValue = counts.reduce((s, r) => s + r.denomination * (r.counted ?? 0), 0);
      if (
        payload.expectedValue !== expectedValue ||
        payload.countedValue !== countedValue ||
        payload.difference !== countedValue - expectedValue
      ) {
        fail(
          'difference',
          `collection ${c.collection_id}: payload ${payload.countedValue} − ${payload.expectedValue} = ${payload.difference}, the journal's counts ${countedValue} − ${expectedValue}`,
        );
      }
      const discrepancy = counts.some((r) => r.counted !== r.expected);
      if (payload.discrepancy !== discrepancy) {
        fail(
          'difference',
          `collection ${c.collection_id}'s payload says discrepancy ${payload.discrepancy}, its counts say ${discrepancy}`,
        );
      }
      if (discrepancy) discrepancies++;
    }
    for (const r of counts) {
      if (r.counted === null)
        fail('counted', `ended collection ${c.collection_id} has no count for ${r.denomination}`);
    }
  }
  for (const c of collections.filter((x) => x.state !== 'started')) {
    const entered = input.counted.get(c.collection_id);
    if (entered === undefined) {
      fail(
        'counted',
        `collection ${c.collection_id} is ${c.state} but the technician entered no counts for it`,
      );
      continue;
    }
    const wanted = new Map(entered.map((e) => [e.denomination, e.count]));
    const counts = countsOf(c.collection_id);
    const journal = new Map(counts.map((r) => [r.denomination, r.counted ?? 0]));
    if (
      [...new Set([...wanted.keys(), ...journal.keys()])].some(
        (d) => (wanted.get(d) ?? 0) !== (journal.get(d) ?? 0),
      )
    ) {
      fail(
        'counted',
        `collection ${c.collection_id} holds counts ${describe(journal)}, the technician entered ${describe(wanted)}`,
      );
    }
  }

  // Accuracy: the table says what its last audit entry says; each ended collection's last word
  // on accuracy is its discrepancy; and if a collection spoke last, the counters say so now.
  const accuracyAudits = (
    db.prepare("SELECT details FROM audit_log WHERE action = 'cashbox.accuracy' ORDER BY id").all() as Array<{
      details: string;
    }>
  )
    .map((r) => JSON.parse(r.details) as { device: string; after: string; reason: string })
    .filter((a) => a.device === device);
  const last = accuracyAudits.at(-1);
  if (box !== undefined && last !== undefined && last.after !== box.accuracy) {
    fail(
      'accuracy',
      `the counters are ${box.accuracy} but the last accuracy change made them ${last.after} (${last.reason})`,
    );
  }
  const want = (id: string) =>
    countsOf(id).some((r) => r.counted !== null && r.counted !== r.expected) ? 'inaccurate' : 'accurate';
  for (const c of collections.filter((x) => x.state !== 'started')) {
    const said = accuracyAudits.filter((a) => a.reason.startsWith(`collection ${c.collection_id}:`)).at(-1);
    const discrepancy = want(c.collection_id) === 'inaccurate';
    // An exact count leaves the accuracy alone until the end makes the counters accurate.
    if (said === undefined) {
      if (c.state === 'ended' || discrepancy) {
        fail('accuracy', `collection ${c.collection_id} (${c.state}) never set the counters' accuracy`);
      }
      continue;
    }
    if (said.after !== want(c.collection_id)) {
      fail(
        'accuracy',
        `collection ${c.collection_id} left the counters ${said.after}, its counts say ${want(c.collection_id)}`,
      );
    }
  }
  const lastCollection = last?.reason.match(/^collection ([0-9A-Z]{26}):/)?.[1];
  if (box !== undefined && lastCollection !== undefined && box.accuracy !== want(lastCollection)) {
    fail(
      'accuracy',
      `the counters are ${box.accuracy} but collection ${lastCollection}, the last to set them, says ${want(lastCollection)}`,
    );
  }

  return {
    violations,
    figures: {
      collectionsEnded: ended.length,
      discrepancies,
      unknownValueCollections,
      openCollections: open.length,
      collectedNotes,
      cycleNotes: sumOf(counters),
    },
  };
}
