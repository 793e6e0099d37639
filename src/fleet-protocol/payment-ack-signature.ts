import type { KeyObject } from 'node:crypto';
import { type FleetPublicKey, signFields, verifyFields } from './ed25519-signature.js';
import type { PaymentAck, UnsignedPaymentAck } from './payloads.js';

/**
 * A `payment/ack` is signed by the ledger that stored the payments, as commands are signed by
 * the fleet: anyone who can publish on the kiosk's ack topic could otherwise make it forget
 * payments the fleet never stored. The signature covers every field but `sig`, the kioskId
 * included, so an ack for one kiosk is worthless on another's topic.
 */
export function signPaymentAck(ack: UnsignedPaymentAck, privateKey: KeyObject): PaymentAck {
  return { ...ack, sig: signFields(ackFields(ack), privateKey) };
}

/** Which configured ledger key signed the ack, or undefined. */
export function verifyPaymentAckSignature(
  ack: PaymentAck,
  keys: readonly FleetPublicKey[],
): string | undefined {
  return verifyFields(ackFields(ack), ack.sig, keys);
}

function ackFields(ack: UnsignedPaymentAck): Record<string, unknown> {
  const { v, kioskId, ts, ackThroughSeq, paymentIds } = ack;
  return { v, kioskId, ts, ackThroughSeq, paymentIds };
}
