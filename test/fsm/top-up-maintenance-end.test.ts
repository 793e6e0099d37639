import { describe, expect, it } from 'vitest';
import { createRig, flush, GOOD_ACCOUNT, insertNote, toInsertingCash } from './top-up-fixture.js';

/**
 * END_FOR_MAINTENANCE: a technician entered service mode. A top-up with no cash in ends,
 * cancelled for `maintenance`; one with a note credited or in escrow is never cut off.
 */
describe('top-up machine: ending for maintenance', () => {
  it('ends from idle, account entry and the account check with reason maintenance', () => {
    const idle = createRig();
    idle.actor.send({ type: 'END_FOR_MAINTENANCE' });
    expect(idle.actor.getSnapshot().output).toEqual({
      outcome: 'cancelled',
      txId: null,
      reason: 'maintenance',
    });

    const entering = createRig();
    entering.actor.send({ type: 'START' });
    entering.actor.send({ type: 'END_FOR_MAINTENANCE' });
    expect(entering.actor.getSnapshot().output).toMatchObject({
      outcome: 'cancelled',
      reason: 'maintenance',
    });
  });

  it('while the journal opens the transaction: ends once it is open, with its txId, still for maintenance', async () => {
    const rig = createRig();
    rig.actor.send({ type: 'START' });
    rig.actor.send({ type: 'ACCOUNT_ENTERED', account: GOOD_ACCOUNT });
    expect(rig.state()).toBe('openingTransaction');
    rig.actor.send({ type: 'END_FOR_MAINTENANCE' });
    rig.openTransaction.last().resolve({ txId: 'tx-7', dailyTotalSoFar: 0 });
    await flush();
    expect(rig.actor.getSnapshot().output).toEqual({
      outcome: 'cancelled',
      txId: 'tx-7',
      reason: 'maintenance',
    });
  });

  it('while the journal opens the transaction: a journal failure still says so, not maintenance', async () => {
    const rig = createRig();
    rig.actor.send({ type: 'START' });
    rig.actor.send({ type: 'ACCOUNT_ENTERED', account: GOOD_ACCOUNT });
    rig.actor.send({ type: 'END_FOR_MAINTENANCE' });
    rig.openTransaction.last().reject(new Error('disk I/O error'));
    await flush();
    expect(rig.actor.getSnapshot().output).toEqual({
      outcome: 'cancelled',
      txId: null,
      reason: 'journalUnavailable',
    });
  });

  it('ends at cash-in with nothing credited', async () => {
    const rig = createRig();
    await toInsertingCash(rig);
    rig.actor.send({ type: 'END_FOR_MAINTENANCE' });
    expect(rig.actor.getSnapshot().output).toEqual({
      outcome: 'cancelled',
      txId: 'tx-1',
      reason: 'maintenance',
    });
  });

  it('leaves a customer with a credited note alone: no partial payment, cash-in goes on', async () => {
    const rig = createRig();
    await toInsertingCash(rig);
    insertNote(rig, 1000);
    expect(rig.actor.getSnapshot().can({ type: 'END_FOR_MAINTENANCE' })).toBe(false);
    rig.actor.send({ type: 'END_FOR_MAINTENANCE' });
    expect(rig.state()).toEqual({ insertingCash: 'ready' });
    expect(rig.commitPayment.calls).toHaveLength(0);
    expect(rig.actor.getSnapshot().context.cancelReason).toBeNull();
  });

  it('leaves a customer with a note in escrow alone', async () => {
    const rig = createRig();
    await toInsertingCash(rig);
    rig.actor.send({ type: 'NOTE_ESCROWED', escrowId: 'esc-m', denomination: 5000 });
    rig.actor.send({ type: 'END_FOR_MAINTENANCE' });
    expect(rig.state()).toEqual({ insertingCash: 'noteInProgress' });
    rig.actor.send({ type: 'NOTE_CREDITED', noteId: 'note-m', denomination: 5000 });
    expect(rig.state()).toEqual({ insertingCash: 'ready' });
    expect(rig.actor.getSnapshot().context.notes).toHaveLength(1);
  });
});
