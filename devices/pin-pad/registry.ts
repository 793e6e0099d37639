import { ErrorCode, KioskError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { BindingInterface } from '../transport/serial-binding.js';
import { type EppPinPadConfig, eppConfigSchema } from './epp/config-schema.js';
import type { PinPad } from './pin-pad.js';

/*
 * The PIN pad protocols this build has, after devices/printer/registry.ts: the config picks one
 * by `protocol`, and only that protocol's driver is loaded. A protocol's `create` hands back the
 * PinPad interface, never its driver class.
 */

/** The `devices.pinPad` section, one shape per protocol (each protocol folder exports its own). */
export type PinPadConfig = EppPinPadConfig;

/** Each protocol's config fragment, for the config schema's union keyed by `protocol`. */
export const pinPadConfigSchemas = [eppConfigSchema] as const;

export interface CreatePinPadOptions<Config = PinPadConfig> {
  /** The device's name in logs and the journal. */
  name: string;
  config: Config;
  /** Real bindings (`autoDetect()`) or the in-process simulator binding. */
  binding: BindingInterface;
  logger: Logger;
  /** Config `log.byteTrace`; a protocol whose replies carry PIN blocks keeps it off. */
  byteTrace?: boolean;
}

interface PinPadProtocol<Config> {
  load(): Promise<{ create(options: CreatePinPadOptions<Config>): PinPad }>;
}

/** Add a protocol by adding its line here (and its fragment to the list above). */
const protocols: { readonly [P in PinPadConfig['protocol']]: PinPadProtocol<PinPadConfig> } = {
  epp: { load: () => import('./epp/create.js') },
};

export const pinPadProtocols: readonly string[] = Object.keys(protocols);

function protocolOf(protocol: string): PinPadProtocol<PinPadConfig> {
  if (!Object.hasOwn(protocols, protocol)) {
    throw new KioskError(
      ErrorCode.ConfigInvalid,
      `no PIN pad driver for protocol "${protocol}" in this build (built: ${pinPadProtocols.join(', ')})`,
      { details: { field: 'devices.pinPad.protocol', protocol, known: pinPadProtocols } },
    );
  }
  return protocols[protocol as PinPadConfig['protocol']];
}

/** Loads the configured protocol's driver and builds the pad; it is not started. */
export async function createPinPad(options: CreatePinPadOptions): Promise<PinPad> {
  const { create } = await protocolOf(options.config.protocol).load();
  return create(options);
}
