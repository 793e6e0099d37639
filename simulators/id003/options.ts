import { z } from 'zod';
import { parseControl } from '../harness/control-parse.js';
import {
  CNY_MINOR_PER_MAJOR,
  type CurrencyAssignment,
  DEFAULT_CNY_TABLE,
  recognisedTableSchema,
  reportedTableSchema,
} from './currency-table.js';
import { type Id003Timing, resolveTiming, TIMING_PRESETS, timingOverridesSchema } from './timing.js';

export const DEFAULT_VERSION = 'JCM ID-003 SIM V1.00 CNY';
export const DEFAULT_BOOT_VERSION = 'JCM ID-003 SIM BOOT V1.00';
export const DEFAULT_CAPACITY = 1000;

/** Printable ASCII only: the version is shown to technicians and logged. */
const asciiText = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[\x20-\x7e]+$/, 'printable ASCII only');

export const id003OptionsSchema = z.strictObject({
  /** `realistic` (default) or `fast` for tests; `timing` overrides single fields of it. */
  timingPreset: z.enum(Object.keys(TIMING_PRESETS) as [keyof typeof TIMING_PRESETS]).optional(),
  timing: timingOverridesSchema.optional(),
  capacity: z.number().int().min(1).max(100_000).optional(),
  /** The notes the unit really recognises; money in the ground-truth ledger comes from this table. */
  currencyTable: recognisedTableSchema.optional(),
  /** What 8A reports, when it should differ from the truth (a "lying" unit for driver override tests). */
  reportedCurrencyTable: reportedTableSchema.max(62).optional(),
  minorPerMajor: z.number().int().min(1).max(1000).optional(),
  version: asciiText.optional(),
  bootVersion: asciiText.optional(),
  /** Seed for the PRNG behind `answers.drop {rate}`. */
  seed: z.number().int().min(0).max(0xffff_ffff).optional(),
  /** A frame with a bad CRC: no answer (the real unit's default) or COMMUNICATION ERROR 0x4A. */
  onBadFrame: z.enum(['silent', 'communicationError']).optional(),
  /**
   * Whether the host's ACK of VEND VALID is answered with an ACK. Units differ: real ones and
   * the public hosts' expectations say silent (the default); `true` is the other behaviour.
   */
  answersHostAck: z.boolean().optional(),
});

export interface Id003ModelConfig {
  timing: Id003Timing;
  capacity: number;
  currencyTable: CurrencyAssignment[];
  reportedCurrencyTable: CurrencyAssignment[];
  minorPerMajor: number;
  version: string;
  bootVersion: string;
  seed: number;
  onBadFrame: 'silent' | 'communicationError';
  answersHostAck: boolean;
}

/** Untrusted factory options → a complete config; a KioskError SimBadControl names the bad field. */
export function resolveId003Options(options: unknown = {}): Id003ModelConfig {
  const o = parseControl(id003OptionsSchema, options ?? {}, 'id003 simulator options');
  const currencyTable = (o.currencyTable ?? DEFAULT_CNY_TABLE).map((e) => ({ ...e }));
  return {
    timing: resolveTiming(o.timingPreset ?? 'realistic', o.timing),
    capacity: o.capacity ?? DEFAULT_CAPACITY,
    currencyTable,
    reportedCurrencyTable: (o.reportedCurrencyTable ?? currencyTable).map((e) => ({ ...e })),
    minorPerMajor: o.minorPerMajor ?? CNY_MINOR_PER_MAJOR,
    version: o.version ?? DEFAULT_VERSION,
    bootVersion: o.bootVersion ?? DEFAULT_BOOT_VERSION,
    seed: o.seed ?? 1,
    onBadFrame: o.onBadFrame ?? 'silent',
    answersHostAck: o.answersHostAck ?? false,
  };
}
