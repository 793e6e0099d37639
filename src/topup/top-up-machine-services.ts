import { ErrorCode, KioskError } from '../../core/errors.js';
import type {
  CheckAccountInput,
  CheckAccountOutput,
  CommitPaymentInput,
  CommitPaymentOutput,
  OpenTransactionInput,
  OpenTransactionOutput,
  PrintReceiptInput,
  PrintReceiptOutput,
  TopUpServices,
} from '../../fsm/top-up/top-up-machine.js';
import type { KioskConfig } from '../config/index.js';
import type { Language } from '../i18n/messages.js';
import type { Journal } from '../journal/journal.js';
import type { ReceiptPrinting } from '../receipts/receipt-printing.js';
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
  /** Receipts, when a printer is configured; without, every payment records receipt false. */
  receipts?: ReceiptPrinting | undefined;
  /** The language of the top-up whose receipt prints. */
  languageOf: () => Language;
}

/** The top-up machine's I/O for real: the journal and the online account lookup. */
export function topUpMachineServices(options: TopUpMachineServicesOptions): TopUpServices {
  const { journal, limits, checker, clock, receipts } = options;
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
      // The payment says whether a receipt was due: the printer could print when it was made.
      // Without, the screen shows the payment id, and the receipt can be printed later.
      const receipt = receipts?.available() ?? false;
      const result = journal.payments.commit({ txId: input.txId, kind: input.kind, receipt });
      if (result.outcome !== 'committed') {
        throw new KioskError(ErrorCode.JournalConflict, `transaction ${input.txId} holds no credited note`, {
          details: { txId: input.txId },
        });
      }
      const { paymentId, amount, seq } = result.payment;
      return { paymentId, amount, seq };
    },
    ...(receipts === undefined
      ? {}
      : {
          printReceipt: async (input: PrintReceiptInput): Promise<PrintReceiptOutput> => {
            // A print a restart interrupted was settled as failed: this refuses it (no blind
            // reprint), and the machine records receipt false.
            const record = await receipts.print({
              paymentId: input.paymentId,
              language: options.languageOf(),
              reprint: false,
              actor: 'kioskd',
            });
            return { printed: record.state === 'printed' };
          },
        }),
  };
}
