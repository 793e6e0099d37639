import { z } from 'zod';

/**
 * How long each mechanical step of the simulated acceptor takes, in milliseconds. A real unit's
 * numbers vary by model, firmware and note condition: the realistic preset is an approximation
 * of an ID-003 unit of the iVIZION/UBA class, good enough for a driver to meet the same pacing
 * it will meet in the field (escrow that times out on its own, VEND VALID a second after STACK).
 */
export interface Id003Timing {
  /** Turn-around from the end of a host frame to the start of the answer (wire time is the harness's). */
  answerDelayMs: number;
  /** INITIALIZE (0x1B) after RESET: the mechanism homes and returns or finishes a note left in the path. */
  initializeMs: number;
  /** ACCEPTING (0x12): the note is drawn in and validated. */
  acceptingMs: number;
  /** The unit's own escrow timeout: with no STACK, RETURN or HOLD by then it returns the note. */
  escrowTimeoutMs: number;
  /** STACKING (0x14): from STACK until the note is fully in the cashbox. */
  stackingMs: number;
  /** STACKED (0x16) shown after the host ACKs VEND VALID, before IDLING. */
  stackedMs: number;
  /** REJECTING (0x17): the note is pushed back out to the customer. */
  rejectingMs: number;
  /** RETURNING (0x18): the note is handed back after RETURN or an escrow timeout. */
  returningMs: number;
}

export const REALISTIC_TIMING: Readonly<Id003Timing> = Object.freeze({
  answerDelayMs: 3,
  initializeMs: 1500,
  acceptingMs: 800,
  escrowTimeoutMs: 5000,
  stackingMs: 1000,
  stackedMs: 200,
  rejectingMs: 800,
  returningMs: 800,
});

/** Same ordering of events, compressed so a full transaction takes well under a second in tests. */
export const FAST_TIMING: Readonly<Id003Timing> = Object.freeze({
  answerDelayMs: 1,
  initializeMs: 30,
  acceptingMs: 20,
  // Long enough that a host on a loaded 2-core CI machine still decides in time: a fast
  // preset that returns notes the host meant to stack tests the machine's load, not the code.
  escrowTimeoutMs: 1000,
  stackingMs: 40,
  stackedMs: 10,
  rejectingMs: 20,
  returningMs: 20,
});

export const TIMING_PRESETS = { realistic: REALISTIC_TIMING, fast: FAST_TIMING } as const;
export type TimingPresetName = keyof typeof TIMING_PRESETS;

const durationMs = z.number().int().min(0).max(600_000);

/** Per-field overrides of a preset; unknown fields are an error so a typo never goes unnoticed. */
export const timingOverridesSchema = z.strictObject({
  answerDelayMs: durationMs.optional(),
  initializeMs: durationMs.optional(),
  acceptingMs: durationMs.optional(),
  escrowTimeoutMs: durationMs.min(1).optional(),
  stackingMs: durationMs.optional(),
  stackedMs: durationMs.optional(),
  rejectingMs: durationMs.optional(),
  returningMs: durationMs.optional(),
});
export type TimingOverrides = z.output<typeof timingOverridesSchema>;

export function resolveTiming(preset: TimingPresetName, overrides: TimingOverrides = {}): Id003Timing {
  const timing: Id003Timing = { ...TIMING_PRESETS[preset] };
  for (const [key, value] of Object.entries(overrides) as [keyof Id003Timing, number | undefined][]) {
    if (value !== undefined) timing[key] = value;
  }
  return timing;
}

/**
 * STACK-1 reports VEND VALID at the point of no return, once the note has passed the stacker
 * gate, while the note is still moving; the model puts that point half-way through stacking.
 */
export function pointOfNoReturnMs(timing: Id003Timing): number {
  return Math.floor(timing.stackingMs / 2);
}
