import type { JournalAudit } from './audit.js';
import type { JournalCashbox } from './cashbox.js';
import type { JournalConnection } from './journal-connection.js';
import type { OrphanCreditRecord, PaymentRecord } from './journal-types.js';
import type { JournalPayments } from './payments.js';
import {
  type CashboxRow,
  conflict,
  type OrphanRow,
  type PaymentRow,
  requireNote,
  requireOrphan,
  SYSTEM_ACTOR,
  toOrphan,
  UNKNOWN_DENOMINATION,
} from './rows.js';
import * as check from './validate.js';

/**
 * Money in the box that no open transaction took. Each write here is one commit across the
 * concerns it touches: the credited note, its counter cell, the orphan row and the audit
 * entry; paying an orphan writes the payment and its outbox row through payments.ts.
 */
export class JournalOrphans {
  constructor(
    private readonly c: JournalConnection,
    private readonly cashbox: JournalCashbox,
    private readonly payments: JournalPayments,
    private readonly audit: JournalAudit,
  ) {}

  /**
   * A credit the device reported with no intent to match (e.g. power-up with a bill in the
   * stacker). The money is in the box, so it is counted and kept for an orphan payment.
   */
  record(input: {
    device: string;
    escrowCode?: string | null;
    denomination?: number | null;
    reason: string;
  }): { orphanId: string; noteId: string } {
    const device = check.text('device', input?.device, 64);
    const escrowCode = check.optionalText('escrowCode', input.escrowCode, 64);
    const denomination =
      input.denomination === undefined || input.denomination === null
        ? null
        : check.denomination('denomination', input.denomination);
    const reason = check.text('reason', input.reason);
    const st = this.c.st;
    return this.c.write('recordOrphanCredit', () => {
      const now = this.c.now();
      const noteId = this.c.newId();
      const orphanId = this.c.newId();
      st.insertCreditedNote.run(
        noteId,
        device,
        escrowCode,
        denomination,
        now,
        now,
        this.cashbox.cycleInTransaction(device),
      );
      st.bumpCount.run(device, denomination ?? UNKNOWN_DENOMINATION);
      st.insertOrphan.run(orphanId, noteId, reason, now);
      if (denomination === null) {
        this.cashbox.changeAccuracyInTransaction(
          device,
          'inaccurate',
          `orphan credit ${orphanId} of unknown denomination`,
        );
      }
      this.audit.appendInTransaction(SYSTEM_ACTOR, 'orphan.recorded', {
        orphanId,
        noteId,
        device,
        escrowCode,
        denomination,
        reason,
      });
      this.c.log.warn({ orphanId, noteId, device, denomination, reason }, 'orphan credit recorded');
      return { orphanId, noteId };
    });
  }

  get(orphanId: string): OrphanCreditRecord {
    const id = check.text('orphanId', orphanId, 64);
    return this.c.read('orphanCredit', () => toOrphan(requireOrphan(this.c.st, id)));
  }

  list(options: { unpaidOnly?: boolean } = {}): OrphanCreditRecord[] {
    const unpaidOnly =
      options.unpaidOnly === undefined ? false : check.boolean('unpaidOnly', options.unpaidOnly);
    return this.c.read('orphanCredits', () =>
      (this.c.st.orphans.all(unpaidOnly ? 1 : 0) as OrphanRow[]).map(toOrphan),
    );
  }

  /** Records that the fleet was told; the first raise wins so the alert time stays truthful. */
  markAlerted(orphanId: string): { alreadyRaised: boolean } {
    const id = check.text('orphanId', orphanId, 64);
    return this.c.write('markOrphanAlerted', () => {
      requireOrphan(this.c.st, id);
      return { alreadyRaised: this.c.st.markOrphanAlerted.run(this.c.now(), id).changes === 0 };
    });
  }

  /** A technician found what an unreported orphan note was worth; moves it to its counter cell. */
  resolveDenomination(orphanId: string, denomination: number, technician: string): OrphanCreditRecord {
    const id = check.text('orphanId', orphanId, 64);
    const value = check.denomination('denomination', denomination);
    const who = check.text('technician', technician, 64);
    const st = this.c.st;
    return this.c.write('resolveOrphanDenomination', () => {
      const orphan = requireOrphan(st, id);
      if (orphan.denomination !== null) {
        throw conflict(`orphan ${id} already has denomination ${orphan.denomination}`, {
          orphanId: id,
          denomination: orphan.denomination,
        });
      }
      st.setNoteDenomination.run(value, orphan.note_id);
      const note = requireNote(st, orphan.note_id);
      const box = st.cashbox.get(orphan.device) as CashboxRow | undefined;
      // Only a note still in the current cycle is in the counters; a collected one left with the box.
      if (box !== undefined && note.cashbox_cycle === box.cycle) {
        st.dropCount.run(orphan.device, UNKNOWN_DENOMINATION);
        st.bumpCount.run(orphan.device, value);
      }
      this.audit.appendInTransaction(who, 'orphan.denominationResolved', {
        orphanId: id,
        noteId: orphan.note_id,
        denomination: value,
      });
      return toOrphan(requireOrphan(st, id));
    });
  }

  /** Turns an orphan credit into a `kind: orphan` payment so the fleet can credit someone by hand. */
  commitPayment(orphanId: string): { payment: PaymentRecord; alreadyPaid: boolean } {
    const id = check.text('orphanId', orphanId, 64);
    const st = this.c.st;
    return this.c.write('commitOrphanPayment', () => {
      const orphan = requireOrphan(st, id);
      const existing = st.paymentOfOrphan.get(id) as PaymentRow | undefined;
      if (existing) return { payment: this.payments.fromRow(existing), alreadyPaid: true };
      if (orphan.denomination === null) {
        throw conflict(`orphan ${id} has no known denomination; resolve it before paying it out`, {
          orphanId: id,
        });
      }
      const note = requireNote(st, orphan.note_id);
      const payment = this.payments.insertInTransaction({
        txId: null,
        orphanId: id,
        account: null,
        currency: this.c.currency,
        kind: 'orphan',
        receipt: false,
        notes: [note],
        createdAt: this.c.now(),
      });
      this.audit.appendInTransaction(SYSTEM_ACTOR, 'payment.committed', {
        paymentId: payment.paymentId,
        seq: payment.seq,
        orphanId: id,
        amount: payment.amount,
        kind: 'orphan',
      });
      return { payment, alreadyPaid: false };
    });
  }
}
