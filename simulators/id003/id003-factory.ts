import type { DeviceModelFactory } from '../harness/device-model.js';
import { Id003Model } from './id003-model.js';
import { resolveId003Options } from './options.js';

/**
 * `sim:id003`: a JCM ID-003 banknote acceptor with a cashbox and ground-truth ledger. Options
 * are validated (KioskError SimBadControl naming the field); see docs/simulators/id003.md.
 */
export const id003SimulatorFactory: DeviceModelFactory = {
  kind: 'id003',
  description: 'JCM ID-003 banknote acceptor (9600 8E1): escrow, stack, faults, power cuts, CNY table',
  create(options?: Record<string, unknown>) {
    return new Id003Model(resolveId003Options(options ?? {}));
  },
};
