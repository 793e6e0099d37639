import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../core/errors.js';
import { KioskModeStore } from '../../src/daemon/kiosk-mode-store.js';
import { silentLogger } from '../../src/log.js';
import { openJournal, sleep, tempDir } from './fleet-link-rig.js';

describe('kiosk mode store (the fleet setMode target)', () => {
  it('waits for the open transaction to close before applying, then persists the mode across a restart', async () => {
    const dir = tempDir();
    const journal = openJournal(dir);
    const store = new KioskModeStore({ journal, logger: silentLogger() });
    const changes: string[] = [];
    store.onModeChange((mode) => changes.push(mode));
    expect(store.mode).toBe('inService');

    const tx = journal.transactions.open({ account: '13800138000', limits: { maxAmount: 10_000 } });
    let applied: string | undefined;
    const request = store.requestMode('outOfService', 'fleet').then((mode) => {
      applied = mode;
    });
    await sleep(400);
    expect(applied).toBeUndefined();
    expect(store.mode).toBe('inService');

    journal.payments.commit({ txId: tx.txId, kind: 'complete', receipt: false });
    await request;
    expect(applied).toBe('outOfService');
    expect(changes).toEqual(['outOfService']);
    expect(journal.audit.tail(5).find((e) => e.action === 'kiosk.mode')).toMatchObject({
      actor: 'fleet',
      details: { before: 'inService', after: 'outOfService' },
    });
    expect(new KioskModeStore({ journal, logger: silentLogger() }).mode).toBe('outOfService');
    store.close();
  });

  it('refuses a mode it does not know and pending requests once closed, changing nothing', async () => {
    const journal = openJournal(tempDir());
    const store = new KioskModeStore({ journal, logger: silentLogger() });
    await expect(store.requestMode('party' as 'inService', 'fleet')).rejects.toMatchObject({
      code: ErrorCode.FleetRejectedCommand,
    });
    journal.transactions.open({ account: '13800138000', limits: { maxAmount: 10_000 } });
    const pending = store.requestMode('outOfService', 'fleet');
    store.close();
    await expect(pending).rejects.toMatchObject({ code: ErrorCode.FleetRejectedCommand });
    expect(store.mode).toBe('inService');
    expect(journal.snapshots.get('operatorMode')).toBeNull();
  });
});
