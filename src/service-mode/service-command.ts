import type { KioskConfig } from '../config/index.js';
import type { OperatorMode } from '../daemon/kiosk-mode-store.js';
import type { DeviceMap } from '../devices/device-map.js';
import type { Journal } from '../journal/journal.js';
import type { Logger } from '../log.js';
import type { ReceiptPrinting } from '../receipts/receipt-printing.js';
import type { KioskMode } from '../topup/top-up-view.js';
import { ServiceError } from './service-error.js';

/** What a command may use: the kiosk's parts, and who is running it. */
export interface ServiceContext {
  readonly technician: string;
  readonly config: KioskConfig;
  readonly journal: Journal;
  readonly devices: DeviceMap;
  /** The kiosk's receipt printing; undefined when no printer is enabled. */
  readonly receipts: ReceiptPrinting | undefined;
  readonly logger: Logger;
  /** The kiosk's effective mode now. */
  kioskMode(): KioskMode;
  /** The operator's choice the kiosk returns to when service mode ends; stays in maintenance meanwhile. */
  setReturnMode(mode: OperatorMode): Promise<KioskMode>;
}

/**
 * One thing a technician can do. Commands come in groups, one file each (devices, kiosk,
 * journal; cash collection adds its own file), listed in service-commands.ts.
 */
export interface ServiceCommand {
  readonly name: string;
  /** Arguments as the technician types them, e.g. "<device>". */
  readonly usage: string;
  readonly summary: string;
  /** Whether the kiosk must already be in maintenance (no customer in progress): true for anything touching a device or money. */
  readonly needsActive: boolean;
  /** Most commands take at most a few words; bounded before the command sees them. */
  readonly maxArgs: number;
  run(context: ServiceContext, args: readonly string[]): Promise<unknown>;
}

export function argumentError(command: ServiceCommand, message: string): ServiceError {
  return new ServiceError('badArgs', `${command.name}: ${message} (usage: ${command.name} ${command.usage})`);
}
