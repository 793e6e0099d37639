import { ErrorCode, KioskError } from '../../core/errors.js';
import type { PaymentKind, TopUpContext } from './top-up-context.js';
import type { TopUpOutput } from './top-up-contract.js';

/*
 * Reading the values a step or the end of a top-up needs from its context. Reaching a step
 * without them is a bug in the machine, said loudly with a JournalInvariant error.
 */

function missing(field: string, context: TopUpContext): KioskError {
  return new KioskError(ErrorCode.JournalInvariant, `top-up reached its end without ${field}`, {
    details: { field, txId: context.txId },
  });
}

interface CommittedPayment {
  txId: string;
  paymentId: string;
  amount: number;
  seq: number;
  kind: PaymentKind;
}

/** The payment a committed top-up made; reaching printing or done without one is a bug, said loudly. */
export function paymentOf(context: TopUpContext): CommittedPayment {
  const { txId, paymentId, amount, seq, kind } = context;
  if (txId === null) throw missing('txId', context);
  if (paymentId === null) throw missing('paymentId', context);
  if (amount === null) throw missing('amount', context);
  if (seq === null) throw missing('seq', context);
  if (kind === null) throw missing('kind', context);
  return { txId, paymentId, amount, seq, kind };
}

/** The machine's output for a final state; also used to restore a finished snapshot. */
export function topUpOutputFor(state: 'done' | 'cancelled', context: TopUpContext): TopUpOutput {
  if (state === 'cancelled')
    return { outcome: 'cancelled', txId: context.txId, reason: context.cancelReason ?? 'customerCancelled' };
  return { outcome: 'done', ...paymentOf(context), receipt: context.receipt ?? false };
}

export function accountOf(context: TopUpContext): string {
  if (context.account === null) throw missing('account', context);
  return context.account;
}

export function txIdOf(context: TopUpContext): string {
  if (context.txId === null) throw missing('txId', context);
  return context.txId;
}
