import type { DeviceName } from '../../devices/device-names.js';
import type { BindingInterface } from '../../devices/transport/serial-binding.js';
import type { KioskConfig } from '../config/index.js';
import type { Journal } from '../journal/journal.js';
import type { Logger } from '../log.js';
import type { JournalCashIn } from '../money/journal-cash-in.js';
import { startCashAcceptor } from './cash-acceptor-wiring.js';
import type { DeviceEntry, DeviceInterfaces } from './device-map.js';
import { startPinPad } from './pin-pad-wiring.js';
import { startPrinter } from './printer-wiring.js';

/** What the host hands every device kind's wiring; each takes what it needs. */
export interface DeviceStartInput {
  config: KioskConfig;
  journal: Journal;
  /** Real bindings or the in-process simulator binding, per the device's port. */
  binding: BindingInterface;
  /** The journal behind the acceptor's money hooks. */
  cashIn: JournalCashIn;
  logger: Logger;
}

export type DeviceStarter<N extends DeviceName> = (
  input: DeviceStartInput,
) => Promise<DeviceEntry<DeviceInterfaces[N]>>;

/**
 * How the host runs each device kind with the parts it needs. A kind is added here, beside
 * its registry in devices/ and its simulator line, and the daemon needs no edit; a kind the
 * device kinds' registry has no driver for is refused with the registry's line before
 * anything here is asked.
 */
export const deviceStarters: { readonly [N in DeviceName]?: DeviceStarter<N> } = {
  cashAcceptor: startCashAcceptor,
  printer: startPrinter,
  pinPad: startPinPad,
};
