import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type KioskRig, readEvents, startKioskRig, waitUntil } from './kiosk-daemon-rig.js';

/**
 * Whole customer transactions over real HTTP against the real daemon wiring: the notes go
 * through the simulated acceptor, the ID-003 driver and the journal exactly as in the field.
 */
describe('kiosk API: top-ups end to end', () => {
  let rig: KioskRig;

  beforeAll(async () => {
    rig = await startKioskRig({
      limits: { maxPerTransaction: 10_000, maxPerAccountPerDay: 20_000, maxNotesPerTransaction: 5 },
      transaction: { idleCompleteAfterMs: 5_000 },
    });
  });
  afterAll(async () => {
    await rig?.stop();
  });
  afterEach(async () => {
    // A failed test must not leave its top-up in the way of the next one.
    const current = await rig.request('GET', '/topups/current');
    if (current.status === 200 && !['done', 'cancelled'].includes(current.body.state)) {
      await rig.request('POST', '/topups/current/cancel', { body: {} });
      await rig.waitForTopUp((v) => v.state === 'done' || v.state === 'cancelled');
    }
  });

  async function startWithAccount(account: string) {
    const started = await rig.request('POST', '/topups', { body: {} });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const entered = await rig.request('PUT', '/topups/current/account', { body: { account } });
    expect(entered.status, JSON.stringify(entered.body)).toBe(200);
    return rig.waitForTopUp((v) => v.state === 'insertingCash' && v.acceptedDenominations.length > 0);
  }

  const insertAndWait = (denomination: number, expectedTotal: number) =>
    rig.creditNote(denomination, expectedTotal);

  it('runs a full top-up: start, account, two notes, confirm, payment and outbox row in the journal', async () => {
    const ledgerBefore = (await rig.ledger()).length;
    const started = await rig.request('POST', '/topups', { body: {} });
    expect(started.status).toBe(201);
    expect(started.body).toMatchObject({
      txId: null,
      state: 'enteringAccount',
      account: null,
      notes: [],
      total: 0,
      noteInProgress: false,
      paymentId: null,
      kind: null,
      receipt: null,
    });

    const entered = await rig.request('PUT', '/topups/current/account', { body: { account: '13800138000' } });
    expect(entered.status).toBe(200);
    const cashIn = await rig.waitForTopUp(
      (v) => v.state === 'insertingCash' && v.acceptedDenominations.length > 0,
    );
    expect(cashIn.account).toBe('138****8000');
    expect(cashIn.txId).toMatch(/^[0-9A-Z]{26}$/);
    expect(cashIn.remaining).toBe(10_000);
    expect(cashIn.acceptedDenominations).toEqual([100, 500, 1000, 2000, 5000, 10_000]);

    await insertAndWait(1000, 1000);
    const two = await insertAndWait(5000, 6000);
    expect(two.notes.map((n: { denomination: number }) => n.denomination)).toEqual([1000, 5000]);
    expect(two.remaining).toBe(4000);
    expect(two.acceptedDenominations).toEqual([100, 500, 1000, 2000]);

    const confirmed = await rig.request('POST', '/topups/current/confirm', { body: {} });
    expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
    const done = await rig.waitForTopUp((v) => v.state === 'done');
    expect(done).toMatchObject({ total: 6000, kind: 'complete', receipt: false });
    expect(done.message.code).toBe('receiptUnavailable');
    expect(done.paymentId).toMatch(/^[0-9A-Z]{26}$/);

    const payment = rig.daemon.journal.payments.get(done.paymentId);
    expect(payment).toMatchObject({
      txId: cashIn.txId,
      account: '13800138000',
      amount: 6000,
      kind: 'complete',
    });
    expect(payment.receipt).toBe(false);
    const outbox = rig.daemon.journal.outbox.pending({ limit: 100 });
    expect(outbox.find((row) => row.paymentId === done.paymentId)?.payload.amount).toBe(6000);
    expect(rig.daemon.journal.checkConservation()).toEqual([]);
    expect((await rig.ledger()).length).toBe(ledgerBefore + 2);
    expect(rig.daemon.journal.snapshots.get('topUp')).toBeNull();

    const finished = await rig.request('GET', `/topups/${cashIn.txId}`);
    expect(finished.status).toBe(200);
    expect(finished.body).toMatchObject({
      txId: cashIn.txId,
      state: 'done',
      total: 6000,
      paymentId: done.paymentId,
    });
  });

  it('cancels with nothing stacked: the top-up ends cancelled and nothing is paid', async () => {
    const view = await startWithAccount('13900139000');
    const paymentsBefore = rig.daemon.journal.summary().payments;
    const cancelled = await rig.request('POST', '/topups/current/cancel', { body: {} });
    expect(cancelled.status).toBe(200);
    const ended = await rig.waitForTopUp((v) => v.state === 'cancelled');
    expect(ended).toMatchObject({ total: 0, paymentId: null, acceptedDenominations: [] });
    expect(rig.daemon.journal.summary().payments).toBe(paymentsBefore);
    expect(rig.daemon.journal.transactions.get(view.txId).state).toBe('cancelled');
  });

  it('cancels after a stacked note: the money is kept and the top-up completes as partial', async () => {
    await startWithAccount('13700137000');
    await insertAndWait(2000, 2000);
    const cancelled = await rig.request('POST', '/topups/current/cancel', { body: {} });
    expect(cancelled.status).toBe(200);
    const done = await rig.waitForTopUp((v) => v.state === 'done');
    expect(done).toMatchObject({ kind: 'partial', total: 2000 });
    expect(rig.daemon.journal.payments.get(done.paymentId)).toMatchObject({ amount: 2000, kind: 'partial' });
  });

  it('gives back a note above the remaining limit: the cashbox ledger and the total do not change', async () => {
    await startWithAccount('13600136000');
    await insertAndWait(5000, 5000);
    const atLimit = await insertAndWait(2000, 7000);
    expect(atLimit.remaining).toBe(3000);
    expect(atLimit.acceptedDenominations).not.toContain(5000);
    const ledgerBefore = await rig.ledger();
    const stream = readEvents(await fetch(`${rig.api}/events?lang=en`));
    try {
      await rig.insertNote(5000);
      const refused = await waitUntil(
        () => stream.events.find((e) => e.type === 'topup.noteReturned' || e.type === 'topup.noteRejected'),
        'the note to come back',
      );
      expect(refused.data.message.text).toMatch(/given back/);
    } finally {
      stream.close();
    }
    const after = await rig.waitForTopUp((v) => !v.noteInProgress);
    expect(after.total).toBe(7000);
    expect(await rig.ledger()).toEqual(ledgerBefore);
    expect((await rig.request('POST', '/topups/current/confirm', { body: {} })).status).toBe(200);
    await rig.waitForTopUp((v) => v.state === 'done');
  });

  it('completes on its own after the idle delay once a note is stacked', { timeout: 15_000 }, async () => {
    await startWithAccount('13500135000');
    await insertAndWait(100, 100);
    const creditedAt = Date.now();
    const done = await rig.waitForTopUp((v) => v.state === 'done', 9_000);
    expect(Date.now() - creditedAt).toBeGreaterThanOrEqual(4_500);
    expect(done).toMatchObject({ kind: 'complete', total: 100 });
    expect(rig.daemon.journal.payments.get(done.paymentId).amount).toBe(100);
  });

  it('streams snapshot first, then topup.note and topup.done in order', async () => {
    const stream = readEvents(await fetch(`${rig.api}/events`));
    try {
      await waitUntil(() => stream.events.find((e) => e.type === 'snapshot'), 'the snapshot');
      const view = await startWithAccount('13400134000');
      await insertAndWait(1000, 1000);
      expect((await rig.request('POST', '/topups/current/confirm', { body: {} })).status).toBe(200);
      const done = await waitUntil(() => stream.events.find((e) => e.type === 'topup.done'), 'topup.done');
      expect(done.data).toMatchObject({ txId: view.txId, amount: 1000, kind: 'complete', receipt: false });
      const types = stream.events.map((e) => e.type);
      expect(types[0]).toBe('snapshot');
      expect(stream.events[0]?.data.kiosk.mode).toBe('inService');
      const note = stream.events.find((e) => e.type === 'topup.note');
      expect(note?.data).toMatchObject({ txId: view.txId, denomination: 1000, total: 1000, remaining: 9000 });
      expect(types.indexOf('topup.note')).toBeLessThan(types.indexOf('topup.done'));
      const states = stream.events.filter((e) => e.type === 'topup.state').map((e) => e.data.state);
      expect(states).toContain('enteringAccount');
      expect(states).toContain('insertingCash');
      expect(states.at(-1)).toBe('done');
    } finally {
      stream.close();
    }
  });
});
