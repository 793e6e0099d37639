import type { DeviceName } from '../../devices/device-names.js';
import type { ReceiptPrinter } from '../../devices/printer/printer.js';
import { createPrinter } from '../../devices/printer/registry.js';
import type { DeviceEntry } from './device-map.js';
import type { DeviceStartInput } from './device-starters.js';

/** The journal's and the fleet's name for the receipt printer. */
export const PRINTER_DEVICE = 'printer' satisfies DeviceName;

/**
 * The receipt printer as the daemon runs it: the configured protocol's printer from the
 * registry. It starts in the background, as the acceptor does: a kiosk whose printer is
 * unplugged still starts, reports it, and prints once it is back.
 */
export async function startPrinter(input: DeviceStartInput): Promise<DeviceEntry<ReceiptPrinter>> {
  const { config, binding, logger } = input;
  const printer = await createPrinter({
    name: PRINTER_DEVICE,
    config: config.devices.printer,
    binding,
    logger,
    byteTrace: config.log.byteTrace,
  });
  printer.on('status', (status) => logger.info({ status }, 'printer status'));
  printer.start().catch((error: unknown) => logger.error({ err: error }, 'printer start failed'));
  return {
    device: printer,
    async diagnostics() {
      return { ...(await printer.diagnostics()) };
    },
    stop: () => printer.stop(),
  };
}
