import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { ErrorCode, isKioskError } from '../../core/errors.js';
import { createTopUpMachine } from '../../fsm/top-up/top-up-machine.js';
import {
  createRig,
  flush,
  GOOD_ACCOUNT,
  insertNote,
  TIMEOUTS,
  toInsertingCash,
  topUpInput,
} from './top-up-fixture.js';

const lastEmitted = (rig: ReturnType<typeof createRig>) => rig.emitted.at(-1);

describe('top-up machine: account entry', () => {
  it('starts idle and enters account entry on START', () => {
    const rig = createRig();
    expect(rig.state()).toBe('idle');
    rig.actor.send({ type: 'START' });
    expect(rig.state()).toBe('enteringAccount');
  });

  it('cancels from idle with nothing to close', () => {
    const rig = createRig();
    rig.actor.send({ type: 'CANCEL' });
    expect(rig.actor.getSnapshot().output).toEqual({
      outcome: 'cancelled',
      txId: null,
      reason: 'customerCancelled',
    });
  });

  it.each(['12800138000', '1380013800', '138001380001', '1380013800a', ' 13800138000', ''])(
    'keeps the customer in account entry for %j and says why',
    (account) => {
      const rig = createRig();
      rig.actor.send({ type: 'START' });
      rig.actor.send({ type: 'ACCOUNT_ENTERED', account });
      const snap = rig.actor.getSnapshot();
      expect(snap.value).toBe('enteringAccount');
      expect(snap.context.error?.code).toBe('invalidAccount');
      expect(snap.context.account).toBeNull();
      expect(rig.openTransaction.calls).toHaveLength(0);
    },
  );

  it('clears the error once a valid number arrives and opens the journal transaction', async () => {
    const rig = createRig();
    rig.actor.send({ type: 'START' });
    rig.actor.send({ type: 'ACCOUNT_ENTERED', account: '123' });
    rig.actor.send({ type: 'ACCOUNT_ENTERED', account: '19912345678' });
    expect(rig.state()).toBe('openingTransaction');
    expect(rig.actor.getSnapshot().context.error).toBeNull();
    expect(rig.openTransaction.last().input).toEqual({ account: '19912345678' });
    rig.openTransaction.last().resolve({ txId: 'tx-9', dailyTotalSoFar: 300 });
    await flush();
    expect(rig.state()).toEqual({ insertingCash: 'ready' });
    expect(rig.actor.getSnapshot().context).toMatchObject({ txId: 'tx-9', dailyTotalSoFar: 300 });
  });

  it('cancels on the account entry timeout, and not a moment before', () => {
    const rig = createRig();
    rig.actor.send({ type: 'START' });
    rig.clock.increment(TIMEOUTS.accountEntryMs - 1);
    expect(rig.state()).toBe('enteringAccount');
    rig.clock.increment(1);
    expect(rig.actor.getSnapshot().output).toMatchObject({
      outcome: 'cancelled',
      reason: 'accountEntryTimeout',
    });
  });

  it('honours an overridden accountEntryTimeout delay', () => {
    const base = createTopUpMachine({
      checkAccount: async () => ({ ok: true }),
      openTransaction: async () => ({ txId: 't', dailyTotalSoFar: 0 }),
      commitPayment: async () => ({ paymentId: 'p', amount: 1, seq: 1 }),
    });
    const machine = base.provide({ delays: { accountEntryTimeout: 10 } });
    const rig = createRig();
    const actor = createActor(machine, { input: topUpInput(), clock: rig.clock }).start();
    actor.send({ type: 'START' });
    rig.clock.increment(10);
    expect(actor.getSnapshot().value).toBe('cancelled');
  });

  it('cancels from account entry on CANCEL', () => {
    const rig = createRig();
    rig.actor.send({ type: 'START' });
    rig.actor.send({ type: 'CANCEL' });
    expect(rig.actor.getSnapshot().output).toMatchObject({
      outcome: 'cancelled',
      reason: 'customerCancelled',
    });
  });

  it('refuses a bad input before any state exists', () => {
    const rig = createRig();
    const actor = createActor(rig.machine, { input: topUpInput({ denominations: [500, 100] }) });
    const errors: unknown[] = [];
    actor.subscribe({ error: (e) => errors.push(e) });
    actor.start();
    expect(actor.getSnapshot().status).toBe('error');
    expect(isKioskError(errors[0], ErrorCode.ConfigInvalid)).toBe(true);
    expect(actor.getSnapshot().context).toEqual({});
  });
});

describe('top-up machine: account check', () => {
  const withCheck = (offlinePolicy: 'accept' | 'refuse') =>
    createRig(topUpInput({ accountCheck: { enabled: true, offlinePolicy } }));

  it('looks the account up when enabled and takes the larger daily figure', async () => {
    const rig = withCheck('accept');
    rig.actor.send({ type: 'START' });
    rig.actor.send({ type: 'ACCOUNT_ENTERED', account: GOOD_ACCOUNT });
    expect(rig.state()).toBe('checkingAccount');
    expect(rig.checkAccount.last().input).toEqual({ account: GOOD_ACCOUNT });
    rig.checkAccount.last().resolve({ ok: true, dailyTotalSoFar: 4000 });
    await flush();
    expect(rig.state()).toBe('openingTransaction');
    rig.openTransaction.last().resolve({ txId: 'tx', dailyTotalSoFar: 1000 });
    await flush();
    expect(rig.actor.getSnapshot().context.dailyTotalSoFar).toBe(4000);
  });

  it('sends an unknown account back to account entry', async () => {
    const rig = withCheck('accept');
    rig.actor.send({ type: 'START' });
    rig.actor.send({ type: 'ACCOUNT_ENTERED', account: GOOD_ACCOUNT });
    rig.checkAccount.last().resolve({ ok: false });
    await flush();
    expect(rig.state()).toBe('enteringAccount');
    expect(rig.actor.getSnapshot().context).toMatchObject({
      account: null,
      error: { code: 'accountUnknown' },
    });
  });

  it.each([
    ['accept', 'error', 'openingTransaction'],
    ['refuse', 'error', 'cancelled'],
    ['accept', 'timeout', 'openingTransaction'],
    ['refuse', 'timeout', 'cancelled'],
  ] as const)('offline policy %s on lookup %s → %s', async (policy, failure, expected) => {
    const rig = withCheck(policy);
    rig.actor.send({ type: 'START' });
    rig.actor.send({ type: 'ACCOUNT_ENTERED', account: GOOD_ACCOUNT });
    if (failure === 'error') rig.checkAccount.last().reject(new Error('connection refused'));
    else {
      rig.clock.increment(TIMEOUTS.accountCheckMs - 1);
      expect(rig.state()).toBe('checkingAccount');
      rig.clock.increment(1);
    }
    await flush();
    const snap = rig.actor.getSnapshot();
    expect(snap.value).toBe(expected);
    expect(snap.context.error?.code).toBe('accountCheckUnavailable');
    if (expected === 'cancelled') expect(snap.output).toMatchObject({ reason: 'accountCheckUnavailable' });
    if (failure === 'timeout') expect(rig.checkAccount.last().signal.aborted).toBe(true);
  });

  it('cancels during the lookup', () => {
    const rig = withCheck('accept');
    rig.actor.send({ type: 'START' });
    rig.actor.send({ type: 'ACCOUNT_ENTERED', account: GOOD_ACCOUNT });
    rig.actor.send({ type: 'CANCEL' });
    expect(rig.state()).toBe('cancelled');
  });
});

describe('top-up machine: opening the journal transaction', () => {
  it('ends cancelled when the journal cannot open one', async () => {
    const rig = createRig();
    rig.actor.send({ type: 'START' });
    rig.actor.send({ type: 'ACCOUNT_ENTERED', account: GOOD_ACCOUNT });
    rig.openTransaction.last().reject(new Error('disk I/O error'));
    await flush();
    expect(rig.actor.getSnapshot().output).toEqual({
      outcome: 'cancelled',
      txId: null,
      reason: 'journalUnavailable',
    });
    expect(rig.actor.getSnapshot().context.error).toEqual({
      code: 'journalUnavailable',
      detail: 'disk I/O error',
    });
  });

  it('a cancel while opening ends cancelled with the txId, so the service can close it', async () => {
    const rig = createRig();
    rig.actor.send({ type: 'START' });
    rig.actor.send({ type: 'ACCOUNT_ENTERED', account: GOOD_ACCOUNT });
    rig.actor.send({ type: 'CANCEL' });
    expect(rig.state()).toBe('openingTransaction');
    rig.openTransaction.last().resolve({ txId: 'tx-7', dailyTotalSoFar: 0 });
    await flush();
    expect(rig.actor.getSnapshot().output).toEqual({
      outcome: 'cancelled',
      txId: 'tx-7',
      reason: 'customerCancelled',
    });
    expect(rig.emitted.filter((e) => e.type === 'acceptor.enable')).toHaveLength(0);
  });
});

describe('top-up machine: cash-in and limits', () => {
  it('enables exactly the denominations that fit, on entry and after each credit', async () => {
    const rig = createRig(
      topUpInput({
        limits: { maxPerTransaction: 6000, maxPerAccountPerDay: 50_000, maxNotesPerTransaction: 5 },
      }),
    );
    await toInsertingCash(rig);
    expect(lastEmitted(rig)).toEqual({
      type: 'acceptor.enable',
      denominations: [100, 500, 1000, 2000, 5000],
    });
    insertNote(rig, 5000);
    expect(rig.actor.getSnapshot().context).toMatchObject({ total: 5000, noteInProgress: false });
    expect(lastEmitted(rig)).toEqual({ type: 'acceptor.enable', denominations: [100, 500, 1000] });
    insertNote(rig, 500);
    expect(lastEmitted(rig)).toEqual({ type: 'acceptor.enable', denominations: [100, 500] });
  });

  it('the daily limit counts what the account got earlier today', async () => {
    const rig = createRig(
      topUpInput({
        limits: { maxPerTransaction: 20_000, maxPerAccountPerDay: 22_000, maxNotesPerTransaction: 5 },
      }),
    );
    await toInsertingCash(rig, 19_000);
    expect(lastEmitted(rig)).toEqual({ type: 'acceptor.enable', denominations: [100, 500, 1000, 2000] });
    insertNote(rig, 2000);
    expect(lastEmitted(rig)).toEqual({ type: 'acceptor.enable', denominations: [100, 500, 1000] });
  });

  it('disables the acceptor when the remaining limit is below the smallest note', async () => {
    const rig = createRig(
      topUpInput({
        limits: { maxPerTransaction: 1050, maxPerAccountPerDay: 50_000, maxNotesPerTransaction: 5 },
      }),
    );
    await toInsertingCash(rig);
    insertNote(rig, 1000);
    expect(lastEmitted(rig)).toEqual({ type: 'acceptor.disable' });
    expect(rig.actor.getSnapshot().context.acceptedDenominations).toEqual([]);
    expect(rig.state()).toEqual({ insertingCash: 'ready' });
  });

  it('disables the acceptor at maxNotes even with limit to spare', async () => {
    const rig = createRig(
      topUpInput({
        limits: { maxPerTransaction: 20_000, maxPerAccountPerDay: 50_000, maxNotesPerTransaction: 2 },
      }),
    );
    await toInsertingCash(rig);
    insertNote(rig, 100);
    expect(lastEmitted(rig)?.type).toBe('acceptor.enable');
    insertNote(rig, 100);
    expect(lastEmitted(rig)).toEqual({ type: 'acceptor.disable' });
  });

  it('marks a note in progress between escrow and its settlement', async () => {
    const rig = createRig();
    await toInsertingCash(rig);
    rig.actor.send({ type: 'NOTE_ESCROWED', escrowId: 'e', denomination: 500 });
    expect(rig.state()).toEqual({ insertingCash: 'noteInProgress' });
    expect(rig.actor.getSnapshot().context).toMatchObject({
      noteInProgress: true,
      escrow: { escrowId: 'e', denomination: 500 },
      cashInOpen: true,
    });
    rig.actor.send({ type: 'NOTE_RETURNED', escrowId: 'e' });
    expect(rig.actor.getSnapshot().context).toMatchObject({ noteInProgress: false, escrow: null, total: 0 });
    rig.actor.send({ type: 'NOTE_ESCROWED', escrowId: 'f', denomination: 500 });
    rig.actor.send({ type: 'NOTE_REJECTED', reason: 'counterfeit' });
    expect(rig.state()).toEqual({ insertingCash: 'ready' });
    expect(rig.actor.getSnapshot().context.notes).toEqual([]);
  });

  it('counts a repeated credit of the same note once', async () => {
    const rig = createRig();
    await toInsertingCash(rig);
    rig.actor.send({ type: 'NOTE_CREDITED', noteId: 'n1', denomination: 500 });
    rig.actor.send({ type: 'NOTE_CREDITED', noteId: 'n1', denomination: 500 });
    expect(rig.actor.getSnapshot().context).toMatchObject({
      total: 500,
      notes: [{ noteId: 'n1', denomination: 500 }],
    });
  });

  it('confirm needs a credited note and no note in progress', async () => {
    const rig = createRig();
    await toInsertingCash(rig);
    rig.actor.send({ type: 'CONFIRM' });
    expect(rig.state()).toEqual({ insertingCash: 'ready' });
    rig.actor.send({ type: 'NOTE_ESCROWED', escrowId: 'e', denomination: 500 });
    rig.actor.send({ type: 'NOTE_CREDITED', noteId: 'n', denomination: 500 });
    rig.actor.send({ type: 'NOTE_ESCROWED', escrowId: 'e2', denomination: 500 });
    rig.actor.send({ type: 'CONFIRM' });
    expect(rig.state()).toEqual({ insertingCash: 'noteInProgress' });
    rig.actor.send({ type: 'NOTE_RETURNED' });
    rig.actor.send({ type: 'CONFIRM' });
    expect(rig.state()).toBe('committing');
    expect(rig.commitPayment.last().input).toEqual({ txId: 'tx-1', kind: 'complete' });
    expect(lastEmitted(rig)).toEqual({ type: 'acceptor.disable' });
    expect(rig.actor.getSnapshot().context.cashInOpen).toBe(false);
  });
});

describe('top-up machine: cancel', () => {
  it('with nothing stacked ends cancelled and disables the acceptor', async () => {
    const rig = createRig();
    await toInsertingCash(rig);
    rig.actor.send({ type: 'CANCEL' });
    expect(rig.actor.getSnapshot().output).toEqual({
      outcome: 'cancelled',
      txId: 'tx-1',
      reason: 'customerCancelled',
    });
    expect(lastEmitted(rig)).toEqual({ type: 'acceptor.disable' });
    expect(rig.commitPayment.calls).toHaveLength(0);
  });

  it('with notes stacked completes as a partial payment', async () => {
    const rig = createRig();
    await toInsertingCash(rig);
    insertNote(rig, 1000);
    rig.actor.send({ type: 'CANCEL' });
    expect(rig.state()).toBe('committing');
    expect(rig.commitPayment.last().input).toEqual({ txId: 'tx-1', kind: 'partial' });
  });

  it('with a note in progress waits: credited → partial payment', async () => {
    const rig = createRig();
    await toInsertingCash(rig);
    rig.actor.send({ type: 'NOTE_ESCROWED', escrowId: 'e', denomination: 500 });
    rig.actor.send({ type: 'CANCEL' });
    expect(rig.state()).toEqual({ insertingCash: 'noteInProgress' });
    expect(rig.actor.getSnapshot().context.cancelRequested).toBe(true);
    rig.actor.send({ type: 'NOTE_CREDITED', noteId: 'n', denomination: 500 });
    expect(rig.state()).toBe('committing');
    expect(rig.commitPayment.last().input.kind).toBe('partial');
  });

  it('with a note in progress waits: returned and nothing stacked → cancelled', async () => {
    const rig = createRig();
    await toInsertingCash(rig);
    rig.actor.send({ type: 'NOTE_ESCROWED', escrowId: 'e', denomination: 500 });
    rig.actor.send({ type: 'CANCEL' });
    rig.actor.send({ type: 'NOTE_RETURNED', escrowId: 'e' });
    expect(rig.actor.getSnapshot().output).toMatchObject({ outcome: 'cancelled', txId: 'tx-1' });
  });

  it('with a note in progress and earlier notes: rejected → partial payment', async () => {
    const rig = createRig();
    await toInsertingCash(rig);
    insertNote(rig, 100);
    rig.actor.send({ type: 'NOTE_ESCROWED', escrowId: 'e', denomination: 500 });
    rig.actor.send({ type: 'CANCEL' });
    rig.actor.send({ type: 'NOTE_REJECTED' });
    expect(rig.state()).toBe('committing');
    expect(rig.commitPayment.last().input.kind).toBe('partial');
  });
});

describe('top-up machine: timeouts during cash-in', () => {
  it('idle-completes only once a note is stacked, restarted by every credit', async () => {
    const rig = createRig();
    await toInsertingCash(rig);
    rig.clock.increment(TIMEOUTS.idleCompleteMs);
    expect(rig.state()).toEqual({ insertingCash: 'ready' });
    insertNote(rig, 100);
    rig.clock.increment(TIMEOUTS.idleCompleteMs - 1);
    insertNote(rig, 100);
    rig.clock.increment(TIMEOUTS.idleCompleteMs - 1);
    expect(rig.state()).toEqual({ insertingCash: 'ready' });
    rig.clock.increment(1);
    expect(rig.state()).toBe('committing');
    expect(rig.commitPayment.last().input.kind).toBe('complete');
  });

  it('does not idle-complete while a note is in the acceptor', async () => {
    const rig = createRig();
    await toInsertingCash(rig);
    insertNote(rig, 100);
    rig.actor.send({ type: 'NOTE_ESCROWED', escrowId: 'e', denomination: 100 });
    rig.clock.increment(TIMEOUTS.idleCompleteMs * 2);
    expect(rig.state()).toEqual({ insertingCash: 'noteInProgress' });
  });

  it('an abandoned transaction with nothing stacked ends after noCashTimeout', async () => {
    const rig = createRig();
    await toInsertingCash(rig);
    rig.clock.increment(TIMEOUTS.noCashMs - 1);
    expect(rig.state()).toEqual({ insertingCash: 'ready' });
    rig.clock.increment(1);
    expect(rig.actor.getSnapshot().output).toMatchObject({ outcome: 'cancelled', reason: 'noCashTimeout' });
    expect(lastEmitted(rig)).toEqual({ type: 'acceptor.disable' });
  });
});

describe('top-up machine: commit and receipt', () => {
  async function toCommitting(printer = true) {
    const rig = createRig(topUpInput(), { printer });
    await toInsertingCash(rig);
    insertNote(rig, 1000);
    insertNote(rig, 500);
    rig.actor.send({ type: 'CONFIRM' });
    return rig;
  }

  it('prints a receipt and ends done with the payment', async () => {
    const rig = await toCommitting();
    rig.commitPayment.last().resolve({ paymentId: 'pay-1', amount: 1500, seq: 7 });
    await flush();
    expect(rig.state()).toBe('printing');
    expect(rig.printReceipt.last().input).toMatchObject({
      txId: 'tx-1',
      paymentId: 'pay-1',
      amount: 1500,
      seq: 7,
      account: GOOD_ACCOUNT,
      kind: 'complete',
    });
    rig.printReceipt.last().resolve({ printed: true });
    await flush();
    expect(rig.actor.getSnapshot().output).toEqual({
      outcome: 'done',
      txId: 'tx-1',
      paymentId: 'pay-1',
      amount: 1500,
      seq: 7,
      kind: 'complete',
      receipt: true,
    });
  });

  it('without a printer completes with receipt false', async () => {
    const rig = await toCommitting(false);
    rig.commitPayment.last().resolve({ paymentId: 'pay-2', amount: 1500, seq: 8 });
    await flush();
    await flush();
    expect(rig.actor.getSnapshot().output).toMatchObject({
      outcome: 'done',
      paymentId: 'pay-2',
      receipt: false,
    });
  });

  it('a printer failure still completes, with receipt false', async () => {
    const rig = await toCommitting();
    rig.commitPayment.last().resolve({ paymentId: 'pay-3', amount: 1500, seq: 9 });
    await flush();
    rig.printReceipt.last().reject(new Error('paper out'));
    await flush();
    expect(rig.actor.getSnapshot().output).toMatchObject({ outcome: 'done', receipt: false });
  });

  it('a failed commit waits in commitFailed and retries on RETRY_COMMIT', async () => {
    const rig = await toCommitting();
    rig.commitPayment.last().reject(new Error('database is locked'));
    await flush();
    expect(rig.state()).toBe('commitFailed');
    expect(rig.actor.getSnapshot().context.error).toEqual({
      code: 'commitFailed',
      detail: 'database is locked',
    });
    rig.actor.send({ type: 'CANCEL' });
    expect(rig.state()).toBe('commitFailed');
    rig.actor.send({ type: 'RETRY_COMMIT' });
    expect(rig.state()).toBe('committing');
    expect(rig.commitPayment.calls).toHaveLength(2);
    expect(rig.commitPayment.last().input).toEqual({ txId: 'tx-1', kind: 'complete' });
    expect(rig.actor.getSnapshot().context.commitAttempts).toBe(2);
  });

  it('a failed commit retries by itself after commitRetry', async () => {
    const rig = await toCommitting();
    rig.commitPayment.last().reject(new Error('busy'));
    await flush();
    rig.clock.increment(TIMEOUTS.commitRetryMs - 1);
    expect(rig.state()).toBe('commitFailed');
    rig.clock.increment(1);
    expect(rig.state()).toBe('committing');
    rig.commitPayment.last().resolve({ paymentId: 'pay-4', amount: 1500, seq: 10 });
    await flush();
    expect(rig.state()).toBe('printing');
    expect(rig.actor.getSnapshot().context.error).toBeNull();
  });

  it('ignores notes and cancels once committing', async () => {
    const rig = await toCommitting();
    rig.actor.send({ type: 'NOTE_CREDITED', noteId: 'late', denomination: 100 });
    rig.actor.send({ type: 'CANCEL' });
    expect(rig.state()).toBe('committing');
    expect(rig.actor.getSnapshot().context.total).toBe(1500);
  });
});
