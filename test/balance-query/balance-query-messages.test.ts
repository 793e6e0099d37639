import { describe, expect, it } from 'vitest';
import {
  BALANCE_QUERY_STATES,
  type BalanceQueryOutcome,
  initialBalanceQueryContext,
} from '../../fsm/balance-query/balance-query-machine.js';
import {
  balanceQueryMessage,
  balanceQueryView,
  screenStateOf,
} from '../../src/balance-query/balance-query-view.js';
import { LANGUAGES, message } from '../../src/i18n/messages.js';

const OUTCOMES: BalanceQueryOutcome[] = [
  'shown',
  'wrongPin',
  'locked',
  'unknownAccount',
  'serviceUnavailable',
  'timeout',
  'padFault',
  'cancelled',
  'accountEntryTimeout',
  'pinEntryTimeout',
];

const context = initialBalanceQueryContext({
  format: 'iso0',
  pinEntry: { minLength: 6, maxLength: 6, timeoutMs: 30_000, autoEnd: false },
  accountEntryTimeoutMs: 60_000,
  queryTimeoutMs: 5_000,
  showBalanceMs: 15_000,
});

describe('balance query customer messages', () => {
  it('maps every machine state onto a screen state with a message in every language', () => {
    const screen = ['enteringAccount', 'enteringPin', 'querying', 'showingBalance', 'ended'];
    for (const state of BALANCE_QUERY_STATES) {
      expect(screen).toContain(screenStateOf(state));
      for (const language of LANGUAGES)
        expect(message(balanceQueryMessage(state, context), language)).not.toBe('');
    }
  });

  it('words each ending differently, except the two entry timeouts', () => {
    const codes = OUTCOMES.map((outcome) => balanceQueryMessage('ended', { ...context, outcome }));
    expect(new Set(codes).size).toBe(OUTCOMES.length - 1);
    expect(codes[OUTCOMES.indexOf('wrongPin')]).toBe('wrongServicePassword');
    expect(codes[OUTCOMES.indexOf('locked')]).toBe('accountLocked');
  });

  it('shows the balance only while in showingBalance', () => {
    const known = { ...context, balanceFen: 500 };
    expect(balanceQueryView('q', 'en', 'showingBalance', known).balanceFen).toBe(500);
    for (const state of BALANCE_QUERY_STATES.filter((s) => s !== 'showingBalance'))
      expect(balanceQueryView('q', 'en', state, known).balanceFen).toBeNull();
  });
});
