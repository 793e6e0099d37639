import type { JournalConnection } from './journal-connection.js';
import type { NoteRecord, TransactionLimits, TransactionRecord } from './journal-types.js';
import { type NoteRow, requireTx, type TxRow, toNote, toTransaction } from './rows.js';
import * as check from './validate.js';

/** Top-up transactions: opened for an account with its limits, closed by a payment (see payments.ts). */
export class JournalTransactions {
  constructor(private readonly c: JournalConnection) {}

  open(input: { account: string; limits: TransactionLimits; currency?: string }): TransactionRecord {
    const account = check.text('account', input?.account, 64);
    const maxAmount = check.integer('limits.maxAmount', input.limits?.maxAmount, 0);
    const maxNotes =
      input.limits.maxNotes === undefined || input.limits.maxNotes === null
        ? null
        : check.integer('limits.maxNotes', input.limits.maxNotes, 0);
    const currency = check.currency('currency', input.currency ?? this.c.currency);
    return this.c.write('openTransaction', () => {
      const txId = this.c.newId();
      this.c.st.insertTx.run(txId, account, currency, maxAmount, maxNotes, this.c.now());
      return toTransaction(this.c.st.tx.get(txId) as TxRow);
    });
  }

  get(txId: string): TransactionRecord {
    const id = check.text('txId', txId, 64);
    return this.c.read('transaction', () => toTransaction(requireTx(this.c.st, id)));
  }

  notes(txId: string): NoteRecord[] {
    const id = check.text('txId', txId, 64);
    return this.c.read('transactionNotes', () => {
      requireTx(this.c.st, id);
      return (this.c.st.notesOfTx.all(id) as NoteRow[]).map(toNote);
    });
  }

  /** Open transactions with their notes: what crash recovery has to finish. */
  unfinished(): Array<TransactionRecord & { notes: NoteRecord[] }> {
    return this.c.readSnapshot('unfinishedTransactions', () =>
      (this.c.st.openTxs.all() as TxRow[]).map((row) => ({
        ...toTransaction(row),
        notes: (this.c.st.notesOfTx.all(row.tx_id) as NoteRow[]).map(toNote),
      })),
    );
  }

  /**
   * What an account was credited since `since` (every credited note of its transactions, open
   * ones included): the daily per-account limit counts money already in the cashbox, paid out or not.
   */
  creditedTotalForAccount(account: string, since: Date): number {
    const name = check.text('account', account, 64);
    const from = check.date('since', since).toISOString();
    return this.c.read(
      'creditedTotalForAccount',
      () => (this.c.st.creditedForAccount.get(name, from) as { total: number }).total,
    );
  }
}
