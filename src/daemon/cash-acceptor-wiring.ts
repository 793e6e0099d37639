import { createId003Acceptor } from '../../devices/cash-acceptor/id003/create.js';
import type { Id003Driver } from '../../devices/cash-acceptor/id003/driver.js';
import type { DeviceStatus } from '../../devices/device-status.js';
import type { BindingInterface } from '../../devices/transport/serial-binding.js';
import type { SerialTransport } from '../../devices/transport/serial-transport.js';
import type { KioskConfig } from '../config/index.js';
import type { Journal } from '../journal/journal.js';
import type { Logger } from '../log.js';
import { JournalCashIn } from '../money/journal-cash-in.js';

/** The journal's name for the acceptor's notes and cashbox counters. */
export const CASH_ACCEPTOR_DEVICE = 'cashAcceptor';

export interface CashAcceptorWiring {
  readonly driver: Id003Driver;
  readonly transport: SerialTransport;
  readonly cashIn: JournalCashIn;
  stop(): Promise<void>;
}

/**
 * The banknote acceptor as the daemon runs it: a serial transport on the configured port, the
 * ID-003 driver on top, and the journal behind its money hooks. The driver starts in the
 * background: a kiosk whose acceptor is unplugged still starts, reports the device offline,
 * and picks it up when it appears.
 */
export function startCashAcceptor(input: {
  config: KioskConfig;
  journal: Journal;
  binding: BindingInterface;
  logger: Logger;
}): CashAcceptorWiring {
  const { config, journal, binding, logger } = input;
  const cashIn = new JournalCashIn(journal, CASH_ACCEPTOR_DEVICE, logger.child({ component: 'cash-in' }));
  const acceptor = createId003Acceptor({
    name: CASH_ACCEPTOR_DEVICE,
    config: config.devices.cashAcceptor,
    currency: config.currency,
    binding,
    hooks: cashIn,
    logger,
    byteTrace: config.log.byteTrace,
  });
  const { driver, transport } = acceptor;
  driver.on('status', (status: DeviceStatus) => logger.info({ status }, 'cash acceptor status'));
  driver.on('returned', (event) => cashIn.noteReturned(event));
  driver.on('credited', (credit) => logger.info({ credit }, 'note credited'));
  driver.on('rejected', (event) => logger.info({ rejected: event }, 'note rejected'));
  driver.on('unknownStatus', (event) => logger.warn({ unknownStatus: event }, 'unknown acceptor status'));
  acceptor.start().catch((error: unknown) => logger.error({ err: error }, 'cash acceptor start failed'));
  return {
    driver,
    transport,
    cashIn,
    stop: () => acceptor.stop(),
  };
}
