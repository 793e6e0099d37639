import { describe, expect, it } from 'vitest';
import { CashboxReconciliation } from '../../src/collection/cashbox-reconciliation.js';
import { silentLogger } from '../../src/log.js';
import { AlertList, type RecoveryAlert } from '../../src/recovery/recovery-alerts.js';
import { creditNotes, tempJournal } from '../journal/temp-journal.js';

function alert(kind: RecoveryAlert['kind'], alertId: string, device = 'acceptor'): RecoveryAlert {
  return { alertId, device, kind, action: 'maintenance', message: kind, details: { n: 1 } };
}

function setUp(open: { collectionId: string } | null = null) {
  const { journal } = tempJournal();
  const alerts = new AlertList();
  const reconciliation = new CashboxReconciliation({
    journal,
    device: 'acceptor',
    denominations: [10_000, 5_000, 1_000],
    alerts,
    // Only the id is read: an open collection refuses the reconcile.
    openCollection: () => open as never,
    logger: silentLogger(),
  });
  return { journal, alerts, reconciliation };
}

describe('cashbox reconciliation', () => {
  it("clears start-up recovery's countersInaccurate and a discrepancy, not an orphan credit's alert nor another device's", () => {
    const { journal, alerts, reconciliation } = setUp();
    creditNotes(journal, '13800138000', [1_000, 1_000]);
    journal.cashbox.setCounterAccuracy('acceptor', 'inaccurate', 'note n-1 unsettled at start-up');
    alerts.raise(alert('countersInaccurate', 'counters-acceptor-n-1'));
    alerts.raise(alert('collectionDiscrepancy', '01JCOLLECTION0000000000000'));
    alerts.raise(alert('orphanCredit', '01JORPHAN00000000000000000'));
    alerts.raise(alert('countersInaccurate', 'counters-other-n-2', 'other'));
    // Already cleared: not cleared twice.
    alerts.raise(alert('collectionDiscrepancy', '01JOLDCOLLECTION0000000000'));
    alerts.raise({ ...alert('collectionDiscrepancy', '01JOLDCOLLECTION0000000000'), cleared: true });
    const seen: RecoveryAlert[] = [];
    alerts.on('alert', (a) => seen.push(a));

    const outcome = reconciliation.reconcile([{ denomination: 1_000, count: 3 }], 't-001');
    expect(outcome.accuracyBefore).toBe('inaccurate');
    expect(outcome.counters).toMatchObject({ accuracy: 'accurate', totalCount: 3, totalValue: 3_000 });
    expect(outcome.clearedAlerts).toEqual(['counters-acceptor-n-1', '01JCOLLECTION0000000000000']);
    expect(seen.map((a) => [a.alertId, a.kind, a.cleared])).toEqual([
      ['counters-acceptor-n-1', 'countersInaccurate', true],
      ['01JCOLLECTION0000000000000', 'collectionDiscrepancy', true],
    ]);
    expect(seen[0]?.details).toMatchObject({ n: 1, reconciledBy: 't-001' });
    expect(journal.audit.tail(5).find((e) => e.action === 'cashbox.alertsCleared')?.details).toEqual({
      device: 'acceptor',
      alertIds: ['counters-acceptor-n-1', '01JCOLLECTION0000000000000'],
    });

    // A second recount finds nothing left to clear.
    expect(reconciliation.reconcile([{ denomination: 1_000, count: 3 }], 't-001').clearedAlerts).toEqual([]);
    expect(seen).toHaveLength(2);
  });

  it('refuses a denomination the box does not take, and any reconcile while a collection is open, changing nothing', () => {
    const { journal, alerts, reconciliation } = setUp();
    creditNotes(journal, '13800138000', [5_000]);
    journal.cashbox.setCounterAccuracy('acceptor', 'inaccurate', 'test');
    alerts.raise(alert('countersInaccurate', 'counters-acceptor-n-1'));
    const before = journal.cashbox.counters('acceptor');
    expect(() => reconciliation.reconcile([{ denomination: 2_000, count: 1 }], 't-001')).toThrow(
      /counts\[0\]: this cashbox takes no note of 2000 fen \(it takes 1000, 5000, 10000\)/,
    );
    expect(() =>
      reconciliation.reconcile(
        [
          { denomination: 5_000, count: 1 },
          { denomination: 5_000, count: 2 },
        ],
        't-001',
      ),
    ).toThrow(/denomination 5000 twice/);
    expect(journal.cashbox.counters('acceptor')).toEqual(before);
    expect(alerts.recent()).toHaveLength(1);

    const during = setUp({ collectionId: '01JOPENCOLLECTION000000000' });
    expect(() => during.reconciliation.reconcile([{ denomination: 1_000, count: 0 }], 't-001')).toThrow(
      /cash collection 01JOPENCOLLECTION000000000 is open/,
    );
  });
});
