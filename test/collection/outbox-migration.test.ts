import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrations } from '../../src/journal/migrations.js';
import { openJournal, tempDir } from '../journal/temp-journal.js';

/**
 * Migration 4 rebuilds the outbox so it can carry collections. A kiosk in the field holds a
 * version 3 journal with payments, some delivered and some pending: they must come through
 * unchanged, still pending where they were, and the next seq follows them.
 */
describe('journal migration 4 on a version 3 journal', () => {
  it('keeps every outbox row and its state; the first collection takes the next seq', () => {
    const path = `${tempDir()}/journal.sqlite`;
    const v3 = new Database(path);
    v3.exec(
      'CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT',
    );
    for (const m of migrations.filter((m) => m.version <= 3)) {
      v3.exec(m.sql);
      v3.prepare('INSERT INTO schema_version VALUES (?, ?, ?)').run(
        m.version,
        m.name,
        '2026-01-01T00:00:00.000Z',
      );
    }
    v3.exec(`
      INSERT INTO journal_identity VALUES (1, 'K-0001', '2026-01-01T00:00:00.000Z');
      INSERT INTO cashboxes (device, accuracy) VALUES ('acceptor', 'accurate');
      INSERT INTO cashbox_counts (device, denomination, count) VALUES ('acceptor', 10000, 2);
    `);
    for (const seq of [1, 2]) {
      const tx = `01JEQ7Z3N8X4V2R6T9W5Y7K3M${seq}`;
      const note = `01JEQ7Z3N8X4V2R6T9W5Y7K3N${seq}`;
      const payment = `01JEQ7Z3N8X4V2R6T9W5Y7K3P${seq}`;
      v3.prepare(
        `INSERT INTO transactions VALUES (?, '13700000000', 'CNY', 'committed', 'complete', 100000, NULL, 'a', 'b')`,
      ).run(tx);
      v3.prepare(
        `INSERT INTO notes VALUES (?, ?, 'acceptor', 'c', 10000, 'credited', 'a', 'b', NULL, 1)`,
      ).run(note, tx);
      v3.prepare(
        `INSERT INTO payments VALUES (?, ?, ?, NULL, '13700000000', 10000, 'CNY', 'complete', 0, '2026-01-01T00:00:00.000Z')`,
      ).run(payment, seq, tx);
      v3.prepare('INSERT INTO payment_notes VALUES (?, ?)').run(payment, note);
      v3.prepare(
        `INSERT INTO outbox (seq, payment_id, payload, state, attempts, delivered_at) VALUES (?, ?, ?, ?, ?, ?)`,
      ).run(
        seq,
        payment,
        JSON.stringify({ v: 1, kioskId: 'K-0001', ts: '2026-01-01T00:00:00.000Z', paymentId: payment, seq }),
        seq === 1 ? 'delivered' : 'pending',
        seq,
        seq === 1 ? '2026-01-01T00:00:01.000Z' : null,
      );
    }
    const before = v3.prepare('SELECT * FROM outbox ORDER BY seq').all();
    v3.close();

    const journal = openJournal(path);
    expect(journal.schemaVersion).toBe(4);
    expect(journal.checkConservation()).toEqual([]);
    const raw = new Database(path, { readonly: true });
    const after = raw.prepare('SELECT * FROM outbox ORDER BY seq').all() as Array<Record<string, unknown>>;
    expect(after.map(({ collection_id: _c, ...rest }) => rest)).toEqual(before);
    expect(after.every((r) => r['collection_id'] === null)).toBe(true);
    raw.close();
    expect(journal.outbox.stats()).toMatchObject({ pending: 1, delivered: 1, lastSeq: 2 });

    const c = journal.collections.start({ device: 'acceptor', technician: 'T-01', denominations: [10_000] });
    expect(c.expectedValue).toBe(20_000);
    journal.collections.enterCounts({
      collectionId: c.collectionId,
      counts: [{ denomination: 10_000, count: 2 }],
      technician: 'T-01',
    });
    expect(journal.collections.end({ collectionId: c.collectionId, technician: 'T-01' }).seq).toBe(3);
    expect(journal.checkConservation()).toEqual([]);
  });
});
