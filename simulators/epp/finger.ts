import { MAX_PENDING_PRESSES, refuseControl } from './controls.js';
import type { PadPress } from './key-entry.js';

interface PendingPress {
  at: number;
  press: PadPress;
}

/**
 * The customer's finger: presses still to come, each at its time. One finger presses one key
 * at a time, so a new `keys.press` starts an interval after the last press, done or not.
 * What it still has to press may be a PIN: only the count is ever shown.
 */
export class Finger {
  private presses: PendingPress[] = [];
  private lastPressAt = -Infinity;

  get pending(): number {
    return this.presses.length;
  }

  /** When the next press lands, if any. */
  get nextAt(): number | undefined {
    return this.presses[0]?.at;
  }

  /** Queues `presses` `intervalMs` apart; refuses (changing nothing) past MAX_PENDING_PRESSES. */
  schedule(presses: PadPress[], intervalMs: number, now: number): number {
    if (this.presses.length + presses.length > MAX_PENDING_PRESSES) {
      refuseControl(
        'keys.press',
        `the finger still has ${this.presses.length} presses to make; at most ${MAX_PENDING_PRESSES} may wait`,
      );
    }
    let at = Math.max(now, this.lastPressAt + intervalMs);
    for (const press of presses) {
      this.presses.push({ at, press });
      this.lastPressAt = at;
      at += intervalMs;
    }
    return this.lastPressAt;
  }

  /** The next press if it is due by `now`. */
  takeDue(now: number): PadPress | undefined {
    const next = this.presses[0];
    if (next === undefined || next.at > now) return undefined;
    this.presses.shift();
    return next.press;
  }

  /** The customer walks away (power cut, tamper alarm). */
  lift(): void {
    this.presses = [];
  }
}
