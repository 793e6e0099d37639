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
 * Found by the crash harness: the unit powers up with the note in its stacker, the daemon sends
 * RESET (which makes the unit finish stacking and forget it ever had a note) and dies before
 * crediting it. The next daemon meets an idle unit, and the note would be voided although it is
 * in the cashbox. The driver therefore commits the credit before it sends RESET.
 */
describe('start-up recovery: killed right after the power-up RESET', () => {
  it('the note reported in the stacker is credited before RESET, so the next start finds it credited', async () => {
    rig = startRecoveryRig();
    const before = await rig.boot();
    const { txId } = await openTopUp(before);
    rig.control({ action: 'power.cutAt', phase: 'stacking' });
    rig.control({ action: 'note.insert', denomination: 5000 });
    await waitUntil('the power cut', () => rig?.model().phase === 'off');
    const intent = before.journal.notes.pendingEscrowIntent(DEVICE);
    await before.crash();
    rig.control({ action: 'power.on' });

    // This run dies the instant the unit has taken its RESET.
    let resetTaken = false;
    rig.afterCommand('reset', () => {
      resetTaken = true;
      rig?.control({ action: 'cable.unplug' });
    });
    const dying = await rig.boot({ firstContactTimeoutMs: 60_000 });
    await waitUntil('the RESET', () => resetTaken);
    await dying.crash();
    await waitIdle(rig);
    expect(rig.ledger().map((e) => [e.denomination, e.via])).toEqual([[5000, 'powerUpStack']]);
    rig.control({ action: 'cable.plug' });

    const after = await rig.boot();
    const report = await after.recovery.firstContact;
    expect(after.journal.notes.get(intent?.noteId ?? '').state).toBe('credited');
    expect(report.voided).toEqual([]);
    expect(report.closed).toEqual([expect.objectContaining({ txId, outcome: 'committed', amount: 5000 })]);
    expect(after.journal.orphans.list()).toEqual([]);
    expectLedgerMatchesJournal(rig, after.journal);
  });

  it('killed after the credit but before RESET: the repeated power-up status is the same note, not a second one', async () => {
    rig = startRecoveryRig();
    const before = await rig.boot();
    const { txId } = await openTopUp(before);
    rig.control({ action: 'power.cutAt', phase: 'stacking' });
    rig.control({ action: 'note.insert', denomination: 2000 });
    await waitUntil('the power cut', () => rig?.model().phase === 'off');
    await before.crash();
    rig.control({ action: 'power.on' });

    // This run dies right after the credit, before its RESET leaves: the unit still says 42.
    const dying = await rig.boot({ firstContactTimeoutMs: 60_000 });
    emitterOf(dying.acceptor.device).once('credited', () => rig?.control({ action: 'cable.unplug' }));
    await waitUntil('the credit', () => dying.journal.transactions.notes(txId)[0]?.state === 'credited');
    await dying.crash();
    expect(rig.model().status).toBe('powerUpBillInStacker');
    rig.control({ action: 'cable.plug' });

    const after = await rig.boot();
    await after.recovery.firstContact;
    await waitIdle(rig);
    expect(after.journal.orphans.list()).toEqual([]);
    expect(after.journal.audit.tail(30).map((e) => e.action)).toContain('credit.repeatRecognised');
    expect(rig.ledger().map((e) => e.denomination)).toEqual([2000]);
    expectLedgerMatchesJournal(rig, after.journal);
  });
});
