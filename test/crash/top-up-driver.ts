import { setTimeout as sleep } from 'node:timers/promises';
import type { Prng } from '../../simulators/harness/prng.js';
import type { AcceptorSimProcess } from './acceptor-sim-process.js';
import type { KioskApiClient, TopUpView } from './kiosk-api-client.js';

/** Thrown into the driver once the harness has killed the daemon it was talking to. */
export class Killed extends Error {}

const DENOMINATIONS = [100, 500, 1000, 2000, 5000, 10_000] as const;

export function randomAccount(prng: Prng): string {
  let digits = `1${3 + prng.below(7)}`;
  for (let i = 0; i < 9; i++) digits += String(prng.below(10));
  return digits;
}

export interface DriveHooks {
  /** The kiosk's maxNotesPerTransaction: with that many notes in, the customer confirms. */
  maxNotes: number;
  /** A top-up was started. */
  onTopUp(): void;
  /** A note was just inserted into the acceptor. */
  onNote(): void;
  /** The customer is about to confirm or cancel. */
  onEnding(): void;
  /** Between two customers (and before the first): the moment a technician may step in. */
  betweenCustomers(): Promise<void>;
}

/** Polls until `check` holds; false when it did not within `timeoutMs`. Throws once killed. */
async function until(
  signal: AbortSignal,
  timeoutMs: number,
  check: () => Promise<boolean>,
): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (signal.aborted) throw new Killed('daemon killed');
    if (await check()) return true;
    await sleep(10);
  }
  return false;
}

/**
 * Customers, one after another, until the daemon is killed: a random CN mobile number (now and
 * then a bad one first), one to four notes — mostly ones the acceptor is enabled for, now and
 * then one it is not — then confirm, cancel, or walk away for a moment and confirm. Anything
 * the API answers outside its contract is thrown: the harness reports it as a failure.
 */
export async function driveTopUps(
  api: KioskApiClient,
  sim: AcceptorSimProcess,
  prng: Prng,
  signal: AbortSignal,
  hooks: DriveHooks,
): Promise<never> {
  const current = async (): Promise<TopUpView | null> => {
    const answer = await api.current();
    return answer.status === 200 ? answer.body : null;
  };
  for (;;) {
    if (signal.aborted) throw new Killed('daemon killed');
    await hooks.betweenCustomers();
    if (signal.aborted) throw new Killed('daemon killed');
    const started = await api.start();
    if (started.status !== 201) {
      await sleep(20);
      continue;
    }
    hooks.onTopUp();
    if (prng.next() < 0.05) {
      const bad = await api.account('12345');
      if (bad.status !== 400) throw new Error(`a bad account got ${bad.status}, not 400`);
    }
    const entered = await api.account(randomAccount(prng));
    if (entered.status !== 200) throw new Error(`account refused: ${JSON.stringify(entered.body)}`);

    const wanted = 1 + prng.below(4);
    for (let i = 0; i < wanted; i++) {
      let view: TopUpView | null = null;
      let full = false;
      // Ready for a note once the service says which notes fit and the unit is enabled for them;
      // with the limit reached nothing fits any more, and the customer goes on to confirm.
      const ready = await until(signal, 3_000, async () => {
        view = await current();
        if (view?.state !== 'insertingCash' || view.noteInProgress) return false;
        full = view.remaining < 100 || view.notes.length >= hooks.maxNotes;
        if (full) return true;
        if (view.acceptedDenominations.length === 0) return false;
        return (await sim.model()).status === 'idling';
      });
      const accepted = (view as TopUpView | null)?.acceptedDenominations ?? [];
      if (!ready || full || accepted.length === 0) break;
      const denomination =
        prng.next() < 0.9
          ? (accepted[prng.below(accepted.length)] as number)
          : (DENOMINATIONS[prng.below(DENOMINATIONS.length)] as number);
      try {
        await sim.control({ action: 'note.insert', denomination });
      } catch {
        continue; // the unit did not draw it in (inhibited a moment ago): nothing happened
      }
      hooks.onNote();
      await until(signal, 3_000, async () => {
        const model = await sim.model();
        return model.note === null && (model.status === 'idling' || model.status === 'disabled');
      });
    }

    const roll = prng.next();
    if (roll > 0.9) await sleep(prng.below(500));
    const cancel = roll > 0.65 && roll <= 0.9;
    hooks.onEnding();
    for (let attempt = 0; attempt < 50; attempt++) {
      const answer = cancel ? await api.cancel() : await api.confirm();
      if (answer.status === 200) break;
      const view = await current();
      if (view === null || view.state === 'done' || view.state === 'cancelled') break;
      // Nothing credited: confirm is refused, so the customer cancels instead.
      if (!cancel && view.notes.length === 0 && !view.noteInProgress) {
        await api.cancel();
        break;
      }
      await sleep(20);
    }
    await until(signal, 3_000, async () => {
      const view = await current();
      return view === null || view.state === 'done' || view.state === 'cancelled';
    });
  }
}
