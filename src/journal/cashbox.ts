import { ErrorCode, KioskError } from '../../core/errors.js';
import type { JournalAudit } from './audit.js';
import type { JournalConnection } from './journal-connection.js';
import type { CashboxCounters, CounterAccuracy } from './journal-types.js';
import { type CashboxRow, SYSTEM_ACTOR } from './rows.js';
import * as check from './validate.js';

const ACCURACIES: readonly CounterAccuracy[] = ['accurate', 'inaccurate', 'unknown'];

/**
 * The cashbox counters per device: what the box should hold, how far to trust that, and the
 * technician's reconcile and collect. Credits bump the counters from the notes and orphans
 * concerns through the `…InTransaction` helpers, inside the credit's own commit.
 */
export class JournalCashbox {
  constructor(
    private readonly c: JournalConnection,
    private readonly audit: JournalAudit,
  ) {}

  counters(device: string): CashboxCounters {
    const name = check.text('device', device, 64);
    return this.c.readSnapshot('cashboxCounters', () => this.countersInTransaction(name));
  }

  /** Devices the journal has counted notes for (or configured). */
  devices(): string[] {
    return this.c.read('cashboxDevices', () =>
      (this.c.st.cashboxDevices.all() as { device: string }[]).map((r) => r.device),
    );
  }

  setCapacity(device: string, capacity: number | null): void {
    const name = check.text('device', device, 64);
    const value = capacity === null ? null : check.integer('capacity', capacity, 1);
    this.c.write('setCashboxCapacity', () => {
      this.c.st.ensureCashbox.run(name);
      const before = (this.c.st.cashbox.get(name) as CashboxRow).capacity;
      if (before === value) return;
      this.c.st.setCapacity.run(value, name);
      this.audit.appendInTransaction(SYSTEM_ACTOR, 'cashbox.capacity', {
        device: name,
        before,
        after: value,
      });
    });
  }

  /** E.g. `inaccurate` after a jam the device could not account for; audited with its reason. */
  setCounterAccuracy(device: string, accuracy: CounterAccuracy, reason: string): void {
    const name = check.text('device', device, 64);
    const value = check.oneOf('accuracy', accuracy, ACCURACIES);
    const why = check.text('reason', reason);
    this.c.write('setCounterAccuracy', () => this.changeAccuracyInTransaction(name, value, why));
  }

  /**
   * A technician counted the box by hand. Their counts become the counters (denominations not
   * listed hold none), the difference to what the journal credited is kept as an adjustment
   * for the audit trail, and the counters are accurate again.
   */
  reconcile(
    device: string,
    counts: ReadonlyArray<{ denomination: number; count: number }>,
    technician: string,
  ): CashboxCounters {
    const name = check.text('device', device, 64);
    const who = check.text('technician', technician, 64);
    const seen = new Set<number>();
    const entries = check.array('counts', counts).map((entry, i) => {
      const denomination = check.integer(`counts[${i}].denomination`, entry?.denomination, 0);
      const count = check.integer(`counts[${i}].count`, entry.count, 0);
      if (seen.has(denomination)) {
        throw new KioskError(ErrorCode.JournalBadInput, `counts lists denomination ${denomination} twice`, {
          details: { field: `counts[${i}].denomination`, denomination },
        });
      }
      seen.add(denomination);
      return { denomination, count };
    });
    const st = this.c.st;
    return this.c.write('reconcileCashbox', () => {
      st.ensureCashbox.run(name);
      const before = this.countersInTransaction(name);
      const credited = new Map(
        (st.creditedInCycle.all(name) as { denomination: number; notes: number }[]).map((r) => [
          r.denomination,
          r.notes,
        ]),
      );
      const cells = new Map<number, number>(entries.map((e) => [e.denomination, e.count]));
      for (const denomination of credited.keys()) if (!cells.has(denomination)) cells.set(denomination, 0);
      st.clearCounts.run(name);
      for (const [denomination, count] of cells) {
        st.setCount.run(name, denomination, count, count - (credited.get(denomination) ?? 0));
      }
      st.setAccuracy.run('accurate', `reconciled by ${who}`, this.c.now(), name);
      const after = this.countersInTransaction(name);
      this.audit.appendInTransaction(who, 'cashbox.reconciled', {
        device: name,
        before: before.denominations,
        after: after.denominations,
        accuracyBefore: before.accuracy,
      });
      return after;
    });
  }

  /** The box was emptied: counters restart at zero in a new cycle. Returns what was taken away. */
  collect(device: string, technician: string): CashboxCounters {
    const name = check.text('device', device, 64);
    const who = check.text('technician', technician, 64);
    const st = this.c.st;
    return this.c.write('collectCashbox', () => {
      st.ensureCashbox.run(name);
      const taken = this.countersInTransaction(name);
      const now = this.c.now();
      st.clearCounts.run(name);
      st.startCycle.run(now, name);
      st.setAccuracy.run('accurate', `collected by ${who}`, now, name);
      this.audit.appendInTransaction(who, 'cashbox.collected', {
        device: name,
        taken: taken.denominations,
        totalCount: taken.totalCount,
        totalValue: taken.totalValue,
        accuracyBefore: taken.accuracy,
      });
      return taken;
    });
  }

  /** The device's current cycle, creating its cashbox row on first use. Inside a write only. */
  cycleInTransaction(device: string): number {
    this.c.st.ensureCashbox.run(device);
    return (this.c.st.cashbox.get(device) as CashboxRow).cycle;
  }

  /** Changes the counters' accuracy and audits it, inside the caller's write. */
  changeAccuracyInTransaction(device: string, accuracy: CounterAccuracy, reason: string): void {
    this.c.st.ensureCashbox.run(device);
    const before = (this.c.st.cashbox.get(device) as CashboxRow).accuracy;
    this.c.st.setAccuracy.run(accuracy, reason, this.c.now(), device);
    this.audit.appendInTransaction(SYSTEM_ACTOR, 'cashbox.accuracy', {
      device,
      before,
      after: accuracy,
      reason,
    });
  }

  /** The counters as one consistent read; call inside a transaction or read snapshot. */
  countersInTransaction(device: string): CashboxCounters {
    const box = this.c.st.cashbox.get(device) as CashboxRow | undefined;
    const denominations = (this.c.st.counts.all(device) as { denomination: number; count: number }[])
      .filter((r) => r.count > 0)
      .map((r) => ({ denomination: r.denomination, count: r.count, value: r.denomination * r.count }));
    const totalCount = denominations.reduce((n, d) => n + d.count, 0);
    const capacity = box?.capacity ?? null;
    return {
      device,
      capacity,
      accuracy: box?.accuracy ?? 'unknown',
      accuracyReason: box?.accuracy_reason ?? null,
      collectedAt: box?.collected_at ?? null,
      totalCount,
      totalValue: denominations.reduce((n, d) => n + d.value, 0),
      fill: capacity === null ? null : totalCount / capacity,
      denominations,
    };
  }
}
