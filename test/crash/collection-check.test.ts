import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Collection, LedgerEntry } from '../../simulators/id003/cashbox-ledger.js';
import { Journal } from '../../src/journal/journal.js';
import { silentLogger } from '../../src/log.js';
import { type Count, checkCollections } from './collection-check.js';
import type { Violation } from './conservation-check.js';

const DEVICE = 'cashAcceptor';
const TAKES = [100, 500, 1000, 2000, 5000, 10_000];

/**
 * The crash harness's collection check on hand-built journals: a clean history of two ended
 * collections (one exact, one with a discrepancy) and a cycle under way passes; each breach
 * planted by hand — in the journal, the simulator's boxes or the technician's counts — is
 * reported under its rule.
 */
describe('crash harness collection check', () => {
  let dir: string;
  let path: string;
  let ledger: LedgerEntry[];
  let boxes: Collection[];
  let counted: Map<string, Count[]>;
  let ids: { exact: string; short: string };

  function stackAndCredit(journal: Journal, txId: string, denomination: number): void {
    const noteId = journal.notes.recordEscrowIntent({
      txId,
      device: DEVICE,
      escrowCode: '0x64',
      denomination,
    });
    journal.notes.commitCredit({ noteId });
    ledger.push({
      seq: ledger.length + 1,
      noteId: `note-${ledger.length + 1}`,
      escrowCode: 0x64,
      denomination,
      at: ledger.length,
      via: 'vendValid',
    });
  }

  function topUp(journal: Journal, notes: number[]): void {
    const tx = journal.transactions.open({ account: '13800138000', limits: { maxAmount: 100_000 } });
    for (const d of notes) stackAndCredit(journal, tx.txId, d);
    journal.payments.commit({ txId: tx.txId, kind: 'complete', receipt: false });
  }

  /** The simulator empties the box holding the ledger's notes since the last emptying. */
  function emptyBox(): void {
    const since = boxes.reduce((n, b) => n + b.notes, 0);
    const counts: Record<string, number> = {};
    for (const e of ledger.slice(since))
      counts[String(e.denomination)] = (counts[String(e.denomination)] ?? 0) + 1;
    const notes = ledger.length - since;
    boxes.push({ seq: boxes.length + 1, at: 0, counts, notes, total: 0 });
  }

  function collect(journal: Journal, counts: Count[]): string {
    const { collectionId } = journal.collections.start({
      device: DEVICE,
      technician: 't-1',
      denominations: TAKES,
    });
    emptyBox();
    counted.set(collectionId, counts);
    journal.collections.enterCounts({ collectionId, counts, technician: 't-1' });
    journal.collections.end({ collectionId, technician: 't-1' });
    return collectionId;
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kioskd-collection-check-'));
    path = join(dir, 'journal.sqlite');
    ledger = [];
    boxes = [];
    counted = new Map();
    const journal = Journal.open({ path, kioskId: 'check-1', logger: silentLogger() });
    topUp(journal, [2000, 500, 500]);
    const exact = collect(journal, [
      { denomination: 2000, count: 1 },
      { denomination: 500, count: 2 },
    ]);
    topUp(journal, [1000, 100]);
    // The technician missed the 1-yuan note: a discrepancy of −1 × 100.
    const short = collect(journal, [{ denomination: 1000, count: 1 }]);
    topUp(journal, [5000]);
    journal.close();
    ids = { exact, short };
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function tamper(sql: string, ...params: unknown[]): void {
    const db = new Database(path);
    db.prepare(sql).run(...params);
    db.close();
  }

  const check = (quiescent = true) =>
    checkCollections(path, { device: DEVICE, ledger, emptiedBoxes: boxes, counted, quiescent });
  const rules = (violations: Violation[]) => [...new Set(violations.map((v) => v.rule))].sort();

  it('passes two ended collections, one with a discrepancy, and a cycle under way', () => {
    const result = check();
    expect(result.violations).toEqual([]);
    expect(result.figures).toEqual({
      collectionsEnded: 2,
      discrepancies: 1,
      unknownValueCollections: 0,
      openCollections: 0,
      collectedNotes: 5,
      cycleNotes: 1,
    });
    const db = new Database(path, { readonly: true });
    expect(db.prepare('SELECT accuracy FROM cashboxes').get()).toEqual({ accuracy: 'inaccurate' });
    db.close();
  });

  it('a box holding a note credited without its value: a true count ends as a discrepancy, and passes', () => {
    const journal = Journal.open({ path, kioskId: 'check-1', logger: silentLogger() });
    journal.orphans.record({ device: DEVICE, reason: 'value not reported', denomination: null });
    ledger.push({ ...(ledger.at(-1) as LedgerEntry), seq: ledger.length + 1, noteId: 'unknown-value' });
    collect(journal, [{ denomination: 5000, count: 2 }]);
    journal.close();
    const result = check();
    expect(result.violations).toEqual([]);
    expect(result.figures).toMatchObject({
      collectionsEnded: 3,
      discrepancies: 2,
      unknownValueCollections: 1,
    });
  });

  it('a note stacked that no collection and no counter accounts for', () => {
    ledger.push({ ...(ledger[0] as LedgerEntry), seq: ledger.length + 1, noteId: 'extra' });
    expect(rules(check().violations)).toEqual(['collection.notes']);
  });

  it('a note counted in two collections (the second one expects a note of the first cycle)', () => {
    tamper(
      'UPDATE collection_counts SET expected = expected + 1 WHERE collection_id = ? AND denomination = 2000',
      ids.short,
    );
    const violations = check().violations;
    expect(rules(violations)).toEqual([
      'collection.boxes',
      'collection.difference',
      'collection.notes',
      'collection.payload',
    ]);
    expect(violations.find((v) => v.rule === 'collection.boxes')?.message).toContain(ids.short);
  });

  it('a collection ended but the simulator never emptied its box', () => {
    boxes.pop();
    expect(rules(check().violations)).toEqual(['collection.boxes']);
  });

  it('a box emptied whose collection holds other notes than the box', () => {
    const first = boxes[0] as Collection;
    boxes[0] = { ...first, counts: { '2000': 1, '500': 1, '100': 1 } };
    expect(rules(check().violations)).toEqual(['collection.boxes']);
  });

  it('an open collection: fine mid-run, a violation once the technician finished', () => {
    const journal = Journal.open({ path, kioskId: 'check-1', logger: silentLogger() });
    journal.collections.start({ device: DEVICE, technician: 't-1', denominations: TAKES });
    journal.close();
    expect(check(false).violations).toEqual([]);
    expect(rules(check(true).violations)).toEqual(['collection.open']);
  });

  it('an ended collection missing from the outbox', () => {
    tamper('DELETE FROM outbox WHERE collection_id = ?', ids.exact);
    expect(rules(check().violations)).toEqual(['collection.outbox']);
  });

  it('a payload whose difference is not counted − expected', () => {
    tamper(
      "UPDATE outbox SET payload = json_set(payload, '$.difference', 0) WHERE collection_id = ?",
      ids.short,
    );
    expect(rules(check().violations)).toEqual(['collection.difference']);
  });

  it('a denomination whose payload difference is wrong', () => {
    tamper(
      "UPDATE outbox SET payload = json_set(payload, '$.denominations[0].difference', 7) WHERE collection_id = ?",
      ids.exact,
    );
    expect(rules(check().violations)).toEqual(['collection.difference']);
  });

  it('counts in the journal other than the technician entered', () => {
    counted.set(ids.exact, [{ denomination: 2000, count: 2 }]);
    expect(rules(check().violations)).toEqual(['collection.counted']);
  });

  it('counters left accurate after a discrepancy', () => {
    tamper("UPDATE cashboxes SET accuracy = 'accurate'");
    const violations = check().violations;
    expect(rules(violations)).toEqual(['collection.accuracy']);
    expect(violations.map((v) => v.message).join('\n')).toContain(ids.short);
  });

  it('counters not started again from zero (the cycle not advanced)', () => {
    tamper('UPDATE cashboxes SET cycle = cycle - 1');
    expect(rules(check().violations)).toEqual(['collection.counters', 'collection.cycles']);
  });

  it('counters off from what the current cycle credited', () => {
    tamper('UPDATE cashbox_counts SET count = count + 1');
    expect(rules(check().violations)).toEqual(['collection.counters', 'collection.notes']);
  });

  it('opens the journal read-only and fails loudly on a missing one', () => {
    const count = () => {
      const db = new Database(path, { readonly: true });
      const n = (db.prepare('SELECT COUNT(*) AS n FROM audit_log').get() as { n: number }).n;
      db.close();
      return n;
    };
    const before = count();
    check();
    expect(count()).toBe(before);
    expect(() =>
      checkCollections(join(dir, 'missing.sqlite'), {
        device: DEVICE,
        ledger,
        emptiedBoxes: boxes,
        counted,
        quiescent: true,
      }),
    ).toThrow();
  });
});
