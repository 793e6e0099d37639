import { ErrorCode, KioskError } from '../../core/errors.js';
import type { JournalAudit } from './audit.js';
import type { JournalConnection } from './journal-connection.js';
import type { CommitPaymentResult, PaymentKind, PaymentRecord } from './journal-types.js';
import { groupNotes, paymentPayload } from './payment-payload.js';
import { conflict, type NoteRow, notFound, type PaymentRow, requireTx, SYSTEM_ACTOR } from './rows.js';
import * as check from './validate.js';

const PAYMENT_KINDS: readonly PaymentKind[] = ['complete', 'partial'];

/**
 * Payments and their gap-free seq. A payment is never written without its outbox row: both
 * are inserted here, in the commit that closes the transaction (or pays the orphan), so the
 * fleet link can only ever miss a payment by not having sent it yet.
 */
export class JournalPayments {
  constructor(
    private readonly c: JournalConnection,
    private readonly audit: JournalAudit,
  ) {}

  /**
   * Closes the transaction and, if any note was credited, creates its payment, the next
   * gap-free seq and the outbox row, all in one database transaction: either the customer's
   * money is a payment waiting for delivery, or nothing changed.
   */
  commit(input: { txId: string; kind: PaymentKind; receipt: boolean }): CommitPaymentResult {
    const txId = check.text('txId', input?.txId, 64);
    const kind = check.oneOf('kind', input.kind, PAYMENT_KINDS);
    const receipt = check.boolean('receipt', input.receipt);
    const st = this.c.st;
    return this.c.write('commitPayment', () => {
      const tx = requireTx(st, txId);
      if (tx.state === 'cancelled') return { outcome: 'cancelled', txId, alreadyClosed: true };
      if (tx.state === 'committed') {
        return {
          outcome: 'committed',
          payment: this.fromRow(st.paymentOfTx.get(txId) as PaymentRow),
          alreadyClosed: true,
        };
      }
      const notes = st.notesOfTx.all(txId) as NoteRow[];
      const inEscrow = notes.filter((n) => n.state === 'escrowIntent');
      if (inEscrow.length > 0) {
        throw conflict(
          `transaction ${txId} still has note ${inEscrow[0]?.note_id} in escrow; credit or return it first`,
          {
            txId,
            pendingNoteIds: inEscrow.map((n) => n.note_id),
          },
        );
      }
      const credited = notes.filter((n) => n.state === 'credited');
      const now = this.c.now();
      if (credited.length === 0) {
        st.closeTx.run('cancelled', null, now, txId);
        this.audit.appendInTransaction(SYSTEM_ACTOR, 'transaction.cancelled', {
          txId,
          notesReturned: notes.length,
        });
        return { outcome: 'cancelled', txId, alreadyClosed: false };
      }
      const payment = this.insertInTransaction({
        txId,
        orphanId: null,
        account: tx.account,
        currency: tx.currency,
        kind,
        receipt,
        notes: credited,
        createdAt: now,
      });
      st.closeTx.run('committed', kind, now, txId);
      this.audit.appendInTransaction(SYSTEM_ACTOR, 'payment.committed', {
        paymentId: payment.paymentId,
        seq: payment.seq,
        txId,
        amount: payment.amount,
        kind,
      });
      return { outcome: 'committed', payment, alreadyClosed: false };
    });
  }

  get(paymentId: string): PaymentRecord {
    const id = check.text('paymentId', paymentId, 64);
    return this.c.read('payment', () => {
      const row = this.c.st.payment.get(id) as PaymentRow | undefined;
      if (!row) throw notFound('paymentId', id);
      return this.fromRow(row);
    });
  }

  /** The payment with the highest seq; null before the first. One index lookup (health reads it often). */
  last(): PaymentRecord | null {
    return this.c.read('lastPayment', () => {
      const row = this.c.st.lastPayment.get() as PaymentRow | undefined;
      return row ? this.fromRow(row) : null;
    });
  }

  /** The last `limit` payments, newest (highest seq) first; one index walk. */
  recent(limit: number): PaymentRecord[] {
    const count = check.integer('limit', limit, 1, 1000);
    return this.c.read('recentPayments', () =>
      (this.c.st.recentPayments.all(count) as PaymentRow[]).map((row) => this.fromRow(row)),
    );
  }

  /** The payment a committed transaction made; null while it is open or when it was cancelled. */
  ofTransaction(txId: string): PaymentRecord | null {
    const id = check.text('txId', txId, 64);
    return this.c.read('transactionPayment', () => {
      requireTx(this.c.st, id);
      const row = this.c.st.paymentOfTx.get(id) as PaymentRow | undefined;
      return row ? this.fromRow(row) : null;
    });
  }

  /** The payment row, its notes and its outbox row; inside the caller's write only. */
  insertInTransaction(input: {
    txId: string | null;
    orphanId: string | null;
    account: string | null;
    currency: string;
    kind: PaymentRecord['kind'];
    receipt: boolean;
    notes: NoteRow[];
    createdAt: string;
  }): PaymentRecord {
    const denominations = input.notes.map((n) => {
      if (n.denomination === null) {
        throw conflict(`note ${n.note_id} has no known denomination`, { noteId: n.note_id });
      }
      return n.denomination;
    });
    const amount = denominations.reduce((sum, d) => sum + d, 0);
    if (!Number.isSafeInteger(amount)) {
      throw new KioskError(ErrorCode.JournalInvariant, `payment amount ${amount} is not a safe integer`, {
        details: { amount },
      });
    }
    const st = this.c.st;
    // MAX+1 inside the write transaction: the immediate lock makes it gap-free and unique.
    const seq = (st.nextSeq.get() as { seq: number }).seq;
    const payment: PaymentRecord = {
      paymentId: this.c.newId(),
      seq,
      txId: input.txId,
      orphanId: input.orphanId,
      account: input.account,
      amount,
      currency: input.currency,
      kind: input.kind,
      receipt: input.receipt,
      createdAt: input.createdAt,
      notes: groupNotes(denominations),
    };
    st.insertPayment.run(
      payment.paymentId,
      seq,
      payment.txId,
      payment.orphanId,
      payment.account,
      amount,
      payment.currency,
      payment.kind,
      payment.receipt ? 1 : 0,
      payment.createdAt,
    );
    for (const note of input.notes) st.insertPaymentNote.run(payment.paymentId, note.note_id);
    st.insertOutbox.run(seq, payment.paymentId, JSON.stringify(paymentPayload(this.c.kioskId, payment)));
    return payment;
  }

  fromRow(row: PaymentRow): PaymentRecord {
    const denominations = (
      this.c.st.paymentNoteDenominations.all(row.payment_id) as { denomination: number }[]
    ).map((r) => r.denomination);
    return {
      paymentId: row.payment_id,
      seq: row.seq,
      txId: row.tx_id,
      orphanId: row.orphan_id,
      account: row.account,
      amount: row.amount,
      currency: row.currency,
      kind: row.kind,
      receipt: row.receipt === 1,
      createdAt: row.created_at,
      notes: groupNotes(denominations),
    };
  }
}
