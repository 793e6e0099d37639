import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { startStartUpRecovery } from '../../src/recovery/start-up-recovery.js';
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
 * With an escrow intent pending and the acceptor not answering at start, nothing is guessed:
 * the intent and its transaction wait, and the counters become inaccurate because nobody knows
 * whether that note is in the box. When the acceptor reports later, the wait ends as usual.
 */
describe('start-up recovery: acceptor offline at start with an intent pending', () => {
  it('the intent waits, counters inaccurate; settled when the acceptor comes back', async () => {
    rig = startRecoveryRig();
    const before = await rig.boot();
    const { txId } = await openTopUp(before, () => rig?.control({ action: 'cable.unplug' }));
    rig.control({ action: 'note.insert', denomination: 1000 });
    await waitUntil('the intent', () => before.journal.notes.pendingEscrowIntent(DEVICE) !== null);
    const intent = before.journal.notes.pendingEscrowIntent(DEVICE);
    await before.crash();
    await waitIdle(rig);

    const after = await rig.boot({ firstContactTimeoutMs: 300 });
    const first = await after.recovery.firstContact;
    expect(first.device).toBe('offline');
    expect(first.waiting).toEqual([intent?.noteId]);
    expect(first.voided).toEqual([]);
    expect(first.closed).toEqual([]);
    expect(first.countersInaccurate).toBe(true);
    expect(after.journal.transactions.get(txId).state).toBe('open');
    expect(after.journal.notes.get(intent?.noteId ?? '').state).toBe('escrowIntent');
    expect(after.journal.cashbox.counters(DEVICE).accuracy).toBe('inaccurate');
    expect(after.journal.cashbox.counters(DEVICE).accuracyReason).toContain(intent?.noteId);
    expect(after.alerts.recent().map((a) => a.kind)).toEqual(['countersInaccurate']);

    rig.control({ action: 'cable.plug' });
    const settled = await after.recovery.settled;
    expect(settled.device).toBe('ready');
    expect(settled.voided).toEqual([intent?.noteId]);
    expect(settled.closed).toEqual([{ outcome: 'cancelled', txId }]);
    // Counted right again, but only a technician's count makes them accurate.
    expect(after.journal.cashbox.counters(DEVICE).accuracy).toBe('inaccurate');
    expectLedgerMatchesJournal(rig, after.journal);
  });

  it('rejects a first-contact timeout that is not a whole number of ms, and changes nothing', async () => {
    rig = startRecoveryRig();
    const pieces = await rig.boot();
    const listeners = emitterOf(pieces.acceptor.device).listenerCount('ready');
    for (const bad of [-1, 1.5, Number.NaN]) {
      expect(() =>
        startStartUpRecovery({
          journal: pieces.journal,
          device: DEVICE,
          acceptor: pieces.acceptor.device,
          alerts: pieces.alerts,
          logger: silentLogger(),
          firstContactTimeoutMs: bad,
        }),
      ).toThrow(
        expect.objectContaining({ code: 1003, message: expect.stringContaining('firstContactTimeoutMs') }),
      );
    }
    expect(emitterOf(pieces.acceptor.device).listenerCount('ready')).toBe(listeners);
    expect(pieces.journal.audit.tail(50).map((e) => e.action)).toEqual(['journal.created']);
  });
});
