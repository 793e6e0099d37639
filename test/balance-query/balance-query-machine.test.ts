import { describe, expect, it } from 'vitest';
import { createActor, waitFor } from 'xstate';
import { ErrorCode } from '../../core/errors.js';
import type { DataEntryResult, PinEntryResult } from '../../devices/pin-pad/pin-pad.js';
import {
  type BalanceAnswer,
  type BalanceQueryInput,
  type BalanceQueryServices,
  balanceQueryStateName,
  createBalanceQueryMachine,
  digitsAfter,
} from '../../fsm/balance-query/balance-query-machine.js';

const INPUT: BalanceQueryInput = {
  format: 'iso4',
  pinEntry: { minLength: 6, maxLength: 6, timeoutMs: 5_000, autoEnd: false },
  accountEntryTimeoutMs: 5_000,
  queryTimeoutMs: 80,
  showBalanceMs: 5_000,
};

/** Services answering as each test says; each records the signal it was given. */
function services(answers: {
  pin?: () => Promise<PinEntryResult>;
  query?: (signal: AbortSignal) => Promise<BalanceAnswer>;
}) {
  const signals: Record<string, AbortSignal> = {};
  const never = <T>() => new Promise<T>(() => {});
  const impl: BalanceQueryServices = {
    accountOnPad: (_, signal) => {
      signals['account'] = signal;
      return never<DataEntryResult>();
    },
    pinEntry: (_, signal) => {
      signals['pin'] = signal;
      return answers.pin ? answers.pin() : never();
    },
    queryBalance: (_, signal) => {
      signals['query'] = signal;
      return answers.query ? answers.query(signal) : never();
    },
  };
  return { impl, signals };
}

function run(impl: BalanceQueryServices, input: BalanceQueryInput = INPUT) {
  const actor = createActor(createBalanceQueryMachine(impl), { input });
  actor.start();
  actor.send({ type: 'START' });
  actor.send({ type: 'ACCOUNT_ENTERED', account: '13800138000' });
  return actor;
}

const entered = async (): Promise<PinEntryResult> => ({ digits: 6, completion: 'enter' });

describe('balance query machine', () => {
  it('ends for maintenance when a technician enters service mode, aborting the PIN entry', async () => {
    const { impl, signals } = services({});
    const actor = run(impl);
    await waitFor(actor, () => signals['pin'] !== undefined, { timeout: 1_000 });
    actor.send({ type: 'END_FOR_MAINTENANCE' });
    expect(actor.getSnapshot().status).toBe('done');
    expect(actor.getSnapshot().output).toEqual({ outcome: 'maintenance' });
    expect(signals['pin']?.aborted).toBe(true);
  });

  it('ends as timeout when the query takes longer than its named delay, aborting the request', async () => {
    const { impl, signals } = services({ pin: entered });
    const actor = run(impl);
    await waitFor(actor, (s) => s.status === 'done', { timeout: 1_000 });
    expect(actor.getSnapshot().output).toEqual({ outcome: 'timeout' });
    expect(signals['query']?.aborted).toBe(true);
    expect(signals['account']?.aborted).toBe(true);
  });

  it('cancels while querying: the request is aborted and nothing is shown', async () => {
    const { impl, signals } = services({ pin: entered });
    const actor = run(impl, { ...INPUT, queryTimeoutMs: 5_000 });
    await waitFor(actor, (s) => balanceQueryStateName(s) === 'querying');
    actor.send({ type: 'CANCEL' });
    expect(actor.getSnapshot().output).toEqual({ outcome: 'cancelled' });
    expect(signals['query']?.aborted).toBe(true);
  });

  it('shows the balance and forgets it when the customer ends the display', async () => {
    const { impl } = services({ pin: entered, query: async () => ({ result: 'balance', balanceFen: 777 }) });
    const actor = run(impl);
    await waitFor(actor, (s) => balanceQueryStateName(s) === 'showingBalance');
    expect(actor.getSnapshot().context.balanceFen).toBe(777);
    actor.send({ type: 'CANCEL' });
    expect(actor.getSnapshot().output).toEqual({ outcome: 'shown' });
    expect(actor.getSnapshot().context.balanceFen).toBeNull();
  });

  it('takes a finished entry outside the configured length as a pad fault, never as a PIN to query', async () => {
    const { impl, signals } = services({ pin: async () => ({ digits: 4, completion: 'enter' }) });
    const actor = run(impl);
    await waitFor(actor, (s) => s.status === 'done');
    expect(actor.getSnapshot().output).toEqual({ outcome: 'padFault' });
    expect(signals['query']).toBeUndefined();
  });

  it('keeps the digit count within the pad and ignores keys outside PIN entry', () => {
    expect(digitsAfter(6, 'digit', 6)).toBe(6);
    expect(digitsAfter(0, 'backspace', 6)).toBe(0);
    expect(digitsAfter(5, 'clear', 6)).toBe(0);
    expect(digitsAfter(3, 'enter', 6)).toBe(3);
    const { impl } = services({});
    const actor = createActor(createBalanceQueryMachine(impl), { input: INPUT });
    actor.start();
    actor.send({ type: 'START' });
    actor.send({ type: 'PIN_KEY', key: 'digit' });
    expect(actor.getSnapshot().context.digitsEntered).toBe(0);
    actor.send({ type: 'ACCOUNT_ENTERED', account: '1380013800' });
    expect(actor.getSnapshot().context).toMatchObject({ accountRejected: true, account: null });
    actor.stop();
  });

  it('refuses settings it cannot run, naming the field', () => {
    const { impl } = services({});
    const bad = { ...INPUT, pinEntry: { ...INPUT.pinEntry, maxLength: 4 } };
    const actor = createActor(createBalanceQueryMachine(impl), { input: bad });
    const errors: unknown[] = [];
    actor.subscribe({ error: (error) => errors.push(error) });
    actor.start();
    expect(errors[0]).toMatchObject({
      code: ErrorCode.ConfigInvalid,
      details: { field: 'pinEntry.maxLength' },
    });
  });
});
