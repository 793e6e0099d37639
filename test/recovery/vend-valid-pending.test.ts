import { afterEach, describe, expect, it } from 'vitest';
import {
  DEVICE,
  emitterOf,
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
 * The unit took STACK and the daemon died before it saw VEND VALID: the unit sits on VEND VALID
 * waiting for an ACK. The new process finds it pending at first contact and credits it once,
 * against the persisted escrow intent.
 */
describe('start-up recovery: VEND VALID pending at start', () => {
  it('credits the pending intent once (recoveredCredit), ledger = journal', async () => {
    rig = startRecoveryRig();
    const before = await rig.boot();
    const { txId } = await openTopUp(before);
    // The STACK reaches the unit; everything after it is lost with the daemon.
    rig.afterCommand('stack2', () => rig?.control({ action: 'cable.unplug' }));
    rig.control({ action: 'note.insert', denomination: 5000 });
    await waitUntil('VEND VALID owed', () => rig?.model().status === 'vendValid');
    const intent = before.journal.notes.pendingEscrowIntent(DEVICE);
    expect(intent).not.toBeNull();
    await before.crash();
    rig.control({ action: 'cable.plug' });

    const after = await rig.boot();
    const credited: unknown[] = [];
    after.acceptor.device.on('credited', (c) => credited.push(c));
    const report = await after.recovery.firstContact;
    await waitIdle(rig);

    expect(credited).toEqual([expect.objectContaining({ source: 'recoveredCredit' })]);
    expect(after.journal.notes.get(intent?.noteId ?? '').state).toBe('credited');
    expect(report.voided).toEqual([]);
    expect(report.closed).toEqual([expect.objectContaining({ txId, outcome: 'committed', amount: 5000 })]);
    expect(rig.ledger().map((e) => e.denomination)).toEqual([5000]);
    expect(after.journal.orphans.list()).toEqual([]);
    expectLedgerMatchesJournal(rig, after.journal);
  });
});

/**
 * The credit was committed and the daemon died (or the power went) before its ACK reached the
 * unit, which therefore reports the same note again to the next process: a VEND VALID still
 * owed, or a power-up with the bill in the stacker. No intent is pending any more, so without
 * the journal's latest note this would be a second credit (an orphan) for one note.
 */
describe('start-up recovery: a credit whose ACK was lost is not counted twice', () => {
  it.each([
    ['the unit still on VEND VALID', 'cable.unplug', 'cable.plug', 'recoveredCredit'],
    ['a power cut: bill in stacker at power-up', 'power.cut', 'power.on', 'powerUpInStacker'],
  ])('%s', async (_name, cut, restore, source) => {
    rig = startRecoveryRig();
    const before = await rig.boot();
    const { txId } = await openTopUp(before);
    // The listener runs after the commit and before the driver sends its ACK.
    emitterOf(before.acceptor.device).once('credited', () => rig?.control({ action: cut }));
    rig.control({ action: 'note.insert', denomination: 1000 });
    await waitUntil('the credit', () =>
      before.journal.transactions.notes(txId).some((n) => n.state === 'credited'),
    );
    await before.crash();
    expect(rig.model().status ?? 'off').toMatch(/^(vendValid|off)$/);
    rig.control({ action: restore });

    const after = await rig.boot();
    const credited: Array<{ source: string }> = [];
    after.acceptor.device.on('credited', (c) => credited.push(c));
    const report = await after.recovery.firstContact;
    await waitIdle(rig);

    // The driver acknowledged the repeat (the unit moved on) without a second credit.
    expect(credited.map((c) => c.source)).toEqual([source]);
    expect(after.journal.orphans.list()).toEqual([]);
    expect(after.journal.transactions.notes(txId).map((n) => n.state)).toEqual(['credited']);
    expect(report.closed).toEqual([expect.objectContaining({ txId, outcome: 'committed', amount: 1000 })]);
    expect(after.journal.audit.tail(20).map((e) => e.action)).toContain('credit.repeatRecognised');
    expect(rig.ledger().map((e) => e.denomination)).toEqual([1000]);
    expectLedgerMatchesJournal(rig, after.journal);
  });
});
