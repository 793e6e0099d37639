import type { CashAcceptor } from '../../devices/cash-acceptor/cash-acceptor.js';
import { createCashAcceptor } from '../../devices/cash-acceptor/registry.js';
import type { DeviceName } from '../../devices/device-names.js';
import type { DeviceStatus } from '../../devices/device-status.js';
import type { BindingInterface } from '../../devices/transport/serial-binding.js';
import type { KioskConfig } from '../config/index.js';
import type { Journal } from '../journal/journal.js';
import type { Logger } from '../log.js';
import type { JournalCashIn } from '../money/journal-cash-in.js';
import type { DeviceEntry } from './device-map.js';

/** The journal's name for the acceptor's notes and cashbox counters. */
export const CASH_ACCEPTOR_DEVICE = 'cashAcceptor' satisfies DeviceName;

export type CashAcceptorWiring = DeviceEntry<CashAcceptor>;

/**
 * The banknote acceptor as the daemon runs it: the configured protocol's acceptor from the
 * registry, with the journal behind its money hooks. It starts in the background: a kiosk
 * whose acceptor is unplugged still starts, reports the device offline, and picks it up when
 * it appears.
 */
export async function startCashAcceptor(input: {
  config: KioskConfig;
  journal: Journal;
  binding: BindingInterface;
  /** The journal behind the acceptor's money hooks. */
  cashIn: JournalCashIn;
  logger: Logger;
}): Promise<CashAcceptorWiring> {
  const { config, journal, binding, cashIn, logger } = input;
  const acceptor = await createCashAcceptor({
    name: CASH_ACCEPTOR_DEVICE,
    config: config.devices.cashAcceptor,
    currency: config.currency,
    binding,
    hooks: cashIn,
    logger,
    byteTrace: config.log.byteTrace,
  });
  acceptor.on('status', (status: DeviceStatus) => logger.info({ status }, 'cash acceptor status'));
  acceptor.on('returned', (event) => cashIn.noteReturned(event));
  acceptor.on('credited', (credit) => logger.info({ credit }, 'note credited'));
  acceptor.on('rejected', (event) => logger.info({ rejected: event }, 'note rejected'));
  acceptor.on('unknownStatus', (event) => logger.warn({ unknownStatus: event }, 'unknown acceptor status'));
  acceptor.start().catch((error: unknown) => logger.error({ err: error }, 'cash acceptor start failed'));
  return {
    device: acceptor,
    async diagnostics() {
      return { ...(await acceptor.diagnostics()), cashbox: journal.cashbox.counters(CASH_ACCEPTOR_DEVICE) };
    },
    stop: () => acceptor.stop(),
  };
}
