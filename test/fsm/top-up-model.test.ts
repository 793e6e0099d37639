import { describe, expect, it } from 'vitest';
import type { EventObject } from 'xstate';
import { getShortestPaths, getSimplePaths, type StatePath } from 'xstate/graph';
import { remainingLimit } from '../../fsm/top-up/cash-in-limits.js';
import type { TopUpContext, TopUpInput } from '../../fsm/top-up/top-up-context.js';
import {
  decideEscrow,
  type OpenTransactionOutput,
  type TopUpEvent,
  type TopUpSnapshot,
} from '../../fsm/top-up/top-up-machine.js';
import {
  createRig,
  flush,
  GOOD_ACCOUNT,
  type Rig,
  type ScriptedMachine,
  scriptedMachine,
  topUpInput,
} from './top-up-fixture.js';

/*
 * Model-based tests: xstate/graph walks the machine's own transition function with events the
 * outside world can produce in each state (including the invoked actors' results and the
 * delays), and every generated path is then replayed on a real actor, with scripted services
 * and a simulated clock, checking the money invariants after every step.
 */

const INPUT_TIMEOUTS = {
  accountEntryMs: 1000,
  accountCheckMs: 2000,
  idleCompleteMs: 3000,
  noCashMs: 4000,
  commitRetryMs: 5000,
};

const DELAY_MS: Record<string, number> = {
  accountEntryTimeout: INPUT_TIMEOUTS.accountEntryMs,
  accountCheckTimeout: INPUT_TIMEOUTS.accountCheckMs,
  idleComplete: INPUT_TIMEOUTS.idleCompleteMs,
  noCashTimeout: INPUT_TIMEOUTS.noCashMs,
  commitRetry: INPUT_TIMEOUTS.commitRetryMs,
};

function modelInput(offlinePolicy: 'accept' | 'refuse'): TopUpInput {
  return topUpInput({
    denominations: [100, 500, 1000],
    limits: { maxPerTransaction: 1500, maxPerAccountPerDay: 2000, maxNotesPerTransaction: 3 },
    accountCheck: { enabled: true, offlinePolicy },
    timeouts: INPUT_TIMEOUTS,
  });
}

const done = (id: string, output: unknown): ModelEvent => ({ type: `xstate.done.actor.${id}`, output });
const failed = (id: string): ModelEvent => ({
  type: `xstate.error.actor.${id}`,
  error: new Error(`${id} failed`),
});
const after = (delay: string, stateId: string): ModelEvent => ({ type: `xstate.after.${delay}.${stateId}` });

/** What the outside world can do to a top-up in each state. */
/** The machine's own events, plus what its invoked actors and delays send it. */
type ModelEvent = TopUpEvent | { type: `xstate.${string}`; output?: unknown; error?: unknown };

function eventsFor(snapshot: TopUpSnapshot): ModelEvent[] {
  const c = snapshot.context;
  const v = snapshot.value;
  if (v === 'idle') return [{ type: 'START' }, { type: 'CANCEL' }];
  if (v === 'enteringAccount')
    return [
      { type: 'ACCOUNT_ENTERED', account: GOOD_ACCOUNT },
      { type: 'ACCOUNT_ENTERED', account: '12345' },
      { type: 'CANCEL' },
      after('accountEntryTimeout', 'topUp.enteringAccount'),
    ];
  if (v === 'checkingAccount')
    return [
      done('checkAccount', { ok: true, dailyTotalSoFar: 800 }),
      done('checkAccount', { ok: false }),
      failed('checkAccount'),
      after('accountCheckTimeout', 'topUp.checkingAccount'),
      { type: 'CANCEL' },
    ];
  if (v === 'openingTransaction')
    return [
      done('openTransaction', { txId: 'tx', dailyTotalSoFar: 0 }),
      failed('openTransaction'),
      { type: 'CANCEL' },
    ];
  if (snapshot.matches({ insertingCash: 'ready' }))
    return [
      ...c.denominations
        .filter((denomination) => decideEscrow(c, { denomination }).accept)
        .map((denomination): ModelEvent => ({ type: 'NOTE_ESCROWED', escrowId: 'e', denomination })),
      { type: 'CONFIRM' },
      { type: 'CANCEL' },
      after('idleComplete', 'topUp.insertingCash.ready'),
      after('noCashTimeout', 'topUp.insertingCash.ready'),
    ];
  if (snapshot.matches({ insertingCash: 'noteInProgress' }))
    return [
      { type: 'NOTE_CREDITED', noteId: `n${c.notes.length}`, denomination: c.escrow?.denomination ?? 0 },
      { type: 'NOTE_RETURNED', escrowId: 'e' },
      { type: 'NOTE_REJECTED', reason: 'counterfeit' },
      { type: 'CANCEL' },
    ];
  if (v === 'committing')
    return [done('commitPayment', { paymentId: 'pay', amount: c.total, seq: 1 }), failed('commitPayment')];
  if (v === 'commitFailed') return [{ type: 'RETRY_COMMIT' }, after('commitRetry', 'topUp.commitFailed')];
  if (v === 'printing')
    return [
      done('printReceipt', { printed: true }),
      done('printReceipt', { printed: false }),
      failed('printReceipt'),
    ];
  return [];
}

/**
 * The parts of a snapshot that matter to behaviour: the input's constants are left out, and so
 * is the commit attempt counter, which would make every failed-commit loop a new state.
 */
function serialize(snapshot: TopUpSnapshot): string {
  const { denominations, limits, accountCheck, timeouts, commitAttempts, error, ...varying } =
    snapshot.context;
  return JSON.stringify({ value: snapshot.value, error: error?.code ?? null, varying });
}

/** The money invariants, as a list of what is broken (plain checks: this runs on every step of every path). */
function violations(rig: Rig): string[] {
  const snap = rig.actor.getSnapshot();
  const c: TopUpContext = snap.context;
  const broken: string[] = [];
  const check = (ok: boolean, what: string) => {
    if (!ok) broken.push(what);
  };
  check(c.total === c.notes.reduce((s, n) => s + n.denomination, 0), 'total = sum of notes');
  check(c.total <= c.limits.maxPerTransaction, 'total ≤ per-transaction limit');
  check(c.dailyTotalSoFar + c.total <= c.limits.maxPerAccountPerDay, 'today + total ≤ daily limit');
  check(c.notes.length <= c.limits.maxNotesPerTransaction, 'notes ≤ maxNotes');
  check(new Set(c.notes.map((n) => n.noteId)).size === c.notes.length, 'no note counted twice');
  const remaining = remainingLimit(c);
  check(
    c.acceptedDenominations.every((d) => d <= remaining),
    'accepted denominations ≤ remaining',
  );
  if (c.notes.length === c.limits.maxNotesPerTransaction)
    check(c.acceptedDenominations.length === 0, 'nothing accepted at maxNotes');
  const inCashIn = snap.matches('insertingCash');
  check(c.cashInOpen === inCashIn, 'cashInOpen exactly while inserting cash');
  const told = JSON.stringify(rig.emitted.at(-1));
  if (inCashIn) {
    const expected =
      c.acceptedDenominations.length === 0
        ? { type: 'acceptor.disable' }
        : { type: 'acceptor.enable', denominations: c.acceptedDenominations };
    check(told === JSON.stringify(expected), 'acceptor told exactly what fits');
  } else if (told !== undefined) {
    check(told === JSON.stringify({ type: 'acceptor.disable' }), 'acceptor disabled outside cash-in');
  }
  if (snap.value === 'done') {
    const out = snap.output;
    check(c.paymentId !== null, 'done ⇒ paymentId');
    check(
      out?.outcome === 'done' && out.paymentId === c.paymentId && out.amount === c.total,
      'done ⇒ output is the payment',
    );
    check(c.notes.length > 0, 'done ⇒ notes');
  }
  if (snap.value === 'cancelled') {
    check(c.notes.length === 0, 'cancelled ⇒ no notes');
    check(snap.output?.outcome === 'cancelled', 'cancelled ⇒ cancelled output');
  }
  if (snap.value === 'committing' || snap.value === 'commitFailed' || snap.value === 'printing')
    check(c.notes.length > 0, 'only money is committed');
  return broken;
}

function assertInvariants(rig: Rig, label: string): void {
  const broken = violations(rig);
  if (broken.length > 0)
    expect(broken, `${label} in ${JSON.stringify(rig.actor.getSnapshot().value)}`).toEqual([]);
}

const SERVICE_OF: Record<
  string,
  keyof Pick<Rig, 'checkAccount' | 'openTransaction' | 'commitPayment' | 'printReceipt'>
> = {
  checkAccount: 'checkAccount',
  openTransaction: 'openTransaction',
  commitPayment: 'commitPayment',
  printReceipt: 'printReceipt',
};

/** Plays one path on a real actor: actor results through the scripted services, delays on the clock. */
async function replay(
  path: StatePath<TopUpSnapshot, TopUpEvent>,
  input: TopUpInput,
  shared: ScriptedMachine,
): Promise<void> {
  const rig = createRig(input, { shared });
  assertInvariants(rig, 'start');
  for (const [i, step] of path.steps.entries()) {
    const event = step.event as EventObject & { output?: unknown };
    const [, kind, , name, delay] = /^xstate\.(done|error|after)\.(actor\.)?([^.]+)/.exec(event.type) ?? [];
    const id = name ?? delay;
    if (kind === 'after' && id !== undefined) {
      rig.clock.increment(DELAY_MS[id] ?? Number.NaN);
    } else if ((kind === 'done' || kind === 'error') && id !== undefined) {
      const service = SERVICE_OF[id];
      if (service === undefined) throw new Error(`no service for ${event.type}`);
      const call = rig[service].last();
      if (kind === 'done') call.resolve(event.output as never);
      else call.reject(new Error(`${id} failed`));
      await flush();
    } else {
      rig.actor.send(event as TopUpEvent);
    }
    assertInvariants(rig, `step ${i} ${event.type}`);
    const actual = rig.actor.getSnapshot().value;
    if (JSON.stringify(actual) !== JSON.stringify(step.state.value))
      expect(actual, `step ${i} ${event.type}: the actor follows the model`).toEqual(step.state.value);
  }
}

describe.each(['accept', 'refuse'] as const)('top-up model (offline policy %s)', (policy) => {
  const input = modelInput(policy);
  const shared = scriptedMachine();
  const { machine } = shared;
  const options = {
    input,
    events: (s: TopUpSnapshot) => eventsFor(s) as TopUpEvent[],
    serializeState: serialize,
  };

  it('every shortest path to every reachable state keeps the invariants on a real actor', async () => {
    const paths = getShortestPaths(machine, options);
    const values = new Set(paths.map((p) => JSON.stringify(p.state.value)));
    for (const expected of [
      'idle',
      'enteringAccount',
      'checkingAccount',
      'openingTransaction',
      { insertingCash: 'ready' },
      { insertingCash: 'noteInProgress' },
      'committing',
      'commitFailed',
      'printing',
      'done',
      'cancelled',
    ].map((v) => JSON.stringify(v)))
      expect(values, `reachable: ${expected}`).toContain(expected);
    expect(paths.length).toBeGreaterThan(50);
    // A state some longer path passes through is checked on that path's way: replaying only
    // the paths that end where no other path goes still visits every state.
    const passedThrough = new Set(
      paths.flatMap((p) => p.steps.slice(0, -1).map((step) => serialize(step.state))),
    );
    const leaves = paths.filter((p) => !passedThrough.has(serialize(p.state)));
    const visited = new Set(leaves.flatMap((p) => p.steps.map((step) => serialize(step.state))));
    for (const p of paths) expect(visited.has(serialize(p.state)) || p.steps.length === 0).toBe(true);
    for (const path of leaves) await replay(path, input, shared);
  });
});

/** Only what happens during cash-in varies here: the paths are every order of notes, returns, confirms and cancels. */
const CASH_IN_ONLY = new Set([
  'START',
  'NOTE_ESCROWED',
  'NOTE_CREDITED',
  'NOTE_RETURNED',
  'NOTE_REJECTED',
  'CONFIRM',
  'CANCEL',
  'xstate.after.idleComplete.topUp.insertingCash.ready',
  'xstate.after.noCashTimeout.topUp.insertingCash.ready',
  'xstate.done.actor.commitPayment',
  'xstate.done.actor.printReceipt',
]);

describe('top-up model: cash-in histories', () => {
  const input = topUpInput({
    ...modelInput('accept'),
    accountCheck: { enabled: false, offlinePolicy: 'accept' },
  });
  const shared = scriptedMachine();

  it('every simple path to the end of a transaction keeps the invariants on a real actor', async () => {
    const paths = getSimplePaths(shared.machine, {
      input,
      // getSimplePaths searches once per target state: one vertex per way of ending keeps that
      // to three searches, while every route to it is still a path of its own.
      serializeState: (s: TopUpSnapshot) =>
        s.status === 'done'
          ? JSON.stringify([s.value, s.context.kind, s.context.cancelReason])
          : serialize(s),
      events: (s: TopUpSnapshot) => eventsFor(s) as TopUpEvent[],
      filterEvents: (_, event) => {
        const e = event as ModelEvent;
        return (
          CASH_IN_ONLY.has(e.type) ||
          (e.type === 'ACCOUNT_ENTERED' && e.account === GOOD_ACCOUNT) ||
          (e.type === 'xstate.done.actor.openTransaction' &&
            (e.output as OpenTransactionOutput).dailyTotalSoFar === 0)
        );
      },
      toState: (s) => s.status === 'done',
    });
    const outcomes = new Set(paths.map((p) => JSON.stringify([p.state.value, p.state.context.kind])));
    expect(outcomes).toEqual(
      new Set([
        JSON.stringify(['cancelled', null]),
        JSON.stringify(['done', 'complete']),
        JSON.stringify(['done', 'partial']),
      ]),
    );
    expect(paths.length).toBeGreaterThan(200);
    for (const path of paths) await replay(path, input, shared);
  });
});
