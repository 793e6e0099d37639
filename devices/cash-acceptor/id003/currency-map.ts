import type { CurrencyTableEntry } from '../cash-acceptor.js';
import { ESCROW_CODE_FIRST } from './codec/constants.js';
import type { CurrencyAssignmentEntry } from './codec/messages.js';

/** Bits in the C0 enable mask: escrow codes 0x61..0x70. */
const MASK_BITS = 16;
const ALL_DISABLED = 0xffff;

export interface CurrencyMapInput {
  /** The unit's 8A table. */
  table: readonly CurrencyAssignmentEntry[];
  /** Minor units per major unit of the kiosk's currency (100 fen per yuan). */
  minorUnitsPerMajor: number;
  /** What the kiosk takes at all, in minor units; every other code is masked off. */
  acceptedDenominations: readonly number[];
  /** Escrow code → minor units, for units whose 8A table is wrong; wins over the table. */
  denominationOverride?: Readonly<Record<number, number>>;
}

export interface CurrencyMapProblem {
  escrowCode: number;
  problem: string;
}

/**
 * Escrow code → denomination in minor units, built from the unit's currency table and the
 * kiosk's config. A code the map does not hold is a note the driver cannot value: it is masked
 * off in C0 and returned if it ever reaches escrow.
 */
export class Id003CurrencyMap {
  readonly #byCode = new Map<number, CurrencyTableEntry>();
  /** Table rows the map ignored, with why, for the log: a lying table should be visible. */
  readonly problems: readonly CurrencyMapProblem[];

  constructor(input: CurrencyMapInput) {
    const accepted = new Set(input.acceptedDenominations);
    const problems: CurrencyMapProblem[] = [];
    for (const row of input.table) {
      if (this.#byCode.has(row.escrowCode)) {
        problems.push({ escrowCode: row.escrowCode, problem: 'appears twice in the table; first row kept' });
        continue;
      }
      const value = row.base * 10 ** row.exponent * input.minorUnitsPerMajor;
      if (!Number.isSafeInteger(value) || value <= 0) {
        problems.push({
          escrowCode: row.escrowCode,
          problem: `value ${value} is not a positive whole amount`,
        });
        continue;
      }
      this.#byCode.set(row.escrowCode, { deviceCode: row.escrowCode, denomination: value, accepted: false });
    }
    for (const [codeText, denomination] of Object.entries(input.denominationOverride ?? {})) {
      const code = Number(codeText);
      this.#byCode.set(code, { deviceCode: code, denomination, accepted: false });
    }
    for (const entry of this.#byCode.values()) {
      const bit = entry.deviceCode - ESCROW_CODE_FIRST;
      // A code the C0 mask cannot address could not be switched off, so it is never accepted.
      entry.accepted = accepted.has(entry.denomination) && bit >= 0 && bit < MASK_BITS;
    }
    this.problems = problems;
  }

  /** The denomination of an escrow code the kiosk accepts, or undefined. */
  acceptedDenomination(escrowCode: number): number | undefined {
    const entry = this.#byCode.get(escrowCode);
    return entry?.accepted ? entry.denomination : undefined;
  }

  /** Denomination of any code the unit reported, accepted or not. */
  denominationOf(escrowCode: number): number | undefined {
    return this.#byCode.get(escrowCode)?.denomination;
  }

  /** Denominations the kiosk can take with this unit. */
  acceptedDenominations(): number[] {
    return [...new Set([...this.#byCode.values()].filter((e) => e.accepted).map((e) => e.denomination))].sort(
      (a, b) => a - b,
    );
  }

  entries(): CurrencyTableEntry[] {
    return [...this.#byCode.values()].sort((a, b) => a.deviceCode - b.deviceCode).map((e) => ({ ...e }));
  }

  /**
   * The C0 mask (bit = 1 disables) that lets through exactly the accepted codes whose
   * denomination is in `wanted`; every other bit, including codes the unit never reported, is set.
   */
  disabledMask(wanted: ReadonlySet<number>): number {
    let mask = ALL_DISABLED;
    for (const entry of this.#byCode.values()) {
      if (!entry.accepted || !wanted.has(entry.denomination)) continue;
      mask &= ~(1 << (entry.deviceCode - ESCROW_CODE_FIRST));
    }
    return mask & ALL_DISABLED;
  }
}

/** Everything disabled: what C0 carries before the unit's table is known. */
export const ALL_DENOMINATIONS_DISABLED = ALL_DISABLED;
