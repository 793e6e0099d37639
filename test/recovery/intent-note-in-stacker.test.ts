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
 * The daemon journaled the escrow intent and sent STACK; the power went (and the daemon with it)
 * while the note was in the stacker. At power-up the unit reports "bill in stacker" and finishes
 * stacking it: exactly one credit, taken from the persisted intent, and the interrupted
 * top-up completes as a partial payment holding that note.
 */
describe('start-up recovery: escrow intent + power-up with the bill in the stacker', () => {
  // STACK-2: cut while stacking, the unit finishes the note at power-up; cut at VEND VALID, the
  // note is already in the box and the unit still owes the credit.
  it.each([
    ['stacking', 'powerUpStack'],
    ['vendValid', 'vendValid'],
  ])('cut at %s: one credit, one partial payment, ledger = journal', async (phase, via) => {
    rig = startRecoveryRig();
    const before = await rig.boot();
    const { txId } = await openTopUp(before);
    rig.control({ action: 'power.cutAt', phase });
    rig.control({ action: 'note.insert', denomination: 2000 });
    await waitUntil('the power cut', () => rig?.model().phase === 'off');
    const intent = before.journal.notes.pendingEscrowIntent(DEVICE);
    expect(intent?.state).toBe('escrowIntent');
    await before.crash();
    rig.control({ action: 'power.on' });

    const after = await rig.boot();
    const report = await after.recovery.firstContact;
    await waitIdle(rig);

    expect(report.device).toBe('ready');
    expect(report.voided).toEqual([]);
    expect(after.journal.notes.get(intent?.noteId ?? '').state).toBe('credited');
    expect(rig.ledger().map((e) => [e.denomination, e.via])).toEqual([[2000, via]]);
    expect(report.closed).toEqual([
      expect.objectContaining({ outcome: 'committed', txId, kind: 'partial', amount: 2000 }),
    ]);
    expect(after.journal.transactions.get(txId).state).toBe('committed');
    expect(after.journal.orphans.list()).toEqual([]);
    expect(after.journal.audit.tail(20).map((e) => e.action)).toContain('recovery.transactionClosed');
    expectLedgerMatchesJournal(rig, after.journal);
  });
});
