import { ErrorCode, KioskError } from '../../core/errors.js';
import type { JournalAudit } from './audit.js';
import type { JournalConnection } from './journal-connection.js';
import type { OutboxEntry, OutboxStats, PaymentPayload } from './journal-types.js';
import { type OutboxRow, toOutbox } from './rows.js';
import * as check from './validate.js';

const MAX_OUTBOX_BATCH = 1000;

/** What a ledger ack says was stored: every seq through `throughSeq`, named payments, or both. */
export type DeliveryAck =
  | { throughSeq: number; paymentIds?: readonly string[] }
  | { throughSeq?: number; paymentIds: readonly string[] };

/** A pending outbox row with its payload as the JSON text frozen at commit. */
export interface OutboxPayload {
  seq: number;
  /** The payment's id, or the collection's id when `kind` is collection. */
  paymentId: string;
  /** Payments and cash collections share the outbox and its seq space. */
  kind: 'payment' | 'collection';
  payload: string;
}

/**
 * Payments waiting for the ledger's ack. Rows are inserted with their payment (payments.ts),
 * never here; this side reads them for sending and marks them delivered.
 */
export class JournalOutbox {
  constructor(
    private readonly c: JournalConnection,
    private readonly audit: JournalAudit,
  ) {}

  pending(options: { afterSeq?: number; limit: number }): OutboxEntry[] {
    const afterSeq = check.integer('afterSeq', options?.afterSeq ?? 0, 0);
    const limit = check.integer('limit', options.limit, 1, MAX_OUTBOX_BATCH);
    return this.c.read('outboxPending', () =>
      (this.c.st.outboxPending.all(afterSeq, limit) as OutboxRow[]).map(toOutbox),
    );
  }

  /**
   * The same rows as `pending`, with the payload as the text frozen at commit: what the
   * fleet link publishes byte for byte, without parsing and re-serialising it on every send.
   */
  pendingPayloads(options: { afterSeq?: number; limit: number }): OutboxPayload[] {
    const afterSeq = check.integer('afterSeq', options?.afterSeq ?? 0, 0);
    const limit = check.integer('limit', options.limit, 1, MAX_OUTBOX_BATCH);
    return this.c.read(
      'outboxPendingPayloads',
      () => this.c.st.outboxPendingPayloads.all(afterSeq, limit) as OutboxPayload[],
    );
  }

  /** The fleet link sent these rows; attempts and last send time feed health and back-off. */
  recordSendAttempt(seqs: readonly number[]): number {
    const list = check.array('seqs', seqs).map((seq, i) => check.integer(`seqs[${i}]`, seq, 1));
    return this.c.writeUnsynced('recordSendAttempt', () => {
      const now = this.c.now();
      return list.reduce((changed, seq) => changed + this.c.st.recordAttempt.run(now, seq).changes, 0);
    });
  }

  /**
   * The ledger stored these payments durably: every seq up to `throughSeq`, and the named
   * `paymentIds` (either or both, applied in one transaction and one disk sync). Idempotent:
   * acks repeat after reconnects, and an already delivered row is not counted again. An ack
   * beyond the last seq (JournalBadInput) or naming payments this journal never made
   * (JournalNotFound) is refused whole, since it means the ledger and kiosk disagree about
   * what exists.
   */
  markDelivered(ack: DeliveryAck): number {
    const given = ack !== null && typeof ack === 'object' ? (ack as Partial<Record<string, unknown>>) : {};
    const hasThrough = given['throughSeq'] !== undefined;
    const hasIds = given['paymentIds'] !== undefined;
    if ((!hasThrough && !hasIds) || (hasIds && !Array.isArray(given['paymentIds']))) {
      throw new KioskError(
        ErrorCode.JournalBadInput,
        'markDelivered needs { throughSeq }, { paymentIds: [...] } or both',
        { details: { field: 'ack' } },
      );
    }
    const throughSeq = hasThrough ? check.integer('throughSeq', given['throughSeq'], 0) : undefined;
    const ids = hasIds
      ? [
          ...new Set(
            (given['paymentIds'] as unknown[]).map((id, i) => check.text(`paymentIds[${i}]`, id, 64)),
          ),
        ]
      : [];
    const st = this.c.st;
    return this.c.writeUnsynced('markDelivered', () => {
      const now = this.c.now();
      let changed = 0;
      if (throughSeq !== undefined) {
        const last = (st.nextSeq.get() as { seq: number }).seq - 1;
        if (throughSeq > last) {
          throw new KioskError(
            ErrorCode.JournalBadInput,
            `throughSeq ${throughSeq} is beyond the last payment seq ${last}`,
            { details: { field: 'throughSeq', throughSeq, lastSeq: last } },
          );
        }
        changed += st.deliverThrough.run(now, throughSeq).changes;
      }
      if (ids.length > 0) {
        const unknown = ids.filter((id) => st.outboxHasPayment.get(id) === undefined);
        if (unknown.length > 0) {
          throw new KioskError(
            ErrorCode.JournalNotFound,
            `ack names payments this journal never made: ${unknown.join(', ')}`,
            { details: { paymentIds: unknown } },
          );
        }
        changed += ids.reduce((n, id) => n + st.deliverPayment.run(now, id).changes, 0);
      }
      if (changed > 0) {
        this.audit.appendInTransaction('fleet', 'outbox.delivered', {
          ...(throughSeq === undefined ? {} : { throughSeq }),
          ...(ids.length === 0 ? {} : { paymentIds: ids }),
          changed,
        });
      }
      return changed;
    });
  }

  stats(): OutboxStats {
    return this.c.readSnapshot('outboxStats', () => {
      const row = this.c.st.outboxStats.get() as Omit<OutboxStats, 'oldestPendingCreatedAt'>;
      const oldest =
        row.oldestPendingSeq === null
          ? undefined
          : (this.c.st.outboxBySeq.get(row.oldestPendingSeq) as OutboxRow);
      return {
        ...row,
        oldestPendingCreatedAt: oldest ? (JSON.parse(oldest.payload) as PaymentPayload).ts : null,
      };
    });
  }
}
