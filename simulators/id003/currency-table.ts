import { z } from 'zod';
import { ESCROW_CODE_FIRST, ESCROW_CODE_LAST } from '../../devices/cash-acceptor/id003/codec/constants.js';

/** One 8A block: `[escrow code][country][base][exponent]`, value = base × 10^exponent major units. */
export interface CurrencyAssignment {
  escrowCode: number;
  countryCode: number;
  base: number;
  exponent: number;
}

/**
 * The country byte JCM uses for China is unverified (no vendor manual at hand); 0x9C is 156,
 * the ISO 3166/4217 numeric code for China/CNY. It is opaque data to the driver and every
 * unit's table is configurable, so a wrong guess here cannot miscount money.
 */
export const CNY_COUNTRY_CODE_UNVERIFIED = 0x9c;

/** Fen per yuan. */
export const CNY_MINOR_PER_MAJOR = 100;

/** Escrow codes 0x61..0x66 → 1, 5, 10, 20, 50, 100 yuan. */
export const DEFAULT_CNY_TABLE: readonly CurrencyAssignment[] = Object.freeze([
  { escrowCode: 0x61, countryCode: CNY_COUNTRY_CODE_UNVERIFIED, base: 1, exponent: 0 },
  { escrowCode: 0x62, countryCode: CNY_COUNTRY_CODE_UNVERIFIED, base: 5, exponent: 0 },
  { escrowCode: 0x63, countryCode: CNY_COUNTRY_CODE_UNVERIFIED, base: 1, exponent: 1 },
  { escrowCode: 0x64, countryCode: CNY_COUNTRY_CODE_UNVERIFIED, base: 2, exponent: 1 },
  { escrowCode: 0x65, countryCode: CNY_COUNTRY_CODE_UNVERIFIED, base: 5, exponent: 1 },
  { escrowCode: 0x66, countryCode: CNY_COUNTRY_CODE_UNVERIFIED, base: 1, exponent: 2 },
]);

const byte = z.number().int().min(0).max(0xff);

/** A table as reported over 8A: any byte values, so a "lying" table can be anything a real unit might send. */
export const reportedTableSchema = z.array(
  z.strictObject({ escrowCode: byte, countryCode: byte, base: byte, exponent: byte }),
);

/**
 * The table the unit really recognises notes by. Escrow codes must be ones the SET ENABLE mask
 * can address and appear once, and each must map to a distinct whole number of minor units.
 */
export const recognisedTableSchema = z
  .array(
    z.strictObject({
      escrowCode: z.number().int().min(ESCROW_CODE_FIRST).max(ESCROW_CODE_LAST),
      countryCode: byte,
      base: z.number().int().min(1).max(0xff),
      exponent: z.number().int().min(0).max(9),
    }),
  )
  .min(1)
  .superRefine((table, ctx) => {
    const seen = new Set<number>();
    for (const [i, entry] of table.entries()) {
      if (seen.has(entry.escrowCode)) {
        ctx.addIssue({ code: 'custom', path: [i, 'escrowCode'], message: 'escrow code appears twice' });
      }
      seen.add(entry.escrowCode);
    }
  });

/** Value of one note of this assignment in minor units (integers only: exponent ≥ 0). */
export function minorUnitsOf(entry: CurrencyAssignment, minorPerMajor: number): number {
  return entry.base * 10 ** entry.exponent * minorPerMajor;
}
