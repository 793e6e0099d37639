import { createActor, waitFor } from 'xstate';
import { ErrorCode, KioskError } from '../../core/errors.js';
import type { PaymentKind, TopUpInput } from '../../fsm/top-up/top-up-context.js';
import {
  type CommitPaymentInput,
  type CommitPaymentOutput,
  createTopUpMachine,
  noPrinter,
  type TopUpOutput,
} from '../../fsm/top-up/top-up-machine.js';
import { restoreTopUp } from '../../fsm/top-up/top-up-snapshot.js';
import type { Journal } from '../journal/journal.js';
import type { Logger } from '../log.js';
import { TOP_UP_SNAPSHOT_KEY } from '../topup/top-up-service.js';
import type { InterruptedTopUps, RecoveredOutcome } from './start-up-recovery.js';

/** The restored machine only commits (idempotently) and "prints" without a printer: quick. */
const MACHINE_SETTLE_MS = 5_000;

interface Found {
  txId: string | null;
  kind: PaymentKind | null;
  restored: ReturnType<typeof restoreTopUp> | undefined;
  refusal: KioskError | undefined;
  version: unknown;
}

function readSnapshot(journal: Journal): Found | undefined {
  const row = journal.snapshots.get(TOP_UP_SNAPSHOT_KEY);
  if (!row) return undefined;
  const context = (row.snapshot['context'] ?? {}) as { txId?: unknown; kind?: unknown };
  const found: Found = {
    txId: typeof context.txId === 'string' ? context.txId : null,
    kind: context.kind === 'complete' || context.kind === 'partial' ? context.kind : null,
    restored: undefined,
    refusal: undefined,
    version: row.snapshot['version'],
  };
  try {
    found.restored = restoreTopUp(row.snapshot);
  } catch (error) {
    found.refusal =
      error instanceof KioskError
        ? error
        : new KioskError(ErrorCode.SnapshotInvalid, `top-up snapshot: ${String(error)}`);
  }
  return found;
}

/**
 * The top-up machine of an interrupted transaction, as its last persisted snapshot left it.
 * Its snapshot says whether the customer had confirmed (the machine had chosen the payment's
 * kind); once recovery has closed the transaction in the journal, the machine is restored into
 * `recovering`, told the outcome, and run to its end, so machine and journal agree — then the
 * snapshot is deleted. A snapshot this daemon cannot read is not guessed at: the journal
 * decides alone, and the refusal is audited with the snapshot's version before it is deleted.
 */
export function interruptedTopUpFromJournal(journal: Journal, logger: Logger): InterruptedTopUps {
  const log = logger.child({ component: 'recovery' });
  const found = readSnapshot(journal);

  const forget = (reason: string, details: Record<string, unknown>): void => {
    journal.audit.append('kioskd', 'recovery.topUpSnapshotDeleted', { reason, ...details });
    journal.snapshots.delete(TOP_UP_SNAPSHOT_KEY);
  };

  if (found?.refusal) {
    log.error(
      { err: found.refusal, version: found.version },
      'top-up snapshot refused; the journal decides alone',
    );
  }

  return {
    kind(txId) {
      return found?.txId === txId ? found.kind : null;
    },

    async settled(outcome: RecoveredOutcome) {
      if (!found || found.txId !== outcome.txId) return;
      if (!found.restored) {
        forget('unreadable', { txId: outcome.txId, version: found.version, error: found.refusal?.message });
        return;
      }
      if (outcome.outcome === 'cancelled' && found.kind !== null) {
        // The machine would commit again and again a transaction the journal cancelled.
        forget('cancelledWhileCommitting', { txId: outcome.txId });
        return;
      }
      const commitPayment = async (input: CommitPaymentInput): Promise<CommitPaymentOutput> => {
        const result = journal.payments.commit({ txId: input.txId, kind: input.kind, receipt: false });
        if (result.outcome !== 'committed') {
          throw new KioskError(ErrorCode.JournalConflict, `transaction ${input.txId} was cancelled`, {
            details: { txId: input.txId },
          });
        }
        const { payment } = result;
        return { paymentId: payment.paymentId, amount: payment.amount, seq: payment.seq };
      };
      const notAfterRecovery = async (): Promise<never> => {
        throw new KioskError(ErrorCode.JournalConflict, 'a recovered top-up does not start over');
      };
      const machine = createTopUpMachine({
        checkAccount: notAfterRecovery,
        openTransaction: notAfterRecovery,
        commitPayment,
        printReceipt: noPrinter,
      });
      // A restored snapshot carries its own context; the input is only read by a fresh start.
      const context = (found.restored as unknown as { context: TopUpInput }).context;
      const input: TopUpInput = {
        denominations: context.denominations,
        limits: context.limits,
        accountCheck: context.accountCheck,
        timeouts: context.timeouts,
      };
      const actor = createActor(machine, { snapshot: found.restored, input });
      actor.start();
      const notes = journal.transactions
        .notes(outcome.txId)
        .filter((n) => n.state === 'credited')
        .map((n) => ({ noteId: n.noteId, denomination: n.denomination ?? 0 }));
      actor.send({
        type: 'RECOVERED',
        outcome: outcome.outcome === 'committed' ? 'commitPartial' : 'cancel',
        notes,
      });
      try {
        const end = await waitFor(actor, (s) => s.status === 'done', { timeout: MACHINE_SETTLE_MS });
        const output = end.output as TopUpOutput;
        const agrees =
          outcome.outcome === 'committed'
            ? output.outcome === 'done' &&
              output.paymentId === outcome.paymentId &&
              output.amount === outcome.amount
            : output.outcome === 'cancelled';
        if (!agrees) {
          throw new KioskError(
            ErrorCode.JournalInvariant,
            `the recovered top-up machine ended ${JSON.stringify(output)} but the journal says ${JSON.stringify(outcome)}`,
            { details: { output, outcome } },
          );
        }
        forget('recovered', { txId: outcome.txId, machine: output.outcome });
        log.info({ txId: outcome.txId, output }, 'interrupted top-up machine ran to its recovered end');
      } finally {
        actor.stop();
      }
    },
  };
}
