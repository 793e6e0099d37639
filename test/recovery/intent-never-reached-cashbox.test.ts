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
 * The escrow intent is journaled and the daemon dies before STACK gets out. The unit returns the
 * note on its own escrow timeout while nobody answers. At the next start it reports no note in
 * its path — idle, or a plain power-up if the power went meanwhile — so the intent never reached
 * the cashbox: it is voided (audited) and the top-up, with nothing credited, is cancelled.
 */
describe('start-up recovery: escrow intent + no note in the device', () => {
  it.each([
    ['the unit idle', false],
    ['a plain power-up', true],
  ])('%s: the intent is voided, no credit', async (_name, powerCycle) => {
    rig = startRecoveryRig();
    const before = await rig.boot();
    // Unplugged between the decision and the intent write: the intent lands, STACK does not.
    const { txId } = await openTopUp(before, () => rig?.control({ action: 'cable.unplug' }));
    rig.control({ action: 'note.insert', denomination: 500 });
    await waitUntil('the intent', () => before.journal.notes.pendingEscrowIntent(DEVICE) !== null);
    const intent = before.journal.notes.pendingEscrowIntent(DEVICE);
    await before.crash();
    await waitIdle(rig); // the unit's own escrow timeout handed the note back
    if (powerCycle) {
      rig.control({ action: 'power.cut' });
      rig.control({ action: 'power.on' });
    }
    rig.control({ action: 'cable.plug' });

    const after = await rig.boot();
    const report = await after.recovery.firstContact;
    await waitIdle(rig);

    expect(report.device).toBe('ready');
    expect(report.voided).toEqual([intent?.noteId]);
    const note = after.journal.notes.get(intent?.noteId ?? '');
    expect(note.state).toBe('voided');
    expect(note.voidReason).toMatch(/never reached the cashbox/);
    expect(report.closed).toEqual([{ outcome: 'cancelled', txId }]);
    expect(after.journal.audit.tail(20).map((e) => e.action)).toContain('note.voided');
    expect(rig.ledger()).toEqual([]);
    expect(after.journal.notes.pendingEscrowIntents()).toEqual([]);
    expectLedgerMatchesJournal(rig, after.journal);
  });

  it('an intent next to credited notes: voided, and the top-up completes partial with the credited ones', async () => {
    rig = startRecoveryRig();
    let cut = false;
    const before = await rig.boot();
    const { txId } = await openTopUp(before, () => {
      if (cut) rig?.control({ action: 'cable.unplug' });
    });
    rig.control({ action: 'note.insert', denomination: 2000 });
    await waitUntil(
      'the first credit',
      () => before.journal.transactions.notes(txId)[0]?.state === 'credited',
    );
    await waitIdle(rig);
    cut = true;
    rig.control({ action: 'note.insert', denomination: 5000 });
    await waitUntil('the intent', () => before.journal.notes.pendingEscrowIntent(DEVICE) !== null);
    await before.crash();
    await waitIdle(rig);
    rig.control({ action: 'cable.plug' });

    const after = await rig.boot();
    // The intent holds the transaction open until the device has spoken.
    expect(after.recovery.initial.closed).toEqual([]);
    const report = await after.recovery.firstContact;
    expect(report.voided).toHaveLength(1);
    expect(report.closed).toEqual([
      expect.objectContaining({ txId, outcome: 'committed', kind: 'partial', amount: 2000 }),
    ]);
    expect(rig.ledger().map((e) => e.denomination)).toEqual([2000]);
    expectLedgerMatchesJournal(rig, after.journal);
  });
});
