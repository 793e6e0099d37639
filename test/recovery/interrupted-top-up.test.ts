import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createActor, waitFor } from 'xstate';
import type { DeviceStatus } from '../../devices/device-status.js';
import type { TopUpInput } from '../../fsm/top-up/top-up-context.js';
import { createTopUpMachine, noPrinter, topUpStateName } from '../../fsm/top-up/top-up-machine.js';
import { persistTopUp, TOP_UP_SNAPSHOT_VERSION } from '../../fsm/top-up/top-up-snapshot.js';
import { Journal } from '../../src/journal/journal.js';
import { silentLogger } from '../../src/log.js';
import { interruptedTopUpFromJournal } from '../../src/recovery/interrupted-top-up.js';
import { AlertList } from '../../src/recovery/recovery-alerts.js';
import { startStartUpRecovery } from '../../src/recovery/start-up-recovery.js';
import { TOP_UP_SNAPSHOT_KEY } from '../../src/topup/top-up-service.js';

const DEVICE = 'cashAcceptor';
const INPUT: TopUpInput = {
  denominations: [100, 500, 1000, 2000, 5000, 10_000],
  limits: { maxPerTransaction: 200_000, maxPerAccountPerDay: 500_000, maxNotesPerTransaction: 30 },
  accountCheck: { enabled: false, offlinePolicy: 'accept' },
  timeouts: {
    accountEntryMs: 60_000,
    accountCheckMs: 3_000,
    idleCompleteMs: 60_000,
    noCashMs: 60_000,
    commitRetryMs: 1_000,
  },
};

/** An acceptor that reports for duty when the test says so. */
class FakeAcceptor extends EventEmitter {
  status: DeviceStatus = { state: 'online' };
}

/**
 * The top-up machine persisted its snapshot, then the daemon died. Recovery closes the
 * transaction in the journal and runs the restored machine (`recovering`) to the same end:
 * machine and journal agree on the payment, and the snapshot is gone.
 */
describe('start-up recovery: the interrupted top-up machine', () => {
  let dir: string;
  let journal: Journal;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kioskd-topup-recovery-'));
    journal = Journal.open({ path: join(dir, 'journal.sqlite'), kioskId: 'k-1', logger: silentLogger() });
  });
  afterEach(() => {
    journal.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs a top-up up to `until` (the commit never returns), credits `notes`, and persists it. */
  async function interrupted(notes: number[], until: 'insertingCash' | 'committing'): Promise<string> {
    const machine = createTopUpMachine({
      checkAccount: async () => ({ ok: true }),
      openTransaction: async ({ account }) => ({
        txId: journal.transactions.open({ account, limits: { maxAmount: 200_000, maxNotes: 30 } }).txId,
        dailyTotalSoFar: 0,
      }),
      commitPayment: () => new Promise(() => {}),
      printReceipt: noPrinter,
    });
    const actor = createActor(machine, { input: INPUT });
    actor.start();
    actor.send({ type: 'START' });
    actor.send({ type: 'ACCOUNT_ENTERED', account: '13800138000' });
    const open = await waitFor(actor, (s) => topUpStateName(s) === 'insertingCash');
    const txId = open.context.txId ?? '';
    for (const denomination of notes) {
      const noteId = journal.notes.recordEscrowIntent({
        txId,
        device: DEVICE,
        escrowCode: '0x61',
        denomination,
      });
      journal.notes.commitCredit({ noteId });
      actor.send({ type: 'NOTE_CREDITED', noteId, denomination });
    }
    if (until === 'committing') actor.send({ type: 'CONFIRM' });
    expect(topUpStateName(actor.getSnapshot())).toBe(until);
    journal.snapshots.save(TOP_UP_SNAPSHOT_KEY, {
      version: TOP_UP_SNAPSHOT_VERSION,
      snapshot: persistTopUp(actor) as unknown as Record<string, unknown>,
    });
    actor.stop();
    return txId;
  }

  function recover() {
    const acceptor = new FakeAcceptor();
    const recovery = startStartUpRecovery({
      journal,
      device: DEVICE,
      acceptor,
      alerts: new AlertList(),
      logger: silentLogger(),
      firstContactTimeoutMs: 1_000,
      topUps: interruptedTopUpFromJournal(journal, silentLogger()),
    });
    return recovery;
  }

  async function snapshotGone(): Promise<void> {
    for (let i = 0; i < 200 && journal.snapshots.get(TOP_UP_SNAPSHOT_KEY) !== null; i++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(journal.snapshots.get(TOP_UP_SNAPSHOT_KEY)).toBeNull();
  }

  function deletions() {
    return journal.audit
      .tail(50)
      .filter((e) => e.action === 'recovery.topUpSnapshotDeleted')
      .map((e) => e.details);
  }

  it('confirmed and committing: a complete payment, and the machine ends done with the same payment', async () => {
    const txId = await interrupted([2000, 500], 'committing');
    const recovery = recover();
    expect(recovery.initial.closed).toEqual([
      expect.objectContaining({ txId, outcome: 'committed', kind: 'complete', amount: 2500 }),
    ]);
    await snapshotGone();
    expect(deletions()).toEqual([{ reason: 'recovered', txId, machine: 'done' }]);
    expect(journal.summary().payments).toBe(1);
    recovery.stop();
  });

  it('still inserting cash: a partial payment of the credited notes, the machine agrees', async () => {
    const txId = await interrupted([10_000], 'insertingCash');
    const recovery = recover();
    expect(recovery.initial.closed).toEqual([
      expect.objectContaining({ txId, outcome: 'committed', kind: 'partial', amount: 10_000 }),
    ]);
    await snapshotGone();
    expect(deletions()).toEqual([{ reason: 'recovered', txId, machine: 'done' }]);
    recovery.stop();
  });

  it('nothing credited: cancelled in the journal and in the machine', async () => {
    const txId = await interrupted([], 'insertingCash');
    const recovery = recover();
    expect(recovery.initial.closed).toEqual([{ outcome: 'cancelled', txId }]);
    await snapshotGone();
    expect(deletions()).toEqual([{ reason: 'recovered', txId, machine: 'cancelled' }]);
    recovery.stop();
  });

  it('a snapshot of an unknown version is not guessed at: the journal decides, the refusal is audited', async () => {
    const txId = await interrupted([1000], 'committing');
    const row = journal.snapshots.get(TOP_UP_SNAPSHOT_KEY);
    journal.snapshots.save(TOP_UP_SNAPSHOT_KEY, {
      version: 1,
      snapshot: { ...(row?.snapshot ?? {}), version: 99 },
    });
    const recovery = recover();
    // Its kind is still read: the customer had confirmed.
    expect(recovery.initial.closed).toEqual([
      expect.objectContaining({ txId, outcome: 'committed', kind: 'complete', amount: 1000 }),
    ]);
    await snapshotGone();
    expect(deletions()).toEqual([
      expect.objectContaining({
        reason: 'unreadable',
        txId,
        version: 99,
        error: expect.stringContaining('99'),
      }),
    ]);
    recovery.stop();
  });
});
