import type { KioskConfig } from '../config/index.js';
import type { DeviceMap } from '../devices/device-map.js';
import type { Journal } from '../journal/journal.js';
import type { Logger } from '../log.js';
import { customerReceipt } from './receipt-document.js';
import { ReceiptPrinting } from './receipt-printing.js';

/** Prints a customer may have of one payment from the screen: the first and one reprint. */
const MAX_CUSTOMER_PRINTS = 2;

/**
 * The kiosk's receipts from its config: undefined when no printer is enabled (every payment then
 * records receipt false). Prints a restart interrupted are settled first, so the top-up that
 * recovery resumes finds them failed and does not print them again.
 */
export function kioskReceipts(input: {
  config: KioskConfig;
  journal: Journal;
  devices: DeviceMap;
  logger: Logger;
}): ReceiptPrinting | undefined {
  const { config, journal, devices, logger } = input;
  const printerConfig = config.devices.printer;
  if (!printerConfig.enabled) return undefined;
  for (const receipt of journal.receipts.settleInterrupted()) {
    logger.warn(
      { paymentId: receipt.paymentId },
      'receipt print interrupted by a restart; not printed again',
    );
  }
  return new ReceiptPrinting({
    journal,
    printer: () => devices.get('printer'),
    document: ({ payment, language, reprintedAt }) =>
      customerReceipt({
        payment,
        kioskId: config.kioskId,
        config: config.receipts,
        language,
        columns: printerConfig.columns,
        minorUnitsPerMajor: config.currency.minorUnitsPerMajor,
        ...(reprintedAt === null ? {} : { reprintedAt: reprintedAt.toISOString() }),
      }),
    reprintWindow: config.receipts,
    maxCustomerPrints: MAX_CUSTOMER_PRINTS,
    logger: logger.child({ component: 'receipts' }),
  });
}
