import { describe, expect, it } from 'vitest';
import { COLLECTION_WINDOWS, KILL_WINDOWS, KillScheduler, POWER_CUT_SHARE } from './kill-scheduler.js';

describe('crash harness kill scheduler', () => {
  it('repeats its plans for a seed and differs across seeds', () => {
    const plans = (seed: number) =>
      Array.from(
        { length: 50 },
        (
          (s) => () =>
            s.next()
        )(new KillScheduler(seed)),
      );
    expect(plans(7)).toEqual(plans(7));
    expect(plans(7)).not.toEqual(plans(8));
  });

  it('aims most kills at the money windows, in their weights, with delays inside each window', () => {
    const scheduler = new KillScheduler(42);
    const draws = 5_000;
    const count = new Map<string, number>();
    let cuts = 0;
    for (let i = 0; i < draws; i++) {
      const plan = scheduler.next();
      const spec = KILL_WINDOWS.find((w) => w.window === plan.window);
      expect(spec).toBeDefined();
      expect(plan.afterMs).toBeGreaterThanOrEqual(spec?.afterMs[0] ?? Number.NaN);
      expect(plan.afterMs).toBeLessThanOrEqual(spec?.afterMs[1] ?? Number.NaN);
      expect(Number.isInteger(plan.afterMs)).toBe(true);
      expect([0, 1, 2]).toContain(plan.noteIndex);
      count.set(plan.window, (count.get(plan.window) ?? 0) + 1);
      if (plan.powerCut) cuts++;
    }
    const total = KILL_WINDOWS.reduce((sum, w) => sum + w.weight, 0);
    for (const w of KILL_WINDOWS) {
      expect((count.get(w.window) ?? 0) / draws).toBeCloseTo(w.weight / total, 1);
    }
    const money = ['escrow', 'stacking', 'vendValid', 'credited', 'commit'];
    expect(money.reduce((n, w) => n + (count.get(w) ?? 0), 0) / draws).toBeGreaterThan(0.6);
    // About a tenth inside cash collections: enough to hit each of its windows in a 200-kill run.
    const collecting = COLLECTION_WINDOWS.reduce((n, w) => n + (count.get(w) ?? 0), 0) / draws;
    expect(collecting).toBeGreaterThan(0.07);
    expect(collecting).toBeLessThan(0.13);
    expect(cuts / draws).toBeCloseTo(POWER_CUT_SHARE, 1);
  });
});
