import { unlinkSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode, isKioskError } from '../../core/errors.js';
import { LEDGER_SCHEMA_V1, LEDGER_SCHEMA_VERSION, LedgerStore } from '../../src/fleet/ledger-store.js';
import { paymentPayload, scratchDir } from './fleet-test-kit.js';

let dir: ReturnType<typeof scratchDir>;
let path: string;
const at = '2026-11-25T03:00:00.000Z';
const incoming = (p: ReturnType<typeof paymentPayload>) => ({ payment: p, raw: JSON.stringify(p) });

beforeEach(() => {
  dir = scratchDir('ledger-store');
  path = join(dir.path, 'ledger.sqlite');
});
afterEach(() => dir.remove());

describe('ledger store', () => {
  it('opens in WAL mode', () => {
    LedgerStore.open(path).close();
    const db = new Database(path);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(LEDGER_SCHEMA_VERSION);
    db.close();
  });

  it('migrates a version 1 file: every payment kept as it was, then stored, deduplicated and counted as before', () => {
    const v1 = new Database(path);
    v1.pragma('journal_mode = WAL');
    v1.exec(LEDGER_SCHEMA_V1);
    v1.pragma('user_version = 1');
    v1.close();
    // What a version 1 ledger stored: written through the store of this build would be v2, so
    // the rows go in by hand, as that build's insert wrote them.
    const rows = [3, 1, 2].map((seq) => paymentPayload('k-1', seq));
    const raw = new Database(path);
    const insert = raw.prepare(
      `INSERT INTO ledger_payments (kiosk_id, payment_id, seq, account, amount, currency, kind, tx_id, receipt, notes, ts, payload, received_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const p of rows) {
      insert.run(
        p.kioskId,
        p.paymentId,
        p.seq,
        p.account,
        p.amount,
        p.currency,
        p.kind,
        p.txId,
        1,
        JSON.stringify(p.notes),
        p.ts,
        JSON.stringify(p),
        at,
      );
    }
    raw
      .prepare('INSERT INTO ledger_kiosks (kiosk_id, contiguous_through, max_seq) VALUES (?, 3, 3)')
      .run('k-1');
    raw.close();

    const store = LedgerStore.open(path);
    expect(store.payments('k-1').map((p) => [p.seq, p.paymentId, p.amount, p.notes])).toEqual(
      [...rows].sort((a, b) => a.seq - b.seq).map((p) => [p.seq, p.paymentId, p.amount, p.notes]),
    );
    expect(store.storeBatch([incoming(rows[1]!), incoming(paymentPayload('k-1', 4))], at)).toMatchObject({
      stored: 1,
      duplicates: 1,
    });
    expect(store.progress('k-1')).toEqual({ contiguousThrough: 4, maxSeq: 4 });
    store.close();

    const after = new Database(path, { readonly: true });
    expect(after.pragma('user_version', { simple: true })).toBe(LEDGER_SCHEMA_VERSION);
    const sql = after.prepare("SELECT sql FROM sqlite_master WHERE name = 'ledger_payments'").pluck().get();
    expect(sql).not.toMatch(/WITHOUT ROWID/);
    expect(
      after.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'ledger_payments_v2'").pluck().get(),
    ).toBe(0);
    expect(after.prepare('SELECT count(*) FROM ledger_payments').pluck().get()).toBe(4);
    after.close();
  });

  it('syncs committed batches off the event loop, and says so when it cannot', async () => {
    const store = LedgerStore.open(path);
    store.storeBatch([incoming(paymentPayload('k-1', 1))], at);
    await expect(store.syncCommitted()).resolves.toBeUndefined();
    await expect(store.syncCommitted()).resolves.toBeUndefined();
    store.close();
    // Closed cleanly, SQLite has checkpointed and removed the WAL: nothing to sync is an error.
    await expect(store.syncCommitted()).rejects.toThrow(/syncing the WAL/);
  });

  it('never vouches for a WAL that is no longer the file at the WAL path', async () => {
    const store = LedgerStore.open(path);
    store.storeBatch([incoming(paymentPayload('k-1', 1))], at);
    await expect(store.syncCommitted()).resolves.toBeUndefined();
    // The descriptor kept from the last sync still reaches the unlinked file; the sync must not.
    unlinkSync(`${path}-wal`);
    await expect(store.syncCommitted()).rejects.toThrow(/syncing the WAL/);
    store.close();
  });

  it('works out contiguity and gaps from the shared file, whichever instance stored which seq', () => {
    const a = LedgerStore.open(path);
    const b = LedgerStore.open(path);
    const [p1, p2, p3, p5] = [1, 2, 3, 5].map((seq) => paymentPayload('k-7', seq));
    expect(a.storeBatch([incoming(p1!), incoming(p3!)], at).byKiosk.get('k-7')?.contiguousThrough).toBe(1);
    expect(b.gaps()).toEqual([{ kioskId: 'k-7', fromSeq: 2, toSeq: 2 }]);
    expect(b.storeBatch([incoming(p5!)], at).byKiosk.get('k-7')?.contiguousThrough).toBe(1);
    expect(a.gaps()).toEqual([
      { kioskId: 'k-7', fromSeq: 2, toSeq: 2 },
      { kioskId: 'k-7', fromSeq: 4, toSeq: 4 },
    ]);
    const outcome = b.storeBatch([incoming(p2!)], at);
    expect(outcome.byKiosk.get('k-7')).toMatchObject({ stored: [p2!.paymentId], contiguousThrough: 3 });
    expect(a.gaps()).toEqual([{ kioskId: 'k-7', fromSeq: 4, toSeq: 4 }]);
    expect(a.payments('k-7').map((p) => p.seq)).toEqual([1, 2, 3, 5]);
    a.close();
    b.close();
  });

  it('reports a duplicate inside one batch and across batches, storing it once', () => {
    const store = LedgerStore.open(path);
    const p = paymentPayload('k-1', 1);
    const first = store.storeBatch([incoming(p), incoming(p)], at);
    expect(first).toMatchObject({ stored: 1, duplicates: 1 });
    expect(store.storeBatch([incoming(p)], at)).toMatchObject({ stored: 0, duplicates: 1 });
    expect(store.totals()).toEqual({ payments: 1, kiosks: 1 });
    store.close();
  });

  it('stores a second payment id under a used seq but reports the conflict', () => {
    const store = LedgerStore.open(path);
    store.storeBatch([incoming(paymentPayload('k-1', 1))], at);
    const outcome = store.storeBatch([incoming(paymentPayload('k-1', 1))], at);
    expect(outcome.byKiosk.get('k-1')).toMatchObject({ seqConflicts: [1], contiguousThrough: 1 });
    expect(store.payments('k-1')).toHaveLength(2);
    store.close();
  });

  it('reports a seq conflict among scattered seqs (a late payment beside new ones) as among a dense run', () => {
    const store = LedgerStore.open(path);
    store.storeBatch(
      [1, 500].map((seq) => incoming(paymentPayload('k-1', seq))),
      at,
    );
    const outcome = store.storeBatch(
      [2, 500, 900].map((seq) => incoming(paymentPayload('k-1', seq))),
      at,
    );
    expect(outcome.byKiosk.get('k-1')).toMatchObject({ seqConflicts: [500], contiguousThrough: 2 });
    expect(store.progress('k-1')).toEqual({ contiguousThrough: 2, maxSeq: 900 });
    store.close();
  });

  it('reports a seq conflict inside one batch, above and below what the store held, and one another instance made', () => {
    const store = LedgerStore.open(path);
    const other = LedgerStore.open(path);
    store.storeBatch([incoming(paymentPayload('k-1', 1)), incoming(paymentPayload('k-1', 2))], at);
    const outcome = store.storeBatch(
      [2, 3, 3, 4, 4, 5].map((seq) => incoming(paymentPayload('k-1', seq))),
      at,
    );
    expect(outcome.byKiosk.get('k-1')).toMatchObject({ seqConflicts: [2, 3, 4], contiguousThrough: 5 });
    // Seq 6 stored by another instance sharing the file is seen, although this one never stored it.
    other.storeBatch([incoming(paymentPayload('k-1', 6))], at);
    const again = store.storeBatch(
      [incoming(paymentPayload('k-1', 6)), incoming(paymentPayload('k-1', 7))],
      at,
    );
    expect(again.byKiosk.get('k-1')).toMatchObject({ seqConflicts: [6], contiguousThrough: 7 });
    expect(store.payments('k-1')).toHaveLength(11);
    store.close();
    other.close();
  });

  it('refuses a database written by a newer ledger, leaving it untouched', () => {
    const db = new Database(path);
    db.pragma('user_version = 9');
    db.close();
    let error: unknown;
    try {
      LedgerStore.open(path);
    } catch (e) {
      error = e;
    }
    expect(isKioskError(error, ErrorCode.FleetLedgerStore)).toBe(true);
    expect((error as Error).message).toContain('schema version 9');
    const after = new Database(path);
    expect(after.pragma('user_version', { simple: true })).toBe(9);
    expect(
      after.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'ledger_payments'").pluck().get(),
    ).toBe(0);
    after.close();
  });

  it('rolls back the whole batch when one row cannot be written', () => {
    const store = LedgerStore.open(path);
    const side = new Database(path);
    side.exec(
      "CREATE TRIGGER refuse BEFORE INSERT ON ledger_payments WHEN NEW.seq = 2 BEGIN SELECT RAISE(ABORT, 'no'); END",
    );
    let error: unknown;
    try {
      store.storeBatch([incoming(paymentPayload('k-1', 1)), incoming(paymentPayload('k-1', 2))], at);
    } catch (e) {
      error = e;
    }
    expect(isKioskError(error, ErrorCode.FleetLedgerStore)).toBe(true);
    expect(store.totals()).toEqual({ payments: 0, kiosks: 0 });
    side.close();
    store.close();
  });
});
