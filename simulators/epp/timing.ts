import { z } from 'zod';

/**
 * How fast the simulated PIN pad is. A real EPP answers a command within tens of milliseconds;
 * a PIN block takes a little longer (the secure processor derives the DUKPT key); a customer's
 * finger presses about six keys a second. Wire time is the harness's (SimLine).
 */
export interface EppTiming {
  /** From the end of a command to the start of its reply. */
  answerDelayMs: number;
  /** Added to the answer delay of getPinBlock: the key derivation and encryption in the pad. */
  pinBlockMs: number;
  /** Power on until the pad takes commands; input before then is lost. */
  bootMs: number;
  /** Between two presses of one `keys.press`, unless the action says otherwise. */
  keyIntervalMs: number;
}

export const REALISTIC_TIMING: Readonly<EppTiming> = Object.freeze({
  answerDelayMs: 15,
  pinBlockMs: 40,
  bootMs: 800,
  keyIntervalMs: 150,
});

/** The same pad and a very quick finger, so an entry takes milliseconds in tests. */
export const FAST_TIMING: Readonly<EppTiming> = Object.freeze({
  answerDelayMs: 1,
  pinBlockMs: 1,
  bootMs: 20,
  keyIntervalMs: 5,
});

export const TIMING_PRESETS = { realistic: REALISTIC_TIMING, fast: FAST_TIMING } as const;
export type TimingPresetName = keyof typeof TIMING_PRESETS;

export const MAX_KEY_INTERVAL_MS = 10_000;
const durationMs = z.number().min(0).max(60_000);

/** Per-field overrides of a preset; unknown fields are an error so a typo never goes unnoticed. */
export const timingOverridesSchema = z.strictObject({
  answerDelayMs: durationMs.optional(),
  pinBlockMs: durationMs.optional(),
  bootMs: durationMs.optional(),
  keyIntervalMs: z.number().min(0).max(MAX_KEY_INTERVAL_MS).optional(),
});
export type TimingOverrides = z.output<typeof timingOverridesSchema>;

export function resolveTiming(preset: TimingPresetName, overrides: TimingOverrides = {}): EppTiming {
  const timing: EppTiming = { ...TIMING_PRESETS[preset] };
  for (const [key, value] of Object.entries(overrides) as [keyof EppTiming, number | undefined][]) {
    if (value !== undefined) timing[key] = value;
  }
  return timing;
}
