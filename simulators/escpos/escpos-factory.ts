import type { DeviceModelFactory } from '../harness/device-model.js';
import { EscPosModel } from './escpos-model.js';
import { resolveEscPosOptions } from './options.js';

/**
 * `sim:escpos`: an ESC/POS thermal receipt printer that prints on virtual paper. Options are
 * validated (KioskError SimBadControl naming the field).
 */
export const escposSimulatorFactory: DeviceModelFactory = {
  kind: 'escpos',
  description:
    'ESC/POS receipt printer (9600 8N1 XON/XOFF): GB18030 text and QR on virtual paper, ASB, DLE EOT, paper/cover/cutter faults',
  create(options?: Record<string, unknown>) {
    return new EscPosModel(resolveEscPosOptions(options ?? {}));
  },
};
