import { describe, expect, it } from 'vitest';
import { ErrorCode, isKioskError } from '../../core/errors.js';
import { decideEscrow } from '../../fsm/top-up/top-up-machine.js';
import { persistTopUp, restoreTopUp, TOP_UP_SNAPSHOT_VERSION } from '../../fsm/top-up/top-up-snapshot.js';
import {
  createRig,
  flush,
  GOOD_ACCOUNT,
  insertNote,
  type Rig,
  toInsertingCash,
  topUpInput,
} from './top-up-fixture.js';

type Driver = (rig: Rig) => Promise<void>;

const withCheck = topUpInput({ accountCheck: { enabled: true, offlinePolicy: 'accept' } });

/** Every state a top-up can be in when the daemon stops, and how to get there. */
const INTERRUPTED: Array<[string, Driver, unknown]> = [
  ['enteringAccount', async (r) => void r.actor.send({ type: 'START' }), 'enteringAccount'],
  [
    'checkingAccount',
    async (r) => {
      r.actor.send({ type: 'START' });
      r.actor.send({ type: 'ACCOUNT_ENTERED', account: GOOD_ACCOUNT });
    },
    'checkingAccount',
  ],
  [
    'openingTransaction',
    async (r) => {
      r.actor.send({ type: 'START' });
      r.actor.send({ type: 'ACCOUNT_ENTERED', account: GOOD_ACCOUNT });
      r.checkAccount.last().resolve({ ok: true });
      await flush();
    },
    'openingTransaction',
  ],
  [
    'insertingCash.ready',
    async (r) => {
      await openAndCheck(r);
      insertNote(r, 1000);
    },
    { insertingCash: 'ready' },
  ],
  [
    'insertingCash.noteInProgress',
    async (r) => {
      await openAndCheck(r);
      insertNote(r, 1000);
      r.actor.send({ type: 'NOTE_ESCROWED', escrowId: 'e', denomination: 500 });
    },
    { insertingCash: 'noteInProgress' },
  ],
  [
    'committing',
    async (r) => {
      await openAndCheck(r);
      insertNote(r, 1000);
      r.actor.send({ type: 'CONFIRM' });
    },
    'committing',
  ],
  [
    'commitFailed',
    async (r) => {
      await openAndCheck(r);
      insertNote(r, 1000);
      r.actor.send({ type: 'CONFIRM' });
      r.commitPayment.last().reject(new Error('locked'));
      await flush();
    },
    'commitFailed',
  ],
  [
    'printing',
    async (r) => {
      await openAndCheck(r);
      insertNote(r, 1000);
      r.actor.send({ type: 'CONFIRM' });
      r.commitPayment.last().resolve({ paymentId: 'p', amount: 1000, seq: 1 });
      await flush();
    },
    'printing',
  ],
];

async function openAndCheck(rig: Rig): Promise<void> {
  rig.actor.send({ type: 'START' });
  rig.actor.send({ type: 'ACCOUNT_ENTERED', account: GOOD_ACCOUNT });
  rig.checkAccount.last().resolve({ ok: true });
  await flush();
  rig.openTransaction.last().resolve({ txId: 'tx-1', dailyTotalSoFar: 0 });
  await flush();
}

function roundTrip(rig: Rig): unknown {
  return JSON.parse(JSON.stringify(persistTopUp(rig.actor)));
}

describe('top-up snapshots', () => {
  it.each(INTERRUPTED)(
    'a top-up stopped in %s restores into recovering, doing nothing',
    async (name, drive, value) => {
      const before = createRig(withCheck);
      await drive(before);
      expect(before.state()).toEqual(value);
      const persisted = roundTrip(before);
      expect(persisted).toMatchObject({ version: TOP_UP_SNAPSHOT_VERSION, value });

      const after = createRig(withCheck, { snapshot: restoreTopUp(persisted) });
      const snap = after.actor.getSnapshot();
      expect(snap.value).toBe('recovering');
      expect(snap.context.recoveredFrom).toBe(name.split('.')[0]);
      expect(snap.context.cashInOpen).toBe(false);
      // No invoked actor restarted, no timer survived, and every note goes back meanwhile.
      expect(after.checkAccount.calls.length + after.openTransaction.calls.length).toBe(0);
      expect(after.commitPayment.calls.length + after.printReceipt.calls.length).toBe(0);
      after.clock.increment(10 * 60_000);
      expect(after.state()).toBe('recovering');
      expect(decideEscrow(snap.context, { denomination: 100 })).toEqual({
        accept: false,
        reason: 'notInsertingCash',
      });
      expect(after.emitted).toEqual([]);
    },
  );

  it('a snapshot taken in recovering restores into recovering and keeps where it came from', async () => {
    const first = createRig();
    await toInsertingCash(first);
    const second = createRig(topUpInput(), { snapshot: restoreTopUp(roundTrip(first)) });
    const third = createRig(topUpInput(), { snapshot: restoreTopUp(roundTrip(second)) });
    expect(third.state()).toBe('recovering');
    expect(third.actor.getSnapshot().context.recoveredFrom).toBe('insertingCash');
  });

  it('idle, done and cancelled come back as they were', async () => {
    const idle = createRig();
    expect(createRig(topUpInput(), { snapshot: restoreTopUp(roundTrip(idle)) }).state()).toBe('idle');

    const cancelled = createRig();
    cancelled.actor.send({ type: 'CANCEL' });
    const c = createRig(topUpInput(), { snapshot: restoreTopUp(roundTrip(cancelled)) }).actor.getSnapshot();
    expect(c.status).toBe('done');
    expect(c.output).toEqual({ outcome: 'cancelled', txId: null, reason: 'customerCancelled' });

    const done = createRig(topUpInput(), { printer: false });
    await toInsertingCash(done);
    insertNote(done, 500);
    done.actor.send({ type: 'CONFIRM' });
    done.commitPayment.last().resolve({ paymentId: 'pay', amount: 500, seq: 3 });
    await flush();
    await flush();
    expect(done.state()).toBe('done');
    const d = createRig(topUpInput(), { snapshot: restoreTopUp(roundTrip(done)) }).actor.getSnapshot();
    expect(d.status).toBe('done');
    expect(d.output).toEqual(done.actor.getSnapshot().output);
  });

  it.each([0, 2, '1', null, undefined])('refuses version %j with SnapshotUnknownVersion', async (version) => {
    const rig = createRig();
    const persisted = { ...(roundTrip(rig) as object), version };
    let caught: unknown;
    try {
      restoreTopUp(persisted);
    } catch (error) {
      caught = error;
    }
    expect(isKioskError(caught, ErrorCode.SnapshotUnknownVersion)).toBe(true);
  });

  it.each([
    ['not an object', 'x', /object/],
    ['an unknown state', { value: 'dancing' }, /no state/],
    ['a substate where there is none', { value: { committing: 'x' } }, /no substates/],
    ['a float amount', { context: { total: 10.5 } }, /context\.total/],
    ['a missing field', { context: { notes: undefined } }, /context\.notes/],
    ['an unknown field', { context: { extra: 1 } }, /context/],
  ])('refuses %s with SnapshotInvalid', async (_, change, message) => {
    const rig = createRig();
    const base = roundTrip(rig) as { context: object };
    const persisted =
      typeof change === 'string'
        ? change
        : {
            ...base,
            ...change,
            context: { ...base.context, ...('context' in change ? change.context : {}) },
          };
    let caught: unknown;
    try {
      restoreTopUp(persisted);
    } catch (error) {
      caught = error;
    }
    expect(isKioskError(caught, ErrorCode.SnapshotInvalid)).toBe(true);
    expect((caught as Error).message).toMatch(message);
  });

  it('refuses a done snapshot without its payment', () => {
    const rig = createRig();
    const base = roundTrip(rig) as object;
    expect(() => restoreTopUp({ ...base, value: 'done' })).toThrow(/payment/);
  });
});

describe('top-up recovery', () => {
  async function interruptedIn(drive: Driver, input = topUpInput()): Promise<Rig> {
    const before = createRig(input);
    await drive(before);
    return createRig(input, { snapshot: restoreTopUp(roundTrip(before)) });
  }
  const cashIn: Driver = async (r) => {
    await toInsertingCash(r);
    insertNote(r, 1000);
    r.actor.send({ type: 'NOTE_ESCROWED', escrowId: 'e', denomination: 500 });
  };

  it('resumeCashIn goes back to cash-in with the journal notes and re-enables the acceptor', async () => {
    const rig = await interruptedIn(cashIn);
    const journalNotes = [
      { noteId: 'a', denomination: 1000 },
      { noteId: 'b', denomination: 500 },
    ];
    rig.actor.send({ type: 'RECOVERED', outcome: 'resumeCashIn', notes: journalNotes });
    const snap = rig.actor.getSnapshot();
    expect(snap.value).toEqual({ insertingCash: 'ready' });
    expect(snap.context).toMatchObject({
      notes: journalNotes,
      total: 1500,
      noteInProgress: false,
      escrow: null,
    });
    expect(rig.emitted.at(-1)?.type).toBe('acceptor.enable');
    expect(decideEscrow(snap.context, { denomination: 100 })).toEqual({ accept: true });
  });

  it('commitPartial commits the notes as a partial payment', async () => {
    const rig = await interruptedIn(cashIn);
    rig.actor.send({ type: 'RECOVERED', outcome: 'commitPartial' });
    expect(rig.state()).toBe('committing');
    expect(rig.commitPayment.last().input).toEqual({ txId: 'tx-1', kind: 'partial' });
  });

  it('cancel with notes in the journal still commits them: money is never dropped', async () => {
    const rig = await interruptedIn(cashIn);
    rig.actor.send({ type: 'RECOVERED', outcome: 'cancel' });
    expect(rig.state()).toBe('committing');
    expect(rig.commitPayment.last().input.kind).toBe('partial');
  });

  it('cancel (or commitPartial) with no credited note ends cancelled', async () => {
    for (const outcome of ['cancel', 'commitPartial'] as const) {
      const rig = await interruptedIn(async (r) => {
        await toInsertingCash(r);
        r.actor.send({ type: 'NOTE_ESCROWED', escrowId: 'e', denomination: 500 });
      });
      rig.actor.send({ type: 'RECOVERED', outcome, notes: [] });
      expect(rig.actor.getSnapshot().output).toEqual({
        outcome: 'cancelled',
        txId: 'tx-1',
        reason: 'recovered',
      });
    }
  });

  it('the journal notes win over a stale snapshot that had none', async () => {
    const rig = await interruptedIn(async (r) => {
      await toInsertingCash(r);
      r.actor.send({ type: 'NOTE_ESCROWED', escrowId: 'e', denomination: 500 });
    });
    rig.actor.send({ type: 'RECOVERED', outcome: 'cancel', notes: [{ noteId: 'x', denomination: 500 }] });
    expect(rig.state()).toBe('committing');
    expect(rig.actor.getSnapshot().context.total).toBe(500);
  });

  it('resumeCashIn before a transaction was opened ends cancelled', async () => {
    const rig = await interruptedIn(async (r) => void r.actor.send({ type: 'START' }));
    rig.actor.send({ type: 'RECOVERED', outcome: 'resumeCashIn' });
    expect(rig.actor.getSnapshot().output).toEqual({ outcome: 'cancelled', txId: null, reason: 'recovered' });
  });

  it.each(['committing', 'printing', 'commitFailed'])(
    'from %s every outcome re-runs the commit with its kind',
    async (stage) => {
      for (const outcome of ['resumeCashIn', 'commitPartial', 'cancel'] as const) {
        const rig = await interruptedIn(async (r) => {
          await toInsertingCash(r);
          insertNote(r, 1000);
          r.actor.send({ type: 'CONFIRM' });
          if (stage === 'printing') r.commitPayment.last().resolve({ paymentId: 'p', amount: 1000, seq: 1 });
          if (stage === 'commitFailed') r.commitPayment.last().reject(new Error('x'));
          await flush();
        });
        rig.actor.send({ type: 'RECOVERED', outcome });
        expect(rig.state()).toBe('committing');
        expect(rig.commitPayment.last().input).toEqual({ txId: 'tx-1', kind: 'complete' });
      }
    },
  );
});
