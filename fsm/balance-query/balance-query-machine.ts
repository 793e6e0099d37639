import {
  type ActorRefFrom,
  assign,
  fromPromise,
  type PromiseActorLogic,
  type SnapshotFrom,
  setup,
} from 'xstate';
import { ErrorCode, KioskError } from '../../core/errors.js';
import type { DataEntryResult, PinEntryResult } from '../../devices/pin-pad/pin-pad.js';
import { isCnMobileNumber } from '../top-up/account-number.js';
import {
  ACCOUNT_DIGITS,
  type BalanceQueryContext,
  type BalanceQueryInput,
  digitsAfter,
  initialBalanceQueryContext,
  typedAfter,
} from './balance-query-context.js';
import {
  type BalanceAnswer,
  type BalanceQueryEvent,
  BalanceQueryFailure,
  type BalanceQueryOutcome,
  type BalanceQueryOutput,
  type BalanceQueryServices,
  type QueryFailure,
} from './balance-query-contract.js';

export * from './balance-query-context.js';
export * from './balance-query-contract.js';

function asActor<I, O>(run: (input: I, signal: AbortSignal) => Promise<O>): PromiseActorLogic<O, I> {
  return fromPromise<O, I>(({ input, signal }) => run(input, signal));
}

export const BALANCE_QUERY_STATES = [
  'idle',
  'enteringAccount',
  'enteringPin',
  'querying',
  'showingBalance',
  'ended',
] as const;
export type BalanceQueryStateName = (typeof BALANCE_QUERY_STATES)[number];

/** A rejection the service did not classify is the pad's or the network's; never a customer's. */
function failureOf(error: unknown, fallback: QueryFailure): QueryFailure {
  return error instanceof BalanceQueryFailure ? error.failure : fallback;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** What a finished PIN entry leads to: only enter or auto with a length the pad allowed may go on. */
function pinEntryOutcome(
  result: PinEntryResult,
  context: BalanceQueryContext,
): 'query' | BalanceQueryOutcome {
  if (result.completion === 'cancel') return 'cancelled';
  if (result.completion === 'timeout') return 'pinEntryTimeout';
  const { minLength, maxLength } = context.pinEntry;
  // The pad refuses Enter below minLength; a count outside the bounds is a pad breaking its contract.
  return result.digits >= minLength && result.digits <= maxLength ? 'query' : 'padFault';
}

function accountEntryOutcome(result: DataEntryResult): 'account' | 'again' | BalanceQueryOutcome {
  if (result.completion === 'cancel') return 'cancelled';
  if (result.completion === 'timeout') return 'accountEntryTimeout';
  return isCnMobileNumber(result.value) ? 'account' : 'again';
}

const end = (outcome: BalanceQueryOutcome) => ({ type: 'end' as const, params: { outcome } });

/**
 * The customer's balance query of DESIGN.md: account (screen or pad) → PIN on the pad → the
 * pad's PIN block to the account service → balance shown for a while. It holds no I/O and no
 * secret: the pad and the account service are invoked actors, every timeout is a named delay,
 * and the context counts PIN digits without ever knowing one.
 */
export function createBalanceQueryMachine(services: BalanceQueryServices) {
  return setup({
    types: {
      context: {} as BalanceQueryContext,
      events: {} as BalanceQueryEvent,
      input: {} as BalanceQueryInput,
      output: {} as BalanceQueryOutput,
    },
    actors: {
      accountOnPad: asActor((input: BalanceQueryContext['pinEntry'], signal) =>
        services.accountOnPad(input, signal),
      ),
      pinEntry: asActor((input: BalanceQueryContext['pinEntry'], signal) => services.pinEntry(input, signal)),
      queryBalance: asActor((input: { account: string; format: BalanceQueryContext['format'] }, signal) =>
        services.queryBalance(input, signal),
      ),
    },
    guards: {
      validAccount: ({ event }) => event.type === 'ACCOUNT_ENTERED' && isCnMobileNumber(event.account),
      padAccountIs: (_, params: { verdict: string; expected: string }) => params.verdict === params.expected,
      pinEntryIs: (_, params: { verdict: string; expected: string }) => params.verdict === params.expected,
      answerIs: (_, params: { answer: BalanceAnswer; result: BalanceAnswer['result'] }) =>
        params.answer.result === params.result,
      failureIs: (_, params: { failure: QueryFailure; expected: QueryFailure }) =>
        params.failure === params.expected,
    },
    actions: {
      recordAccount: assign((_, params: { account: string }) => ({
        account: params.account,
        accountRejected: false,
        accountTyped: '',
      })),
      rejectAccount: assign({ accountRejected: true, accountTyped: '' }),
      echoAccountKey: assign(({ context, event }) =>
        event.type === 'ACCOUNT_KEY'
          ? { accountTyped: typedAfter(context.accountTyped, event.key, event.digit) }
          : {},
      ),
      countKey: assign(({ context, event }) =>
        event.type === 'PIN_KEY'
          ? { digitsEntered: digitsAfter(context.digitsEntered, event.key, context.pinEntry.maxLength) }
          : {},
      ),
      recordPinLength: assign((_, params: { digits: number }) => ({ digitsEntered: params.digits })),
      recordAnswer: assign((_, params: { answer: BalanceAnswer }) => {
        const { answer } = params;
        switch (answer.result) {
          case 'balance':
            return { balanceFen: answer.balanceFen };
          case 'wrongPin':
            return { triesLeft: answer.triesLeft, outcome: 'wrongPin' as const };
          case 'locked':
            return { lockedUntil: answer.until, outcome: 'locked' as const };
          case 'unknownAccount':
            return { outcome: 'unknownAccount' as const };
        }
      }),
      noteDetail: assign((_, params: { detail: string }) => ({ detail: params.detail })),
      end: assign((_, params: { outcome: BalanceQueryOutcome }) => ({ outcome: params.outcome })),
      // The balance leaves the screen with the state that showed it: nobody passing by reads it later.
      forgetBalance: assign({ balanceFen: null }),
    },
    delays: {
      accountEntryTimeout: ({ context }) => context.timeouts.accountEntryMs,
      queryTimeout: ({ context }) => context.timeouts.queryMs,
      showBalance: ({ context }) => context.timeouts.showBalanceMs,
    },
  }).createMachine({
    id: 'balanceQuery',
    context: ({ input }) => initialBalanceQueryContext(input),
    output: ({ context }) => ({
      outcome: context.outcome ?? 'cancelled',
      ...(context.triesLeft === null ? {} : { triesLeft: context.triesLeft }),
      ...(context.lockedUntil === null ? {} : { lockedUntil: context.lockedUntil }),
    }),
    initial: 'idle',
    on: {
      CANCEL: { target: '.ended', actions: end('cancelled') },
      END_FOR_MAINTENANCE: { target: '.ended', actions: end('maintenance') },
    },
    states: {
      idle: { on: { START: { target: 'enteringAccount' } } },
      enteringAccount: {
        // The pad takes the number too, digits shown; whichever of pad and screen gives it first wins.
        invoke: {
          id: 'accountOnPad',
          src: 'accountOnPad',
          input: ({ context }) => ({
            minLength: ACCOUNT_DIGITS,
            maxLength: ACCOUNT_DIGITS,
            timeoutMs: context.timeouts.accountEntryMs,
            autoEnd: false,
          }),
          onDone: [
            {
              guard: {
                type: 'padAccountIs',
                params: ({ event }) => ({ verdict: accountEntryOutcome(event.output), expected: 'account' }),
              },
              target: 'enteringPin',
              actions: { type: 'recordAccount', params: ({ event }) => ({ account: event.output.value }) },
            },
            {
              guard: {
                type: 'padAccountIs',
                params: ({ event }) => ({ verdict: accountEntryOutcome(event.output), expected: 'again' }),
              },
              target: 'enteringAccount',
              reenter: true,
              actions: 'rejectAccount',
            },
            {
              target: 'ended',
              actions: {
                type: 'end',
                params: ({ event }) => ({
                  outcome: accountEntryOutcome(event.output) as BalanceQueryOutcome,
                }),
              },
            },
          ],
          onError: {
            target: 'ended',
            actions: [
              { type: 'noteDetail', params: ({ event }) => ({ detail: errorText(event.error) }) },
              end('padFault'),
            ],
          },
        },
        after: { accountEntryTimeout: { target: 'ended', actions: end('accountEntryTimeout') } },
        on: {
          ACCOUNT_KEY: { actions: 'echoAccountKey' },
          ACCOUNT_ENTERED: [
            {
              guard: 'validAccount',
              target: 'enteringPin',
              actions: {
                type: 'recordAccount',
                params: ({ event }) => ({ account: event.account }),
              },
            },
            { actions: 'rejectAccount' },
          ],
        },
      },
      enteringPin: {
        invoke: {
          id: 'pinEntry',
          src: 'pinEntry',
          input: ({ context }) => ({ ...context.pinEntry }),
          onDone: [
            {
              guard: {
                type: 'pinEntryIs',
                params: ({ context, event }) => ({
                  verdict: pinEntryOutcome(event.output, context),
                  expected: 'query',
                }),
              },
              target: 'querying',
              actions: { type: 'recordPinLength', params: ({ event }) => ({ digits: event.output.digits }) },
            },
            {
              target: 'ended',
              actions: {
                type: 'end',
                params: ({ context, event }) => ({
                  outcome: pinEntryOutcome(event.output, context) as BalanceQueryOutcome,
                }),
              },
            },
          ],
          onError: {
            target: 'ended',
            actions: [
              { type: 'noteDetail', params: ({ event }) => ({ detail: errorText(event.error) }) },
              end('padFault'),
            ],
          },
        },
        on: { PIN_KEY: { actions: 'countKey' } },
      },
      querying: {
        invoke: {
          id: 'queryBalance',
          src: 'queryBalance',
          input: ({ context }) => ({ account: context.account ?? '', format: context.format }),
          onDone: [
            {
              guard: {
                type: 'answerIs',
                params: ({ event }) => ({ answer: event.output, result: 'balance' }),
              },
              target: 'showingBalance',
              actions: { type: 'recordAnswer', params: ({ event }) => ({ answer: event.output }) },
            },
            {
              target: 'ended',
              actions: { type: 'recordAnswer', params: ({ event }) => ({ answer: event.output }) },
            },
          ],
          onError: {
            target: 'ended',
            actions: [
              { type: 'noteDetail', params: ({ event }) => ({ detail: errorText(event.error) }) },
              {
                type: 'end',
                params: ({ event }) => ({ outcome: failureOf(event.error, 'serviceUnavailable') }),
              },
            ],
          },
        },
        after: {
          queryTimeout: {
            target: 'ended',
            actions: [{ type: 'noteDetail', params: { detail: 'no answer in time' } }, end('timeout')],
          },
        },
      },
      showingBalance: {
        exit: 'forgetBalance',
        after: { showBalance: { target: 'ended', actions: end('shown') } },
        // The customer's "done" ends the display early; it is not a cancelled query.
        on: {
          CANCEL: { target: 'ended', actions: end('shown') },
          END_FOR_MAINTENANCE: { target: 'ended', actions: end('shown') },
        },
      },
      ended: { type: 'final' },
    },
  });
}

export type BalanceQueryMachine = ReturnType<typeof createBalanceQueryMachine>;
export type BalanceQueryActor = ActorRefFrom<BalanceQueryMachine>;
export type BalanceQuerySnapshot = SnapshotFrom<BalanceQueryMachine>;

export function balanceQueryStateName(snapshot: { value: unknown }): BalanceQueryStateName {
  const known = BALANCE_QUERY_STATES.find((s) => s === snapshot.value);
  if (known === undefined)
    throw new KioskError(ErrorCode.SnapshotInvalid, 'balance query snapshot is in an unknown state', {
      details: { value: snapshot.value },
    });
  return known;
}
