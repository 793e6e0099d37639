import type { Clock } from '../../../core/clock.js';
import type { LineSettings } from '../../../core/line-settings.js';
import type { Logger } from '../../../core/logger.js';
import { DeviceOnLine } from '../../transport/device-on-line.js';
import type { BindingInterface } from '../../transport/serial-binding.js';
import { type ReconnectPolicy, SerialTransport } from '../../transport/serial-transport.js';
import type { PrinterDiagnostics, PrinterEvents, PrintOutcome, ReceiptPrinter } from '../printer.js';
import type { PaperColumns, PrinterDocument } from '../printer-document.js';
import type { PrinterStatus } from '../printer-status.js';
import type { CreatePrinterOptions } from '../registry.js';
import type { EscPosFlowControl, EscPosPrinterConfig } from './config-schema.js';
import { EscPosDriver } from './driver.js';
import type { MechanismGeometry } from './mechanism.js';

/**
 * The config file's `devices.printer` section as this wiring reads it (structural, so the devices
 * folder does not depend on the config module).
 */
export interface EscPosPrinterSection {
  port: string;
  baudRate: number;
  flowControl: EscPosFlowControl;
  columns: PaperColumns;
  answerTimeoutMs: number;
  statusPollIntervalMs: number;
  silenceTimeoutMs: number;
  jobStallTimeoutMs: number;
  printSpeedMmPerSecond: number;
  reconnect: ReconnectPolicy;
}

export interface CreateEscPosPrinterOptions {
  name: string;
  config: EscPosPrinterSection;
  binding: BindingInterface;
  logger: Logger;
  byteTrace?: boolean;
  clock?: Clock;
  /** Not in the config file (the defaults are the ESC/POS ones); a bench matches its printer's. */
  geometry?: Omit<MechanismGeometry, 'printSpeedMmPerSecond'>;
  /** Not in the config file; tests read status faster than a job would. */
  jobStatusIntervalMs?: number;
}

/**
 * The printer's line: 8N1 at the configured rate. XON/XOFF is the driver's own, not the port's:
 * a tty doing IXON would swallow XOFF, so the driver could neither tell a full buffer from a
 * stopped printer nor keep asking `DLE EOT` (which the printer answers even when full) while held.
 * RTS/CTS is the port's: the UART stops sending by itself.
 */
export function escposLineSettings(
  config: Pick<EscPosPrinterSection, 'baudRate' | 'flowControl'>,
): LineSettings {
  return {
    baudRate: config.baudRate,
    dataBits: 8,
    parity: 'none',
    stopBits: 1,
    rtscts: config.flowControl === 'rtscts',
    xonxoff: false,
  };
}

/**
 * The ESC/POS printer behind the ReceiptPrinter interface: start and stop run the line with the
 * driver, and the diagnostics see the line's state beside the driver's.
 */
class EscPosReceiptPrinter
  extends DeviceOnLine<PrinterStatus, EscPosDriver, PrinterEvents>
  implements ReceiptPrinter
{
  constructor(driver: EscPosDriver, transport: SerialTransport) {
    super(driver, transport, ['status'], { model: 'ESC/POS printer (not answering)', firmware: 'unknown' });
  }

  print(document: PrinterDocument): Promise<PrintOutcome> {
    return this.driver.print(document);
  }

  override diagnostics(): Promise<PrinterDiagnostics> {
    return super.diagnostics();
  }
}

/** Builds the printer the daemon and the tests run: its serial transport and its driver; not started. */
export function createEscPosPrinter(options: CreateEscPosPrinterOptions): ReceiptPrinter {
  const { name, config, logger } = options;
  const transport = new SerialTransport({
    name,
    path: config.port,
    line: escposLineSettings(config),
    binding: options.binding,
    silenceTimeoutMs: config.silenceTimeoutMs,
    reconnect: config.reconnect,
    logger,
    byteTrace: options.byteTrace ?? false,
  });
  const driver = new EscPosDriver({
    name,
    transport,
    logger,
    options: {
      columns: config.columns,
      answerTimeoutMs: config.answerTimeoutMs,
      statusPollIntervalMs: config.statusPollIntervalMs,
      jobStallTimeoutMs: config.jobStallTimeoutMs,
      geometry: { ...options.geometry, printSpeedMmPerSecond: config.printSpeedMmPerSecond },
      ...(options.jobStatusIntervalMs === undefined
        ? {}
        : { jobStatusIntervalMs: options.jobStatusIntervalMs }),
    },
    ...(options.clock ? { clock: options.clock } : {}),
  });
  return new EscPosReceiptPrinter(driver, transport);
}

/** The registry's entry point: the configured ESC/POS printer as a ReceiptPrinter. */
export function create(options: CreatePrinterOptions<EscPosPrinterConfig>): ReceiptPrinter {
  return createEscPosPrinter({
    name: options.name,
    config: options.config,
    binding: options.binding,
    logger: options.logger,
    ...(options.byteTrace === undefined ? {} : { byteTrace: options.byteTrace }),
  });
}
