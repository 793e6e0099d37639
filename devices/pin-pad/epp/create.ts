import type { Clock } from '../../../core/clock.js';
import type { LineSettings } from '../../../core/line-settings.js';
import type { Logger } from '../../../core/logger.js';
import { DeviceOnLine } from '../../transport/device-on-line.js';
import type { BindingInterface } from '../../transport/serial-binding.js';
import { type ReconnectPolicy, SerialTransport } from '../../transport/serial-transport.js';
import type {
  DataEntryResult,
  EntryOptions,
  PinBlock,
  PinBlockRequest,
  PinEntryResult,
  PinPad,
  PinPadDiagnostics,
  PinPadEvents,
  PinPadStatus,
} from '../pin-pad.js';
import type { CreatePinPadOptions } from '../registry.js';
import type { EppKeyName } from './codec/index.js';
import { type EppPinPadConfig, rawKeyByteMap } from './config-schema.js';
import { EppDriver } from './driver.js';

/**
 * The config file's `devices.pinPad` section as this wiring reads it (structural, so the devices
 * folder does not depend on the config module).
 */
export interface EppPinPadSection {
  port: string;
  baudRate: number;
  answerTimeoutMs: number;
  statusPollIntervalMs: number;
  silenceTimeoutMs: number;
  rawKeyBytes: Readonly<Partial<Record<EppKeyName, string>>>;
  reconnect: ReconnectPolicy;
}

export interface CreateEppPinPadOptions {
  name: string;
  config: EppPinPadSection;
  binding: BindingInterface;
  logger: Logger;
  /**
   * Asked for by the config's `log.byteTrace`; never given to the transport here: a byte trace
   * would write every PIN block and KSN the pad sends into the log.
   */
  byteTrace?: boolean;
  clock?: Clock;
}

/** The pad's line: 8N1 at the configured rate, no flow control (the pad sends little). */
export function eppLineSettings(config: Pick<EppPinPadSection, 'baudRate'>): LineSettings {
  return {
    baudRate: config.baudRate,
    dataBits: 8,
    parity: 'none',
    stopBits: 1,
    rtscts: false,
    xonxoff: false,
  };
}

/**
 * The EPP pad behind the PinPad interface: start and stop run the line with the driver, and the
 * diagnostics see the line's state beside the driver's.
 */
class EppPinPad extends DeviceOnLine<PinPadStatus, EppDriver, PinPadEvents> implements PinPad {
  constructor(driver: EppDriver, transport: SerialTransport) {
    super(driver, transport, ['status', 'pinKey', 'dataKey'], {
      model: 'EPP PIN pad (not answering)',
      firmware: 'unknown',
    });
  }

  pinEntry(options: EntryOptions): Promise<PinEntryResult> {
    return this.driver.pinEntry(options);
  }

  getPinBlock(request: PinBlockRequest): Promise<PinBlock> {
    return this.driver.getPinBlock(request);
  }

  dataEntry(options: EntryOptions): Promise<DataEntryResult> {
    return this.driver.dataEntry(options);
  }

  cancelEntry(): Promise<void> {
    return this.driver.cancelEntry();
  }

  beep(durationMs?: number): Promise<void> {
    return this.driver.beep(durationMs);
  }

  override diagnostics(): Promise<PinPadDiagnostics> {
    return super.diagnostics();
  }
}

/** Builds the pad the daemon and the tests run: its serial transport and its driver; not started. */
export function createEppPinPad(options: CreateEppPinPadOptions): PinPad {
  const { name, config, logger } = options;
  if (options.byteTrace) {
    logger.warn({ device: name }, 'byte trace stays off for the PIN pad: its replies carry PIN blocks');
  }
  const transport = new SerialTransport({
    name,
    path: config.port,
    line: eppLineSettings(config),
    binding: options.binding,
    silenceTimeoutMs: config.silenceTimeoutMs,
    reconnect: config.reconnect,
    logger,
    byteTrace: false,
  });
  const driver = new EppDriver({
    name,
    transport,
    logger,
    options: {
      answerTimeoutMs: config.answerTimeoutMs,
      statusPollIntervalMs: config.statusPollIntervalMs,
      rawKeyBytes: rawKeyByteMap(config.rawKeyBytes),
    },
    ...(options.clock ? { clock: options.clock } : {}),
  });
  return new EppPinPad(driver, transport);
}

/** The registry's entry point: the configured EPP pad as a PinPad. */
export function create(options: CreatePinPadOptions<EppPinPadConfig>): PinPad {
  return createEppPinPad({
    name: options.name,
    config: options.config,
    binding: options.binding,
    logger: options.logger,
    ...(options.byteTrace === undefined ? {} : { byteTrace: options.byteTrace }),
  });
}
