import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../core/errors.js';
import { creditNotes, steppingClock, tempJournal } from './temp-journal.js';

describe('payment and outbox', () => {
  it('writes payment and outbox row atomically: a failure mid-commit leaves neither', () => {
    const { journal, path } = tempJournal();
    const txId = creditNotes(journal, '13700000000', [10_000, 5_000]);
    const auditBefore = journal.summary().auditEntries;

    // The outbox insert is the last write of commitPayment; making it fail proves the payment
    // row and the transaction close written before it are rolled back too.
    const saboteur = new Database(path);
    saboteur.exec(
      "CREATE TRIGGER outbox_fails BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'disk pulled'); END",
    );
    expect(() => journal.payments.commit({ txId, kind: 'complete', receipt: true })).toThrow(
      expect.objectContaining({ code: ErrorCode.JournalIo, message: expect.stringContaining('disk pulled') }),
    );
    expect(saboteur.prepare('SELECT COUNT(*) FROM payments').pluck().get()).toBe(0);
    expect(saboteur.prepare('SELECT COUNT(*) FROM payment_notes').pluck().get()).toBe(0);
    expect(saboteur.prepare('SELECT COUNT(*) FROM outbox').pluck().get()).toBe(0);
    expect(journal.transactions.get(txId).state).toBe('open');
    expect(journal.summary().auditEntries).toBe(auditBefore);

    saboteur.exec('DROP TRIGGER outbox_fails');
    saboteur.close();
    const result = journal.payments.commit({ txId, kind: 'complete', receipt: true });
    expect(result.outcome === 'committed' && result.payment.seq).toBe(1);
    expect(journal.checkConservation()).toEqual([]);
  });

  it('numbers payments 1..n without gaps, including orphans and cancelled transactions in between', () => {
    const { journal } = tempJournal();
    const expectedAmounts: number[] = [];
    for (let i = 0; i < 60; i++) {
      if (i % 7 === 3) {
        const tx = journal.transactions.open({ account: '13700000000', limits: { maxAmount: 1 } });
        journal.payments.commit({ txId: tx.txId, kind: 'complete', receipt: false });
        continue;
      }
      if (i % 11 === 5) {
        const { orphanId } = journal.orphans.record({
          device: 'acceptor',
          denomination: 100,
          reason: 'power-up',
        });
        journal.orphans.commitPayment(orphanId);
        expectedAmounts.push(100);
        continue;
      }
      const notes = [1_000 * (1 + (i % 5)), 500];
      journal.payments.commit({
        txId: creditNotes(journal, '13700000000', notes),
        kind: 'complete',
        receipt: true,
      });
      expectedAmounts.push(notes[0]! + notes[1]!);
    }
    const entries = journal.outbox.pending({ limit: 1000 });
    expect(entries.map((e) => e.seq)).toEqual(expectedAmounts.map((_, i) => i + 1));
    expect(entries.map((e) => e.payload.amount)).toEqual(expectedAmounts);
    expect(entries.map((e) => e.payload.seq)).toEqual(entries.map((e) => e.seq));
    expect(journal.outbox.stats()).toMatchObject({
      pending: expectedAmounts.length,
      lastSeq: expectedAmounts.length,
    });
    expect(journal.checkConservation()).toEqual([]);
  });

  it('pages the outbox after a seq and keeps the payload byte-stable', () => {
    const { journal } = tempJournal();
    for (let i = 0; i < 5; i++) {
      journal.payments.commit({
        txId: creditNotes(journal, '13700000000', [100]),
        kind: 'complete',
        receipt: true,
      });
    }
    expect(journal.outbox.pending({ afterSeq: 2, limit: 2 }).map((e) => e.seq)).toEqual([3, 4]);
    const first = journal.outbox.pending({ limit: 1 })[0];
    expect(journal.payments.get(first!.paymentId)).toMatchObject({ seq: 1, amount: 100 });
    expect(journal.outbox.pending({ limit: 1 })[0]).toEqual(first);
    expect(() => journal.outbox.pending({ limit: 0 })).toThrow(
      expect.objectContaining({ code: ErrorCode.JournalBadInput }),
    );
    expect(() => journal.outbox.pending({ limit: 5000 })).toThrow(
      expect.objectContaining({ code: ErrorCode.JournalBadInput }),
    );
  });

  it('marks delivered idempotently by seq and by payment id, counting only real changes', () => {
    const { journal } = tempJournal();
    for (let i = 0; i < 5; i++) {
      journal.payments.commit({
        txId: creditNotes(journal, '13700000000', [100]),
        kind: 'complete',
        receipt: true,
      });
    }
    expect(journal.outbox.markDelivered({ throughSeq: 2 })).toBe(2);
    expect(journal.outbox.markDelivered({ throughSeq: 2 })).toBe(0);
    expect(journal.outbox.markDelivered({ throughSeq: 1 })).toBe(0);
    const fifth = journal.outbox.pending({ afterSeq: 4, limit: 1 })[0]!;
    expect(journal.outbox.markDelivered({ paymentIds: [fifth.paymentId, fifth.paymentId] })).toBe(1);
    expect(journal.outbox.markDelivered({ paymentIds: [fifth.paymentId] })).toBe(0);
    expect(journal.outbox.pending({ limit: 10 }).map((e) => e.seq)).toEqual([3, 4]);
    expect(journal.outbox.stats()).toMatchObject({
      pending: 2,
      delivered: 3,
      oldestPendingSeq: 3,
      lastSeq: 5,
    });
  });

  it('marks a seq prefix and named payments delivered in one write, all or nothing', () => {
    const { journal } = tempJournal();
    for (let i = 0; i < 6; i++) {
      journal.payments.commit({
        txId: creditNotes(journal, '13700000000', [100]),
        kind: 'complete',
        receipt: true,
      });
    }
    const ids = journal.outbox.pending({ limit: 10 }).map((e) => e.paymentId);
    const audits = () => journal.audit.tail(50).filter((e) => e.action === 'outbox.delivered');
    // Seq 2 is in both forms: counted once.
    expect(journal.outbox.markDelivered({ throughSeq: 2, paymentIds: [ids[1]!, ids[4]!] })).toBe(3);
    expect(journal.outbox.pending({ limit: 10 }).map((e) => e.seq)).toEqual([3, 4, 6]);
    expect(audits()).toHaveLength(1);
    expect(audits()[0]?.details).toEqual({ throughSeq: 2, paymentIds: [ids[1], ids[4]], changed: 3 });

    // A good prefix with an unknown id, or good ids beyond the last seq: neither half is applied.
    expect(() =>
      journal.outbox.markDelivered({ throughSeq: 4, paymentIds: ['01HZZZZZZZZZZZZZZZZZZZZZZZ'] }),
    ).toThrow(expect.objectContaining({ code: ErrorCode.JournalNotFound }));
    expect(() => journal.outbox.markDelivered({ throughSeq: 7, paymentIds: [ids[5]!] })).toThrow(
      expect.objectContaining({ code: ErrorCode.JournalBadInput }),
    );
    expect(() =>
      journal.outbox.markDelivered({ throughSeq: 4, paymentIds: 'all' as unknown as string[] }),
    ).toThrow(expect.objectContaining({ code: ErrorCode.JournalBadInput }));
    expect(journal.outbox.pending({ limit: 10 }).map((e) => e.seq)).toEqual([3, 4, 6]);
    expect(audits()).toHaveLength(1);
  });

  it('gives pending payloads as the text frozen at commit, paged like outboxPending', () => {
    const { journal, path } = tempJournal();
    for (let i = 0; i < 4; i++) {
      journal.payments.commit({
        txId: creditNotes(journal, '13700000000', [100 * (i + 1)]),
        kind: 'complete',
        receipt: true,
      });
    }
    journal.outbox.markDelivered({ throughSeq: 1 });
    const rows = journal.outbox.pendingPayloads({ afterSeq: 2, limit: 5 });
    expect(rows.map((r) => r.seq)).toEqual([3, 4]);
    const reader = new Database(path, { readonly: true });
    const stored = reader.prepare('SELECT payload FROM outbox WHERE seq = 3').pluck().get();
    reader.close();
    expect(rows[0]?.payload).toBe(stored);
    const parsed = journal.outbox.pending({ afterSeq: 2, limit: 1 })[0]!;
    expect(rows[0]).toEqual({
      seq: 3,
      paymentId: parsed.paymentId,
      kind: 'payment',
      payload: JSON.stringify(parsed.payload),
    });
    expect(journal.outbox.pendingPayloads({ limit: 10 }).map((r) => r.seq)).toEqual([2, 3, 4]);
    expect(() => journal.outbox.pendingPayloads({ limit: 1001 })).toThrow(
      expect.objectContaining({ code: ErrorCode.JournalBadInput }),
    );
    expect(() => journal.outbox.pendingPayloads({ afterSeq: -1, limit: 1 })).toThrow(
      expect.objectContaining({ code: ErrorCode.JournalBadInput }),
    );
  });

  it('refuses acks for payments that do not exist and changes nothing', () => {
    const { journal } = tempJournal();
    journal.payments.commit({
      txId: creditNotes(journal, '13700000000', [100]),
      kind: 'complete',
      receipt: true,
    });
    const known = journal.outbox.pending({ limit: 1 })[0]!.paymentId;
    expect(() => journal.outbox.markDelivered({ throughSeq: 9 })).toThrow(
      expect.objectContaining({ code: ErrorCode.JournalBadInput }),
    );
    expect(() => journal.outbox.markDelivered({ paymentIds: [known, '01HZZZZZZZZZZZZZZZZZZZZZZZ'] })).toThrow(
      expect.objectContaining({ code: ErrorCode.JournalNotFound }),
    );
    expect(() => journal.outbox.markDelivered({ throughSeq: 1.5 })).toThrow(
      expect.objectContaining({ code: ErrorCode.JournalBadInput }),
    );
    expect(() => journal.outbox.markDelivered({} as { throughSeq: number })).toThrow(
      expect.objectContaining({ code: ErrorCode.JournalBadInput }),
    );
    expect(journal.outbox.stats().pending).toBe(1);
  });

  it('writes delivery marks and send attempts without a sync of their own, and every money write after them still syncs', () => {
    const { journal } = tempJournal();
    journal.payments.commit({
      txId: creditNotes(journal, '13700000000', [100]),
      kind: 'complete',
      receipt: true,
    });
    journal.outbox.recordSendAttempt([1]);
    expect(journal.durability().synchronous).toBe('full');
    expect(journal.outbox.markDelivered({ throughSeq: 1 })).toBe(1);
    expect(journal.durability().synchronous).toBe('full');
    // A refused ack rolls back inside the unsynced write; the connection goes back to FULL all the same.
    expect(() => journal.outbox.markDelivered({ throughSeq: 9 })).toThrow(
      expect.objectContaining({ code: ErrorCode.JournalBadInput }),
    );
    expect(journal.durability().synchronous).toBe('full');
    expect(journal.outbox.stats()).toMatchObject({ pending: 0, delivered: 1 });
  });

  it('counts send attempts on pending rows only', () => {
    const { journal } = tempJournal({ clock: steppingClock('2025-06-01T00:00:00Z', 10) });
    for (let i = 0; i < 2; i++) {
      journal.payments.commit({
        txId: creditNotes(journal, '13700000000', [100]),
        kind: 'complete',
        receipt: true,
      });
    }
    expect(journal.outbox.recordSendAttempt([1, 2])).toBe(2);
    expect(journal.outbox.recordSendAttempt([1])).toBe(1);
    journal.outbox.markDelivered({ throughSeq: 1 });
    expect(journal.outbox.recordSendAttempt([1, 2, 99])).toBe(1);
    const [row] = journal.outbox.pending({ limit: 5 });
    expect(row).toMatchObject({ seq: 2, attempts: 2 });
    expect(row?.lastSentAt).not.toBeNull();
    expect(journal.outbox.stats().maxPendingAttempts).toBe(2);
  });
});
