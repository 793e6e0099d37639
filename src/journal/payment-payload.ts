import type { PaymentNotes, PaymentPayload, PaymentRecord } from './journal-types.js';

export const PAYMENT_PAYLOAD_VERSION = 1 as const;

/** Notes grouped by denomination, largest first: the form a receipt and a ledger both read. */
export function groupNotes(denominations: readonly number[]): PaymentNotes[] {
  const counts = new Map<number, number>();
  for (const d of denominations) counts.set(d, (counts.get(d) ?? 0) + 1);
  return [...counts.entries()]
    .sort(([a], [b]) => b - a)
    .map(([denomination, count]) => ({ denomination, count }));
}

/**
 * The payload is frozen into the outbox when the payment is committed, so every resend carries
 * byte-identical content and the ledger's `(kioskId, paymentId)` dedup sees the same payment.
 */
export function paymentPayload(kioskId: string, payment: PaymentRecord): PaymentPayload {
  return {
    v: PAYMENT_PAYLOAD_VERSION,
    kioskId,
    ts: payment.createdAt,
    paymentId: payment.paymentId,
    seq: payment.seq,
    account: payment.account,
    amount: payment.amount,
    currency: payment.currency,
    notes: payment.notes,
    kind: payment.kind,
    txId: payment.txId,
    receipt: payment.receipt,
  };
}
