import { ErrorCode, KioskError } from '../../core/errors.js';
import type {
  CheckAccountInput,
  CheckAccountOutput,
  CommitPaymentInput,
  CommitPaymentOutput,
  OpenTransactionInput,
  OpenTransactionOutput,
  TopUpServices,
} from '../../fsm/top-up/top-up-machine.js';
import type { KioskConfig } from '../config/index.js';
import type { Journal } from '../journal/journal.js';
import type { AccountChecker } from './account-check.js';
import { localMidnight } from './local-midnight.js';

export interface TopUpMachineServicesOptions {
  journal: Journal;
  limits: KioskConfig['limits'];
  /** The online account lookup; undefined when none is configured. */
  checker: AccountChecker | undefined;
  clock: () => Date;
  /** The journal could not open a transaction: the service answers the request with it. */
  openFailed: (error: unknown) => void;
}

/** The top-up machine's I/O for real: the journal and the online account lookup. */
export function topUpMachineServices(options: TopUpMachineServicesOptions): TopUpServices {
  const { journal, limits, checker, clock } = options;
  return {
    checkAccount: async (input: CheckAccountInput, signal: AbortSignal): Promise<CheckAccountOutput> => {
      if (!checker) throw new KioskError(ErrorCode.ConfigInvalid, 'no account check is configured');
      return checker(input.account, signal);
    },
    openTransaction: async (input: OpenTransactionInput): Promise<OpenTransactionOutput> => {
      const dailyTotalSoFar = journal.transactions.creditedTotalForAccount(
        input.account,
        localMidnight(clock()),
      );
      const maxAmount = Math.max(
        0,
        Math.min(limits.maxPerTransaction, limits.maxPerAccountPerDay - dailyTotalSoFar),
      );
      try {
        const tx = journal.transactions.open({
          account: input.account,
          limits: { maxAmount, maxNotes: limits.maxNotesPerTransaction },
        });
        return { txId: tx.txId, dailyTotalSoFar };
      } catch (error) {
        options.openFailed(error);
        throw error;
      }
    },
    commitPayment: async (input: CommitPaymentInput): Promise<CommitPaymentOutput> => {
      // No printer in this build: the payment says so, and the screen shows the payment id.
      const result = journal.payments.commit({ txId: input.txId, kind: input.kind, receipt: false });
      if (result.outcome !== 'committed') {
        throw new KioskError(ErrorCode.JournalConflict, `transaction ${input.txId} holds no credited note`, {
          details: { txId: input.txId },
        });
      }
      const { paymentId, amount, seq } = result.payment;
      return { paymentId, amount, seq };
    },
  };
}
