import type { OperatorMode } from '../../daemon/kiosk-mode-store.js';
import { argumentError, type ServiceCommand } from '../service-command.js';

const OPERATOR_MODES: readonly OperatorMode[] = ['inService', 'outOfService'];

/**
 * In or out of service: the operator's choice, kept in the journal, that the kiosk takes when
 * service mode ends (the kiosk stays in maintenance while the technician works).
 */
const modeCommand: ServiceCommand = {
  name: 'mode',
  usage: '<inService|outOfService>',
  summary: 'put the kiosk in or out of service when service mode ends',
  needsActive: true,
  maxArgs: 1,
  async run(context, args) {
    const wanted = args[0] as OperatorMode;
    if (!OPERATOR_MODES.includes(wanted)) {
      throw argumentError(
        modeCommand,
        `expected inService or outOfService, got "${String(args[0]).slice(0, 40)}"`,
      );
    }
    const applied = await context.setReturnMode(wanted);
    return { afterServiceMode: applied, now: context.kioskMode() };
  },
};

export const kioskCommands: ServiceCommand[] = [modeCommand];
