import type { DeviceModelFactory } from '../harness/device-model.js';
import { EppModel } from './epp-model.js';
import { resolveEppOptions } from './options.js';

/**
 * `sim:epp`: an encrypting PIN pad (docs/devices/epp.md) holding a DUKPT key, the
 * PROTOCOLS.md test key unless its options load another. Options are validated (KioskError
 * SimBadControl naming the field).
 */
export const eppSimulatorFactory: DeviceModelFactory = {
  kind: 'epp',
  description:
    'Encrypting PIN pad (9600 8N1, STX/ETX hex frames): masked key events, DUKPT TDES/AES PIN blocks (ISO 0/4), tamper',
  create(options?: Record<string, unknown>) {
    return new EppModel(resolveEppOptions(options ?? {}));
  },
};
