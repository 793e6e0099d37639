/**
 * Time as the harness sees it: a monotonic millisecond count plus one-shot timers. Real runs
 * use performance.now() (wall-clock jumps must not make a device answer early or late);
 * tests pass a ManualClock so timing assertions do not depend on the machine's load.
 */
export interface Clock {
  now(): number;
  /** Calls `callback` once after `delayMs`; the handle cancels it. */
  setTimer(callback: () => void, delayMs: number): TimerHandle;
}

export interface TimerHandle {
  cancel(): void;
}

export const realClock: Clock = {
  now: () => performance.now(),
  setTimer(callback, delayMs) {
    // Rounded up: a timer that fires a fraction early would find nothing due yet.
    const timer = setTimeout(callback, Math.max(0, Math.ceil(delayMs)));
    return { cancel: () => clearTimeout(timer) };
  },
};
