import { Prng } from '../../simulators/harness/prng.js';

/**
 * Where in a note's life (or the daemon's) the next SIGKILL lands. Most kills aim at the
 * windows where invariant 1 is at stake; the timing is taken from the daemon's own log lines,
 * so "2 ms after VEND VALID" means 2 ms after the daemon said it saw VEND VALID.
 *
 * - startUp: after the daemon opened the journal, while recovery and the acceptor start up
 * - escrow: the unit holds the note in escrow; the intent is being written, STACK about to go
 * - stacking: STACK was sent and taken; the note is on its way into the cashbox (timed from
 *   the escrow line: the daemon's polls rarely catch the unit's short STACKING status)
 * - vendValid: the unit reported VEND VALID; the credit is being committed
 * - credited: the credit is committed; its ACK is on its way to the unit
 * - noteLife: any instant from the insertion to the end of the note's life
 * - commit: the customer confirmed or cancelled; the payment is being committed
 * - anytime: any instant of a top-up, notes or not
 * - collecting: any instant of a cash collection, from the daemon's "cash collection started"
 * - collectionCount: the technician's count is going out (timed from the request): around the
 *   commit that compares it with the journal and may mark the counters inaccurate
 * - collectionEnd: the end is going out: around the commit that closes the cashbox cycle, writes
 *   the record's outbox row and restarts the counters at zero
 */
export type KillWindow =
  | 'startUp'
  | 'escrow'
  | 'stacking'
  | 'vendValid'
  | 'credited'
  | 'noteLife'
  | 'commit'
  | 'anytime'
  | 'collecting'
  | 'collectionCount'
  | 'collectionEnd';

export interface KillPlan {
  window: KillWindow;
  /** Delay after the window opens, ms. */
  afterMs: number;
  /** Which note of this run's top-ups opens a note window (0 = the first inserted). */
  noteIndex: number;
  /** Also cut the acceptor's power at the same instant (power.on again before the restart). */
  powerCut: boolean;
}

interface WindowSpec {
  window: KillWindow;
  weight: number;
  /** Range of the delay after the window opens, ms, inclusive. */
  afterMs: [number, number];
}

/** Fast simulator timing: accepting 20 ms, stacking 40 ms, polls every 100 ms. */
export const KILL_WINDOWS: readonly WindowSpec[] = [
  { window: 'startUp', weight: 10, afterMs: [0, 500] },
  { window: 'escrow', weight: 12, afterMs: [0, 8] },
  // Opens on the same line as escrow: at 100 ms polls the daemon rarely sees the 40 ms STACKING.
  { window: 'stacking', weight: 14, afterMs: [8, 60] },
  { window: 'vendValid', weight: 18, afterMs: [0, 10] },
  { window: 'credited', weight: 14, afterMs: [0, 6] },
  { window: 'noteLife', weight: 14, afterMs: [0, 400] },
  { window: 'commit', weight: 12, afterMs: [0, 25] },
  { window: 'anytime', weight: 6, afterMs: [0, 1_500] },
  // From start to end a collection without a slip takes a few hundred ms on a loaded host.
  { window: 'collecting', weight: 4, afterMs: [0, 300] },
  { window: 'collectionCount', weight: 3, afterMs: [0, 30] },
  { window: 'collectionEnd', weight: 3, afterMs: [0, 30] },
];

/** The windows inside a cash collection: a run planned for one collects before its first customer. */
export const COLLECTION_WINDOWS: readonly KillWindow[] = ['collecting', 'collectionCount', 'collectionEnd'];

export const POWER_CUT_SHARE = 0.3;
const MAX_NOTE_INDEX = 3;

export class KillScheduler {
  readonly #prng: Prng;
  readonly #total = KILL_WINDOWS.reduce((sum, w) => sum + w.weight, 0);

  constructor(seed: number) {
    this.#prng = new Prng(seed);
  }

  next(): KillPlan {
    let pick = this.#prng.next() * this.#total;
    let spec = KILL_WINDOWS[KILL_WINDOWS.length - 1] as WindowSpec;
    for (const candidate of KILL_WINDOWS) {
      pick -= candidate.weight;
      if (pick < 0) {
        spec = candidate;
        break;
      }
    }
    const [min, max] = spec.afterMs;
    return {
      window: spec.window,
      afterMs: min + this.#prng.below(max - min + 1),
      noteIndex: this.#prng.below(MAX_NOTE_INDEX),
      powerCut: this.#prng.next() < POWER_CUT_SHARE,
    };
  }
}
