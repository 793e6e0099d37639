import { describe, expect, it } from 'vitest';
import type { Clock } from '../../../../core/clock.js';
import {
  closeRigsAfterEach,
  ID003_RIG_CASES,
  type Id003Rig,
  startAndEnable,
  startId003Rig,
  waitUntil,
} from '../../../helpers/id003-rig.js';

const rigs = closeRigsAfterEach();

interface ModelNote {
  noteId: string;
  denomination: number;
  outcome: string;
}

const notesOf = (rig: Id003Rig) => (rig.model() as unknown as { notes: ModelNote[] }).notes;

/**
 * Real time, except that while paused the driver's timers that come due wait for resume(): the
 * driver's next status request is held back, as a stalled event loop would hold it.
 */
class PausableClock implements Clock {
  #paused = false;
  readonly #due: Array<() => void> = [];
  now(): number {
    return performance.now();
  }
  setTimer(callback: () => void, delayMs: number): { cancel(): void } {
    let cancelled = false;
    const fire = () => {
      if (!cancelled) callback();
    };
    const timer = setTimeout(() => (this.#paused ? this.#due.push(fire) : fire()), Math.max(0, delayMs));
    return {
      cancel: () => {
        cancelled = true;
        clearTimeout(timer);
      },
    };
  }
  pause(): void {
    this.#paused = true;
  }
  resume(): void {
    this.#paused = false;
    for (const fire of this.#due.splice(0)) fire();
  }
}

/**
 * ID-003's STACK names no note. A decision that comes back after the unit has handed the note
 * back on its own escrow timeout and drawn in the next one must not STACK: it would stack the
 * next customer's note under the first note's credit. The crash harness met this on a stalled
 * machine; here a held decision and held-back polls make the same order of events
 * deterministic: the driver sees note A in escrow, the unit returns A and takes B before the
 * driver's next status request, and only then does the host answer "stack A".
 */
describe.each(ID003_RIG_CASES)(
  'ID-003 driver: a late STACK decision ($variant, unit answers host ACK: $answersHostAck)',
  (rigCase) => {
    it('waits for a fresh sighting, reports A returned and credits B as B', async () => {
      const clock = new PausableClock();
      const rig = await startId003Rig({
        ...rigCase,
        clock,
        driver: { staleEscrowMs: 100 },
        model: { timing: { escrowTimeoutMs: 300 } },
      });
      rigs.push(rig);
      await startAndEnable(rig);

      let release = () => {};
      rig.host.decisionGate = new Promise<void>((resolve) => {
        release = resolve;
      });
      rig.control({ action: 'note.insert', denomination: 2000 });
      await waitUntil('the driver to see note A in escrow', () => rig.events.escrow.length === 1, 5_000);
      clock.pause();
      await waitUntil(
        'the unit to hand A back on its escrow timeout',
        () => notesOf(rig)[0]?.outcome === 'returned' && rig.model().status === 'idling',
        1_000,
      );
      rig.control({ action: 'note.insert', denomination: 5000 });
      await waitUntil('B in escrow', () => String(rig.model().status).startsWith('escrow'), 400);
      // Still before the driver's next status request: it has seen nothing of this.
      expect(rig.events.escrow).toHaveLength(1);
      rig.host.decisionGate = undefined;
      release();
      await new Promise((resolve) => setTimeout(resolve, 50));
      clock.resume();

      await waitUntil(
        'B to be stacked and the unit idle',
        () => notesOf(rig)[1]?.outcome === 'stacked' && rig.model().status === 'idling',
        6_000,
      );
      await waitUntil('the credit of B to be journaled', () => rig.host.credits.length === 1, 2_000);

      const [decisionA, decisionB] = rig.host.decisions;
      expect(decisionA?.note.denomination).toBe(2000);
      expect(decisionA?.decision.action).toBe('stack');
      expect(decisionB?.note.denomination).toBe(5000);
      const noteA = decisionA?.decision.action === 'stack' ? decisionA.decision.noteId : '';
      expect(rig.journal.notes.get(noteA).state).toBe('returned');
      expect(rig.events.returned.map((r) => r.noteId)).toContain(noteA);
      // Money: what the cashbox holds is what the journal credited, note for note.
      expect(rig.ledger().map((e) => e.denomination)).toEqual([5000]);
      expect(rig.host.creditedDenominations()).toEqual([5000]);
      expect(rig.received.filter((c) => c.kind === 'stack2')).toHaveLength(1);
      expect(rig.host.pendingIntents()).toBe(0);
    }, 30_000);
  },
);
