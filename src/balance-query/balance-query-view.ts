import type { BalanceQueryContext } from '../../fsm/balance-query/balance-query-context.js';
import type {
  BalanceQueryOutcome,
  BalanceQueryStateName,
} from '../../fsm/balance-query/balance-query-machine.js';
import type { Language, MessageCode } from '../i18n/messages.js';

/** The query's steps as the screen sees them (the machine's idle lasts no longer than start()). */
export type BalanceQueryScreenState =
  | 'enteringAccount'
  | 'enteringPin'
  | 'querying'
  | 'showingBalance'
  | 'ended';

/**
 * One balance query as the service knows it. Of the PIN it has a count of digits and nothing
 * else; the account is whole here and masked by the API. The balance is there only while it is
 * shown.
 */
export interface BalanceQueryView {
  queryId: string;
  state: BalanceQueryScreenState;
  account: string | null;
  /** The digits typed on the pad so far while the account is being entered there. */
  accountTyped: string;
  digitsEntered: number;
  pinLength: { min: number; max: number };
  balanceFen: number | null;
  triesLeft: number | null;
  lockedUntil: string | null;
  outcome: BalanceQueryOutcome | null;
  message: MessageCode | null;
  language: Language;
}

/** What the service announces; the API turns each into one SSE event. */
export type BalanceQueryStreamEvent = { type: 'balanceQuery.state'; data: BalanceQueryView };

export function screenStateOf(name: BalanceQueryStateName): BalanceQueryScreenState {
  return name === 'idle' ? 'enteringAccount' : name;
}

const OUTCOME_MESSAGES: Record<BalanceQueryOutcome, MessageCode> = {
  shown: 'balanceQueryDone',
  wrongPin: 'wrongServicePassword',
  locked: 'accountLocked',
  unknownAccount: 'accountNotFound',
  serviceUnavailable: 'accountServiceUnavailable',
  timeout: 'balanceQueryTimeout',
  padFault: 'pinPadFault',
  cancelled: 'balanceQueryCancelled',
  accountEntryTimeout: 'balanceQueryEntryTimeout',
  pinEntryTimeout: 'balanceQueryEntryTimeout',
  maintenance: 'kioskMaintenance',
};

export function balanceQueryMessage(name: BalanceQueryStateName, context: BalanceQueryContext): MessageCode {
  switch (name) {
    case 'idle':
    case 'enteringAccount':
      return context.accountRejected ? 'invalidAccount' : 'enterAccountForQuery';
    case 'enteringPin':
      return 'enterServicePassword';
    case 'querying':
      return 'queryingBalance';
    case 'showingBalance':
      return 'balanceShown';
    case 'ended':
      return OUTCOME_MESSAGES[context.outcome ?? 'cancelled'];
  }
}

export function balanceQueryView(
  queryId: string,
  language: Language,
  name: BalanceQueryStateName,
  context: BalanceQueryContext,
): BalanceQueryView {
  return {
    queryId,
    state: screenStateOf(name),
    account: context.account,
    accountTyped: name === 'enteringAccount' ? context.accountTyped : '',
    digitsEntered: context.digitsEntered,
    pinLength: { min: context.pinEntry.minLength, max: context.pinEntry.maxLength },
    balanceFen: name === 'showingBalance' ? context.balanceFen : null,
    triesLeft: context.triesLeft,
    lockedUntil: context.lockedUntil,
    outcome: context.outcome,
    message: balanceQueryMessage(name, context),
    language,
  };
}
