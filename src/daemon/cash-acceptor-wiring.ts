import { ID003_LINE, Id003Driver } from '../../devices/cash-acceptor/id003/driver.js';
import type { DeviceStatus } from '../../devices/device-status.js';
import type { BindingInterface } from '../../devices/transport/serial-binding.js';
import { SerialTransport } from '../../devices/transport/serial-transport.js';
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
  const section = config.devices.cashAcceptor;
  const transport = new SerialTransport({
    name: CASH_ACCEPTOR_DEVICE,
    path: section.port,
    line: ID003_LINE,
    binding,
    silenceTimeoutMs: section.silenceTimeoutMs,
    reconnect: section.reconnect,
    logger,
    byteTrace: config.log.byteTrace,
  });
  const cashIn = new JournalCashIn(journal, CASH_ACCEPTOR_DEVICE, logger.child({ component: 'cash-in' }));
  const overrides: Record<number, number> = {};
  for (const [code, denomination] of Object.entries(section.denominationOverride ?? {})) {
    if (denomination !== undefined) overrides[Number(code)] = denomination;
  }
  const driver = new Id003Driver({
    name: CASH_ACCEPTOR_DEVICE,
    transport,
    hooks: cashIn,
    logger,
    options: {
      pollIntervalMs: section.pollIntervalMs,
      answerTimeoutMs: section.answerTimeoutMs,
      retries: section.retries,
      stackCommand: section.stackCommand,
      escrowHoldMs: section.escrowHoldMs,
      denominationOverride: overrides,
      acceptedDenominations: [...config.currency.denominations],
      minorUnitsPerMajor: config.currency.minorUnitsPerMajor,
    },
  });
  driver.on('status', (status: DeviceStatus) => logger.info({ status }, 'cash acceptor status'));
  driver.on('returned', (event) => cashIn.noteReturned(event));
  driver.on('credited', (credit) => logger.info({ credit }, 'note credited'));
  driver.on('rejected', (event) => logger.info({ rejected: event }, 'note rejected'));
  driver.on('unknownStatus', (event) => logger.warn({ unknownStatus: event }, 'unknown acceptor status'));
  transport.start();
  driver.start().catch((error: unknown) => logger.error({ err: error }, 'cash acceptor start failed'));
  return {
    driver,
    transport,
    cashIn,
    async stop() {
      await driver.stop();
      await transport.stop();
    },
  };
}
