import { z } from 'zod';

/**
 * How fast the simulated printer's mechanism is. Figures are for a 203 dpi (8 dots/mm) thermal
 * kiosk printer of the common Chinese-market class: 150–250 mm/s, the default ESC/POS line pitch
 * of 30 dots (3.75 mm), a cutter about 14 mm past the head. Wire time is the harness's (SimLine);
 * these are the times the paper needs to move, which a driver meets as a full receive buffer.
 */
export interface EscPosTiming {
  /** Paper speed while printing or feeding. */
  printSpeedMmPerS: number;
  /** One line of the standard font including line spacing; a double-size line takes twice this. */
  lineHeightMm: number;
  /** Head to cutter: `GS V 66` feeds this far before the blade moves. */
  cutterDistanceMm: number;
  /** The blade's stroke, there and back. */
  cutMs: number;
  /** Power on until the printer takes bytes and answers. */
  bootMs: number;
  /** From the end of a `DLE EOT n` to the start of its reply. */
  answerDelayMs: number;
}

export const REALISTIC_TIMING: Readonly<EscPosTiming> = Object.freeze({
  printSpeedMmPerS: 200,
  lineHeightMm: 3.75,
  cutterDistanceMm: 14,
  cutMs: 300,
  bootMs: 1200,
  answerDelayMs: 1,
});

/** The same mechanism ten times faster, so a receipt takes milliseconds rather than seconds in tests. */
export const FAST_TIMING: Readonly<EscPosTiming> = Object.freeze({
  printSpeedMmPerS: 2000,
  lineHeightMm: 3.75,
  cutterDistanceMm: 14,
  cutMs: 30,
  bootMs: 50,
  answerDelayMs: 1,
});

export const TIMING_PRESETS = { realistic: REALISTIC_TIMING, fast: FAST_TIMING } as const;
export type TimingPresetName = keyof typeof TIMING_PRESETS;

const durationMs = z.number().min(0).max(60_000);

/** Per-field overrides of a preset; unknown fields are an error so a typo never goes unnoticed. */
export const timingOverridesSchema = z.strictObject({
  printSpeedMmPerS: z.number().min(1).max(100_000).optional(),
  lineHeightMm: z.number().min(0.5).max(20).optional(),
  cutterDistanceMm: z.number().min(0).max(100).optional(),
  cutMs: durationMs.optional(),
  bootMs: durationMs.optional(),
  answerDelayMs: durationMs.optional(),
});
export type TimingOverrides = z.output<typeof timingOverridesSchema>;

export function resolveTiming(preset: TimingPresetName, overrides: TimingOverrides = {}): EscPosTiming {
  const timing: EscPosTiming = { ...TIMING_PRESETS[preset] };
  for (const [key, value] of Object.entries(overrides) as [keyof EscPosTiming, number | undefined][]) {
    if (value !== undefined) timing[key] = value;
  }
  return timing;
}

/** Milliseconds the paper takes to move `mm` at the print speed. */
export function travelMs(timing: EscPosTiming, mm: number): number {
  return (mm * 1000) / timing.printSpeedMmPerS;
}
