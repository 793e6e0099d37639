import { ErrorCode, KioskError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { BindingInterface } from '../transport/serial-binding.js';
import { type EscPosPrinterConfig, escposConfigSchema } from './escpos/config-schema.js';
import type { ReceiptPrinter } from './printer.js';

/*
 * The receipt printer protocols this build has, after devices/cash-acceptor/registry.ts: the
 * config picks one by `protocol`, and only that protocol's driver is loaded. A protocol's
 * `create` hands back the ReceiptPrinter interface, never its driver class.
 */

/** The `devices.printer` section, one shape per protocol (each protocol folder exports its own). */
export type PrinterConfig = EscPosPrinterConfig;

/** Each protocol's config fragment, for the config schema's union keyed by `protocol`. */
export const printerConfigSchemas = [escposConfigSchema] as const;

export interface CreatePrinterOptions<Config = PrinterConfig> {
  /** The device's name in logs and the journal. */
  name: string;
  config: Config;
  /** Real bindings (`autoDetect()`) or the in-process simulator binding. */
  binding: BindingInterface;
  logger: Logger;
  /** A debug line per chunk in each direction (config `log.byteTrace`). */
  byteTrace?: boolean;
}

interface PrinterProtocol<Config> {
  load(): Promise<{ create(options: CreatePrinterOptions<Config>): ReceiptPrinter }>;
}

/** Add a protocol by adding its line here (and its fragment to the list above). */
const protocols: { readonly [P in PrinterConfig['protocol']]: PrinterProtocol<PrinterConfig> } = {
  escpos: { load: () => import('./escpos/create.js') },
};

export const printerProtocols: readonly string[] = Object.keys(protocols);

function protocolOf(protocol: string): PrinterProtocol<PrinterConfig> {
  if (!Object.hasOwn(protocols, protocol)) {
    throw new KioskError(
      ErrorCode.ConfigInvalid,
      `no receipt printer driver for protocol "${protocol}" in this build (built: ${printerProtocols.join(', ')})`,
      { details: { field: 'devices.printer.protocol', protocol, known: printerProtocols } },
    );
  }
  return protocols[protocol as PrinterConfig['protocol']];
}

/** Loads the configured protocol's driver and builds the printer; it is not started. */
export async function createPrinter(options: CreatePrinterOptions): Promise<ReceiptPrinter> {
  const { create } = await protocolOf(options.config.protocol).load();
  return create(options);
}
