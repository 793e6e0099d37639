import { ErrorCode, KioskError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { BindingInterface } from '../transport/serial-binding.js';
import type { CashAcceptor, CashAcceptorCurrency, CashAcceptorHooks } from './cash-acceptor.js';
import { type Id003AcceptorConfig, id003ConfigSchema, id003OverrideProblems } from './id003/config-schema.js';

/*
 * The banknote acceptor protocols this build has, after simulators/registry.ts and
 * zigbee-herdsman's Adapter.create: the config picks one by `protocol`, and only that
 * protocol's driver is loaded. A protocol's `create` hands back the CashAcceptor interface,
 * never its driver class.
 */

/** The `devices.cashAcceptor` section, one shape per protocol (each protocol folder exports its own). */
export type CashAcceptorConfig = Id003AcceptorConfig;

/** Each protocol's config fragment, for the config schema's union keyed by `protocol`. */
export const cashAcceptorConfigSchemas = [id003ConfigSchema] as const;

export interface CreateCashAcceptorOptions<Config = CashAcceptorConfig> {
  /** The device's name in logs and the journal. */
  name: string;
  config: Config;
  currency: CashAcceptorCurrency;
  /** Real bindings (`autoDetect()`) or the in-process simulator binding. */
  binding: BindingInterface;
  /** The host's money hooks: the acceptor moves no note on before they resolve. */
  hooks: CashAcceptorHooks;
  logger: Logger;
  /** A debug line per chunk in each direction (config `log.byteTrace`). */
  byteTrace?: boolean;
}

/** A config problem found against the rest of the config, with its path under the section. */
export interface SectionProblem {
  path: string[];
  message: string;
  input: unknown;
}

interface CashAcceptorProtocol<Config> {
  /** What the section says that the rest of the config contradicts (e.g. an unknown denomination). */
  currencyProblems(config: Config, denominations: readonly number[]): SectionProblem[];
  load(): Promise<{ create(options: CreateCashAcceptorOptions<Config>): CashAcceptor }>;
}

/** Add a protocol by adding its line here (and its fragment to the two lists above). */
const protocols: {
  readonly [P in CashAcceptorConfig['protocol']]: CashAcceptorProtocol<CashAcceptorConfig>;
} = {
  id003: { currencyProblems: id003OverrideProblems, load: () => import('./id003/create.js') },
};

export const cashAcceptorProtocols: readonly string[] = Object.keys(protocols);

function protocolOf(protocol: string): CashAcceptorProtocol<CashAcceptorConfig> {
  if (!Object.hasOwn(protocols, protocol)) {
    throw new KioskError(
      ErrorCode.ConfigInvalid,
      `no cash acceptor driver for protocol "${protocol}" in this build (built: ${cashAcceptorProtocols.join(', ')})`,
      { details: { field: 'devices.cashAcceptor.protocol', protocol, known: cashAcceptorProtocols } },
    );
  }
  return protocols[protocol as CashAcceptorConfig['protocol']];
}

export function cashAcceptorCurrencyProblems(
  config: CashAcceptorConfig,
  denominations: readonly number[],
): SectionProblem[] {
  return protocolOf(config.protocol).currencyProblems(config, denominations);
}

/** Loads the configured protocol's driver and builds the acceptor; it is not started. */
export async function createCashAcceptor(options: CreateCashAcceptorOptions): Promise<CashAcceptor> {
  const { create } = await protocolOf(options.config.protocol).load();
  return create(options);
}
