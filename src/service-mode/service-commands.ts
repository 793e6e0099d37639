import { type DeviceFault, deviceCommands } from './commands/device-commands.js';
import { journalCommands } from './commands/journal-commands.js';
import { kioskCommands } from './commands/kiosk-commands.js';
import { receiptCommands } from './commands/receipt-commands.js';
import type { ServiceCommand } from './service-command.js';

/** Every command group a technician has; a new group (cash collection) is one file and one line here. */
export function serviceCommands(
  faults: () => Readonly<Record<string, readonly DeviceFault[]>>,
): ServiceCommand[] {
  return [...deviceCommands(faults), ...kioskCommands, ...journalCommands, ...receiptCommands];
}
