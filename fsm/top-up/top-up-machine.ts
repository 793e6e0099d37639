import {
  type ActorRefFrom,
  and,
  assign,
  emit,
  enqueueActions,
  fromPromise,
  type PromiseActorLogic,
  type SnapshotFrom,
  setup,
} from 'xstate';
import { ErrorCode, KioskError } from '../../core/errors.js';
import { isCnMobileNumber } from './account-number.js';
import { acceptableDenominations } from './cash-in-limits.js';
import {
  type CancelReason,
  initialTopUpContext,
  type PaymentKind,
  type TopUpContext,
  type TopUpInput,
} from './top-up-context.js';
import {
  type CheckAccountInput,
  type CommitPaymentInput,
  type CommitPaymentOutput,
  noPrinter,
  type OpenTransactionInput,
  type OpenTransactionOutput,
  type PrintReceiptInput,
  type TopUpEmitted,
  type TopUpEvent,
  type TopUpOutput,
  type TopUpServices,
} from './top-up-contract.js';
import { accountOf, paymentOf, topUpOutputFor, txIdOf } from './top-up-outcome.js';

export { decideEscrow, type EscrowVerdict, remainingLimit } from './cash-in-limits.js';
// The machine's contract is part of its public face: importers keep one path.
export * from './top-up-contract.js';
export { topUpOutputFor } from './top-up-outcome.js';

function asActor<I, O>(run: (input: I, signal: AbortSignal) => Promise<O>): PromiseActorLogic<O, I> {
  return fromPromise<O, I>(({ input, signal }) => run(input, signal));
}

export const TOP_UP_STATES = [
  'idle',
  'enteringAccount',
  'checkingAccount',
  'openingTransaction',
  'insertingCash',
  'committing',
  'commitFailed',
  'printing',
  'done',
  'cancelled',
  'recovering',
] as const;
export type TopUpStateName = (typeof TOP_UP_STATES)[number];

/** States a restored snapshot keeps as they are: nothing was under way in them. */
export const TOP_UP_RESTING_STATES: readonly TopUpStateName[] = ['idle', 'done', 'cancelled'];

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The customer transaction of DESIGN.md. It holds no I/O: the journal, the account lookup and
 * the printer are invoked actors, the acceptor is told through emitted events, and every
 * timeout is a named delay.
 */
export function createTopUpMachine(services: TopUpServices) {
  return setup({
    types: {
      context: {} as TopUpContext,
      events: {} as TopUpEvent,
      input: {} as TopUpInput,
      output: {} as TopUpOutput,
      emitted: {} as TopUpEmitted,
    },
    actors: {
      checkAccount: asActor((input: CheckAccountInput, signal) => services.checkAccount(input, signal)),
      openTransaction: asActor((input: OpenTransactionInput, signal) =>
        services.openTransaction(input, signal),
      ),
      commitPayment: asActor((input: CommitPaymentInput, signal) => services.commitPayment(input, signal)),
      printReceipt: asActor((input: PrintReceiptInput, signal) =>
        services.printReceipt ? services.printReceipt(input, signal) : noPrinter(),
      ),
    },
    guards: {
      validAccount: ({ event }) => event.type === 'ACCOUNT_ENTERED' && isCnMobileNumber(event.account),
      accountCheckEnabled: ({ context }) => context.accountCheck.enabled,
      accountFound: (_, params: { ok: boolean }) => params.ok,
      offlineAccepts: ({ context }) => context.accountCheck.offlinePolicy === 'accept',
      cancelRequested: ({ context }) => context.cancelRequested,
      hasNotes: ({ context }) => context.notes.length > 0,
      noNotes: ({ context }) => context.notes.length === 0,
      newNote: ({ context, event }) =>
        event.type === 'NOTE_CREDITED' && !context.notes.some((n) => n.noteId === event.noteId),
      commitWasUnderway: ({ context }) => context.kind !== null,
      canResumeCashIn: ({ context, event }) =>
        event.type === 'RECOVERED' && event.outcome === 'resumeCashIn' && context.txId !== null,
      recoveredNotes: ({ context, event }) =>
        event.type === 'RECOVERED' && (event.notes ?? context.notes).length > 0,
    },
    actions: {
      recordAccount: assign(({ event }) =>
        event.type === 'ACCOUNT_ENTERED' ? { account: event.account, error: null } : {},
      ),
      rejectAccount: assign(({ event }) => ({
        error: {
          code: 'invalidAccount' as const,
          detail:
            event.type === 'ACCOUNT_ENTERED'
              ? `not a CN mobile number: ${String(event.account).length} characters`
              : undefined,
        },
      })),
      recordAccountCheck: assign(({ context }, params: { dailyTotalSoFar?: number }) => ({
        error: null,
        dailyTotalSoFar: Math.max(context.dailyTotalSoFar, params.dailyTotalSoFar ?? 0),
      })),
      forgetUnknownAccount: assign({ account: null, error: { code: 'accountUnknown' as const } }),
      noteAccountCheckUnavailable: assign((_, params: { detail: string }) => ({
        error: { code: 'accountCheckUnavailable' as const, detail: params.detail },
      })),
      // The remote lookup may know of top-ups at other kiosks the local journal never saw,
      // and the other way round: the tighter (larger) figure protects the daily limit.
      recordOpened: assign(({ context }, params: OpenTransactionOutput) => ({
        txId: params.txId,
        dailyTotalSoFar: Math.max(context.dailyTotalSoFar, params.dailyTotalSoFar),
      })),
      noteJournalUnavailable: assign((_, params: { detail: string }) => ({
        error: { code: 'journalUnavailable' as const, detail: params.detail },
      })),
      requestCancel: assign({ cancelRequested: true }),
      setCancelReason: assign((_, params: { reason: CancelReason }) => ({ cancelReason: params.reason })),
      // Carrying out a cancel asked for while the machine could not act on it: the reason given
      // then (maintenance) stands; a customer's request left none, so it is theirs.
      carryOutRequestedCancel: assign(({ context }) => ({
        cancelReason: context.cancelReason ?? ('customerCancelled' as const),
      })),
      openCashIn: assign({ cashInOpen: true }),
      refreshAcceptedDenominations: assign(({ context }) => ({
        acceptedDenominations: acceptableDenominations(context),
      })),
      // An empty list is a disable, not an enable of nothing: drivers inhibit on disable().
      tellAcceptor: enqueueActions(({ context, enqueue }) => {
        if (context.acceptedDenominations.length === 0) enqueue.emit({ type: 'acceptor.disable' });
        else enqueue.emit({ type: 'acceptor.enable', denominations: [...context.acceptedDenominations] });
      }),
      disableAcceptor: emit({ type: 'acceptor.disable' as const }),
      closeCashIn: assign({ cashInOpen: false, acceptedDenominations: [] }),
      holdNote: assign(({ event }) =>
        event.type === 'NOTE_ESCROWED'
          ? {
              noteInProgress: true,
              escrow: { escrowId: event.escrowId, denomination: event.denomination },
            }
          : {},
      ),
      creditNote: assign(({ context, event }) =>
        event.type === 'NOTE_CREDITED'
          ? {
              notes: [...context.notes, { noteId: event.noteId, denomination: event.denomination }],
              total: context.total + event.denomination,
              noteInProgress: false,
              escrow: null,
            }
          : {},
      ),
      settleNote: assign({ noteInProgress: false, escrow: null }),
      setKind: assign((_, params: { kind: PaymentKind }) => ({ kind: params.kind })),
      countCommitAttempt: assign(({ context }) => ({ commitAttempts: context.commitAttempts + 1 })),
      recordPayment: assign((_, params: CommitPaymentOutput) => ({
        paymentId: params.paymentId,
        amount: params.amount,
        seq: params.seq,
        error: null,
      })),
      noteCommitFailure: assign((_, params: { detail: string }) => ({
        error: { code: 'commitFailed' as const, detail: params.detail },
      })),
      recordReceipt: assign((_, params: { printed: boolean }) => ({ receipt: params.printed })),
      adoptRecoveredNotes: assign(({ context, event }) => {
        if (event.type !== 'RECOVERED') return {};
        const notes = event.notes ?? context.notes;
        return {
          notes: notes.map((n) => ({ noteId: n.noteId, denomination: n.denomination })),
          total: notes.reduce((sum, n) => sum + n.denomination, 0),
          noteInProgress: false,
          escrow: null,
          cancelRequested: false,
          error: null,
        };
      }),
    },
    delays: {
      accountEntryTimeout: ({ context }) => context.timeouts.accountEntryMs,
      accountCheckTimeout: ({ context }) => context.timeouts.accountCheckMs,
      idleComplete: ({ context }) => context.timeouts.idleCompleteMs,
      noCashTimeout: ({ context }) => context.timeouts.noCashMs,
      commitRetry: ({ context }) => context.timeouts.commitRetryMs,
    },
  }).createMachine({
    id: 'topUp',
    context: ({ input }) => initialTopUpContext(input),
    // xstate takes the machine's output from the root; the final state's own output arrives as event.output.
    output: ({ event }) => event.output as TopUpOutput,
    initial: 'idle',
    states: {
      idle: {
        on: {
          START: { target: 'enteringAccount' },
          CANCEL: {
            target: 'cancelled',
            actions: { type: 'setCancelReason', params: { reason: 'customerCancelled' } },
          },
          END_FOR_MAINTENANCE: {
            target: 'cancelled',
            actions: { type: 'setCancelReason', params: { reason: 'maintenance' } },
          },
        },
      },
      enteringAccount: {
        after: {
          accountEntryTimeout: {
            target: 'cancelled',
            actions: { type: 'setCancelReason', params: { reason: 'accountEntryTimeout' } },
          },
        },
        on: {
          ACCOUNT_ENTERED: [
            {
              guard: and(['validAccount', 'accountCheckEnabled']),
              target: 'checkingAccount',
              actions: 'recordAccount',
            },
            { guard: 'validAccount', target: 'openingTransaction', actions: 'recordAccount' },
            { actions: 'rejectAccount' },
          ],
          CANCEL: {
            target: 'cancelled',
            actions: { type: 'setCancelReason', params: { reason: 'customerCancelled' } },
          },
          END_FOR_MAINTENANCE: {
            target: 'cancelled',
            actions: { type: 'setCancelReason', params: { reason: 'maintenance' } },
          },
        },
      },
      checkingAccount: {
        invoke: {
          id: 'checkAccount',
          src: 'checkAccount',
          input: ({ context }) => ({ account: accountOf(context) }),
          onDone: [
            {
              guard: { type: 'accountFound', params: ({ event }) => ({ ok: event.output.ok === true }) },
              target: 'openingTransaction',
              actions: {
                type: 'recordAccountCheck',
                params: ({ event }) => ({ dailyTotalSoFar: event.output.dailyTotalSoFar }),
              },
            },
            { target: 'enteringAccount', actions: 'forgetUnknownAccount' },
          ],
          onError: [
            {
              guard: 'offlineAccepts',
              target: 'openingTransaction',
              actions: {
                type: 'noteAccountCheckUnavailable',
                params: ({ event }) => ({ detail: errorText(event.error) }),
              },
            },
            {
              target: 'cancelled',
              actions: [
                {
                  type: 'noteAccountCheckUnavailable',
                  params: ({ event }) => ({ detail: errorText(event.error) }),
                },
                { type: 'setCancelReason', params: { reason: 'accountCheckUnavailable' } },
              ],
            },
          ],
        },
        after: {
          accountCheckTimeout: [
            {
              guard: 'offlineAccepts',
              target: 'openingTransaction',
              actions: { type: 'noteAccountCheckUnavailable', params: { detail: 'timeout' } },
            },
            {
              target: 'cancelled',
              actions: [
                { type: 'noteAccountCheckUnavailable', params: { detail: 'timeout' } },
                { type: 'setCancelReason', params: { reason: 'accountCheckUnavailable' } },
              ],
            },
          ],
        },
        on: {
          CANCEL: {
            target: 'cancelled',
            actions: { type: 'setCancelReason', params: { reason: 'customerCancelled' } },
          },
          END_FOR_MAINTENANCE: {
            target: 'cancelled',
            actions: { type: 'setCancelReason', params: { reason: 'maintenance' } },
          },
        },
      },
      openingTransaction: {
        invoke: {
          id: 'openTransaction',
          src: 'openTransaction',
          input: ({ context }) => ({ account: accountOf(context) }),
          onDone: [
            {
              // The journal opened a transaction the customer no longer wants: end it with its
              // txId so the service closes it (it holds no note).
              guard: 'cancelRequested',
              target: 'cancelled',
              actions: [
                { type: 'recordOpened', params: ({ event }) => event.output },
                'carryOutRequestedCancel',
              ],
            },
            {
              target: 'insertingCash',
              actions: { type: 'recordOpened', params: ({ event }) => event.output },
            },
          ],
          onError: {
            target: 'cancelled',
            actions: [
              { type: 'noteJournalUnavailable', params: ({ event }) => ({ detail: errorText(event.error) }) },
              { type: 'setCancelReason', params: { reason: 'journalUnavailable' } },
            ],
          },
        },
        on: {
          CANCEL: { actions: 'requestCancel' },
          // No note can be in yet: the transaction ends as soon as the journal has opened it.
          END_FOR_MAINTENANCE: {
            actions: ['requestCancel', { type: 'setCancelReason', params: { reason: 'maintenance' } }],
          },
        },
      },
      insertingCash: {
        entry: ['openCashIn', 'refreshAcceptedDenominations', 'tellAcceptor'],
        exit: ['closeCashIn', 'disableAcceptor'],
        initial: 'ready',
        on: {
          // Handled in either substate: a credit is money in the cashbox, whatever the machine
          // thought the acceptor was doing. A repeated credit of the same note counts once.
          NOTE_CREDITED: {
            guard: 'newNote',
            target: '.ready',
            actions: ['creditNote', 'refreshAcceptedDenominations', 'tellAcceptor'],
          },
        },
        states: {
          ready: {
            always: [
              {
                guard: and(['cancelRequested', 'hasNotes']),
                target: '#topUp.committing',
                actions: { type: 'setKind', params: { kind: 'partial' } },
              },
              {
                guard: 'cancelRequested',
                target: '#topUp.cancelled',
                actions: 'carryOutRequestedCancel',
              },
            ],
            after: {
              idleComplete: {
                guard: 'hasNotes',
                target: '#topUp.committing',
                actions: { type: 'setKind', params: { kind: 'complete' } },
              },
              noCashTimeout: {
                guard: 'noNotes',
                target: '#topUp.cancelled',
                actions: { type: 'setCancelReason', params: { reason: 'noCashTimeout' } },
              },
            },
            on: {
              NOTE_ESCROWED: { target: 'noteInProgress', actions: 'holdNote' },
              CONFIRM: {
                guard: 'hasNotes',
                target: '#topUp.committing',
                actions: { type: 'setKind', params: { kind: 'complete' } },
              },
              CANCEL: [
                {
                  guard: 'hasNotes',
                  target: '#topUp.committing',
                  actions: { type: 'setKind', params: { kind: 'partial' } },
                },
                {
                  target: '#topUp.cancelled',
                  actions: { type: 'setCancelReason', params: { reason: 'customerCancelled' } },
                },
              ],
              // With a note credited the customer finishes (confirm, cancel or the idle timeout).
              END_FOR_MAINTENANCE: {
                guard: 'noNotes',
                target: '#topUp.cancelled',
                actions: { type: 'setCancelReason', params: { reason: 'maintenance' } },
              },
            },
          },
          noteInProgress: {
            on: {
              NOTE_RETURNED: { target: 'ready', actions: 'settleNote' },
              NOTE_REJECTED: { target: 'ready', actions: 'settleNote' },
              CANCEL: { actions: 'requestCancel' },
            },
          },
        },
      },
      committing: {
        entry: 'countCommitAttempt',
        invoke: {
          id: 'commitPayment',
          src: 'commitPayment',
          input: ({ context }) => ({ txId: txIdOf(context), kind: context.kind ?? 'partial' }),
          onDone: {
            target: 'printing',
            actions: { type: 'recordPayment', params: ({ event }) => event.output },
          },
          onError: {
            target: 'commitFailed',
            actions: {
              type: 'noteCommitFailure',
              params: ({ event }) => ({ detail: errorText(event.error) }),
            },
          },
        },
      },
      // Not final: the notes are in the cashbox, so the only way out is a commit that works.
      commitFailed: {
        after: { commitRetry: { target: 'committing' } },
        on: { RETRY_COMMIT: { target: 'committing' } },
      },
      printing: {
        invoke: {
          id: 'printReceipt',
          src: 'printReceipt',
          input: ({ context }) => ({
            ...paymentOf(context),
            account: accountOf(context),
            notes: context.notes,
          }),
          onDone: {
            target: 'done',
            actions: {
              type: 'recordReceipt',
              params: ({ event }) => ({ printed: event.output.printed === true }),
            },
          },
          // The payment is committed; a printer failure only means the customer gets no paper.
          onError: { target: 'done', actions: { type: 'recordReceipt', params: { printed: false } } },
        },
      },
      done: {
        type: 'final',
        output: ({ context }) => topUpOutputFor('done', context),
      },
      cancelled: {
        type: 'final',
        output: ({ context }) => topUpOutputFor('cancelled', context),
      },
      // Entered only from a restored snapshot: delays and invoked actors did not survive the
      // restart, so nothing moves until recovery has reconciled the journal and the acceptor.
      recovering: {
        on: {
          RECOVERED: [
            // A commit may have happened before the stop; commitPayment is idempotent per txId.
            { guard: 'commitWasUnderway', target: 'committing', actions: 'adoptRecoveredNotes' },
            { guard: 'canResumeCashIn', target: 'insertingCash', actions: 'adoptRecoveredNotes' },
            // Money in the cashbox is never dropped: whatever was decided, it becomes a payment.
            {
              guard: 'recoveredNotes',
              target: 'committing',
              actions: ['adoptRecoveredNotes', { type: 'setKind', params: { kind: 'partial' } }],
            },
            {
              target: 'cancelled',
              actions: ['adoptRecoveredNotes', { type: 'setCancelReason', params: { reason: 'recovered' } }],
            },
          ],
        },
      },
    },
  });
}

export type TopUpMachine = ReturnType<typeof createTopUpMachine>;
export type TopUpActor = ActorRefFrom<TopUpMachine>;
export type TopUpSnapshot = SnapshotFrom<TopUpMachine>;

/** The top-level state a snapshot is in (substates of insertingCash are the machine's own business). */
export function topUpStateName(snapshot: { value: unknown }): TopUpStateName {
  const value = snapshot.value;
  const name = typeof value === 'string' ? value : Object.keys(value as object)[0];
  const known = TOP_UP_STATES.find((s) => s === name);
  if (known === undefined)
    throw new KioskError(ErrorCode.SnapshotInvalid, `top-up snapshot is in an unknown state`, {
      details: { value },
    });
  return known;
}

/** True when the screen may confirm: at least one note credited and none in the acceptor's path. */
export function canConfirm(snapshot: TopUpSnapshot): boolean {
  return snapshot.can({ type: 'CONFIRM' });
}
