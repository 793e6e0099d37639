import { ErrorCode, KioskError } from '../../core/errors.js';

/** Minor units per major unit the config allows, and the decimals each one prints with. */
const DECIMALS: ReadonlyMap<number, number> = new Map([
  [1, 0],
  [10, 1],
  [100, 2],
  [1000, 3],
]);

/**
 * FULLWIDTH YEN SIGN (U+FFE5, GBK A3 A4): the yuan sign a GBK printer prints. `¥` U+00A5 needs
 * four GB18030 bytes, which those printers print as garbage (PROTOCOLS.md).
 */
export const YUAN_SIGN = '\uffe5';

export interface MoneyUnits {
  currency: string;
  minorUnitsPerMajor: number;
}

function decimalsOf(units: MoneyUnits): number {
  const decimals = DECIMALS.get(units.minorUnitsPerMajor);
  if (decimals === undefined) {
    throw new KioskError(
      ErrorCode.DeviceBadArgument,
      `receipt: minorUnitsPerMajor must be 1, 10, 100 or 1000, got ${units.minorUnitsPerMajor}`,
      { details: { minorUnitsPerMajor: units.minorUnitsPerMajor } },
    );
  }
  return decimals;
}

function prefixOf(currency: string): string {
  return currency === 'CNY' ? YUAN_SIGN : `${currency} `;
}

/**
 * An amount in minor units as the customer reads it, `￥250.00`, with integer arithmetic only:
 * 0.1 + 0.2 never reaches a receipt. Other currencies print their code, `HKD 250.00`.
 */
export function moneyText(minor: number, units: MoneyUnits): string {
  const decimals = decimalsOf(units);
  if (!Number.isSafeInteger(minor) || minor < 0) {
    throw new KioskError(
      ErrorCode.DeviceBadArgument,
      `receipt: an amount must be a non-negative integer of minor units, got ${minor}`,
      { details: { amount: minor } },
    );
  }
  const whole = Math.trunc(minor / units.minorUnitsPerMajor);
  const fraction = minor % units.minorUnitsPerMajor;
  const digits = decimals === 0 ? '' : `.${String(fraction).padStart(decimals, '0')}`;
  return `${prefixOf(units.currency)}${whole}${digits}`;
}

/** A note's face value: `￥100` when it is whole, `￥0.50` when not. */
export function faceValueText(minor: number, units: MoneyUnits): string {
  const text = moneyText(minor, units);
  return minor % units.minorUnitsPerMajor === 0 ? text.replace(/\.0+$/, '') : text;
}
