import type { Clock, TimerHandle } from '../../core/clock.js';

interface PendingTimer {
  due: number;
  order: number;
  callback: () => void;
  cancelled: boolean;
}

/**
 * A virtual clock for driving a SimulatorHost deterministically: time moves only when the
 * test calls `advanceBy`/`advanceTo`, and due timers run in due-time order with `now()` set to
 * each timer's due time, as if the machine were infinitely fast and never late.
 */
export class ManualClock implements Clock {
  private current: number;
  private timers: PendingTimer[] = [];
  private nextOrder = 0;

  constructor(start = 0) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimer(callback: () => void, delayMs: number): TimerHandle {
    const timer: PendingTimer = {
      due: this.current + Math.max(0, delayMs),
      order: this.nextOrder++,
      callback,
      cancelled: false,
    };
    this.timers.push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }

  /** Timers armed and not yet run or cancelled. */
  pendingTimers(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  advanceBy(ms: number): void {
    this.advanceTo(this.current + ms);
  }

  advanceTo(target: number): void {
    for (;;) {
      this.timers = this.timers.filter((t) => !t.cancelled);
      let next: PendingTimer | undefined;
      for (const t of this.timers) {
        if (t.due <= target && (!next || t.due < next.due || (t.due === next.due && t.order < next.order))) {
          next = t;
        }
      }
      if (!next) break;
      next.cancelled = true;
      this.current = Math.max(this.current, next.due);
      next.callback();
    }
    this.current = Math.max(this.current, target);
  }
}
