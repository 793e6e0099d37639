/**
 * The devices a kiosk may have, one of each: the names the config sections, the journal's
 * device column, the fleet's health and commands and the kiosk mode use. A new device kind
 * starts here.
 */
export const DEVICE_NAMES = ['cashAcceptor', 'printer', 'pinPad'] as const;
export type DeviceName = (typeof DEVICE_NAMES)[number];

export function isDeviceName(value: unknown): value is DeviceName {
  return DEVICE_NAMES.includes(value as DeviceName);
}
