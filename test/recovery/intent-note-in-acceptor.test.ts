import { afterEach, describe, expect, it } from 'vitest';
import {
  DEVICE,
  expectLedgerMatchesJournal,
  openTopUp,
  type RecoveryRig,
  startRecoveryRig,
  waitIdle,
  waitUntil,
} from './recovery-rig.js';

let rig: RecoveryRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

/**
 * The escrow intent is journaled, then the power goes before STACK reaches the unit: the note
 * is still in the acceptor. At power-up the unit reports "bill in acceptor" and RESET hands it
 * back to the customer: no credit, the intent is marked returned, and the top-up (nothing
 * credited) is cancelled.
 */
describe('start-up recovery: escrow intent + power-up with the bill in the acceptor', () => {
  it('no credit, intent returned, transaction cancelled, cashbox empty', async () => {
    rig = startRecoveryRig();
    const before = await rig.boot();
    // The cut lands between the intent write and the STACK: decide() runs just before the write.
    const { txId } = await openTopUp(before, () => rig?.control({ action: 'power.cut' }));
    rig.control({ action: 'note.insert', denomination: 10_000 });
    await waitUntil('the intent', () => before.journal.notes.pendingEscrowIntent(DEVICE) !== null);
    const intent = before.journal.notes.pendingEscrowIntent(DEVICE);
    await before.crash();
    rig.control({ action: 'power.on' });

    const after = await rig.boot();
    const powerUp: unknown[] = [];
    after.acceptor.device.on('powerUpWithNote', (e) => powerUp.push(e));
    const report = await after.recovery.firstContact;
    await waitIdle(rig);

    expect(powerUp).toEqual([{ where: 'acceptor' }]);
    expect(after.journal.notes.get(intent?.noteId ?? '').state).toBe('returned');
    expect(report.voided).toEqual([]);
    expect(report.closed).toEqual([{ outcome: 'cancelled', txId }]);
    expect(rig.ledger()).toEqual([]);
    const notes = (rig.sim.snapshot().model as { notes: Array<{ outcome: string }> }).notes;
    expect(notes.map((n) => n.outcome)).toEqual(['returned']);
    expect(after.journal.cashbox.counters(DEVICE).totalCount).toBe(0);
    expectLedgerMatchesJournal(rig, after.journal);
  });
});
