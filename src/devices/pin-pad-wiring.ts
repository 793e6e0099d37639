import type { DeviceName } from '../../devices/device-names.js';
import type { PinPad } from '../../devices/pin-pad/pin-pad.js';
import { createPinPad } from '../../devices/pin-pad/registry.js';
import type { DeviceEntry } from './device-map.js';
import type { DeviceStartInput } from './device-starters.js';

/** The journal's and the fleet's name for the PIN pad. */
export const PIN_PAD_DEVICE = 'pinPad' satisfies DeviceName;

/**
 * The PIN pad as the daemon runs it: the configured protocol's pad from the registry. It starts
 * in the background, as the printer does: a kiosk whose pad is unplugged still starts, reports
 * it, and takes PINs once it is back. Key events are not logged here: a count of presses is all
 * the balance query needs, and it listens itself.
 */
export async function startPinPad(input: DeviceStartInput): Promise<DeviceEntry<PinPad>> {
  const { config, binding, logger } = input;
  const pad = await createPinPad({
    name: PIN_PAD_DEVICE,
    config: config.devices.pinPad,
    binding,
    logger,
    byteTrace: config.log.byteTrace,
  });
  pad.start().catch((error: unknown) => logger.error({ err: error }, 'PIN pad start failed'));
  return {
    device: pad,
    async diagnostics() {
      return { ...(await pad.diagnostics()) };
    },
    stop: () => pad.stop(),
  };
}
