import type { Clock as Id003Clock } from '../../../core/clock.js';
import { ErrorCode, KioskError } from '../../../core/errors.js';
import type { Logger } from '../../../core/logger.js';
import type { BindingInterface } from '../../transport/serial-binding.js';
import { type ReconnectPolicy, SerialTransport } from '../../transport/serial-transport.js';
import type { CashAcceptorHooks } from '../cash-acceptor.js';
import { ID003_LINE, Id003Driver, type Id003DriverTiming } from './driver.js';

/**
 * The config file's `devices.cashAcceptor` section as this wiring reads it (structural, so the
 * devices folder does not depend on the config module).
 */
export interface Id003AcceptorSection {
  port: string;
  pollIntervalMs: number;
  answerTimeoutMs: number;
  retries: number;
  silenceTimeoutMs: number;
  stackCommand: 'stack1' | 'stack2';
  escrowHoldMs: number;
  /** Not in the config file (the driver's default suits every unit); tests shorten it. */
  staleEscrowMs?: number;
  /** Escrow code written as in the config ("0x63") → minor units. */
  denominationOverride?: Readonly<Partial<Record<string, number>>>;
  reconnect: ReconnectPolicy;
}

/** The config file's `currency` section. */
export interface Id003CurrencySection {
  code: string;
  minorUnitsPerMajor: number;
  /** Every note value the kiosk takes, minor units. */
  denominations: readonly number[];
}

export interface CreateId003AcceptorOptions {
  name: string;
  config: Id003AcceptorSection;
  currency: Id003CurrencySection;
  /** Real bindings (`autoDetect()`) or the in-process simulator binding. */
  binding: BindingInterface;
  hooks: CashAcceptorHooks;
  logger: Logger;
  /** A debug line per chunk in each direction (config `log.byteTrace`). */
  byteTrace?: boolean;
  clock?: Id003Clock;
  onTiming?: (timing: Id003DriverTiming) => void;
}

export interface Id003Acceptor {
  readonly driver: Id003Driver;
  readonly transport: SerialTransport;
  /** Starts the transport and the driver; resolves as Id003Driver.start() does. */
  start(): Promise<void>;
  /** Stops the driver, then closes the port. */
  stop(): Promise<void>;
}

const ESCROW_CODE_TEXT = /^0x([0-9a-fA-F]{2})$/;

function overrideByCode(override: Id003AcceptorSection['denominationOverride']): Record<number, number> {
  const byCode: Record<number, number> = {};
  for (const [text, value] of Object.entries(override ?? {})) {
    const match = ESCROW_CODE_TEXT.exec(text);
    if (!match) {
      throw new KioskError(
        ErrorCode.ConfigInvalid,
        `denominationOverride key "${text}" is not an escrow code like "0x63"`,
        {
          details: { field: 'denominationOverride', key: text },
        },
      );
    }
    if (value === undefined) continue;
    byCode[Number.parseInt(match[1]!, 16)] = value;
  }
  return byCode;
}

/** Builds the ID-003 acceptor the daemon and the tests run: its serial transport and its driver. */
export function createId003Acceptor(options: CreateId003AcceptorOptions): Id003Acceptor {
  const { name, config, currency, logger } = options;
  const transport = new SerialTransport({
    name,
    path: config.port,
    line: ID003_LINE,
    binding: options.binding,
    silenceTimeoutMs: config.silenceTimeoutMs,
    reconnect: config.reconnect,
    logger,
    byteTrace: options.byteTrace ?? false,
  });
  const driver = new Id003Driver({
    name,
    transport,
    hooks: options.hooks,
    logger,
    options: {
      pollIntervalMs: config.pollIntervalMs,
      answerTimeoutMs: config.answerTimeoutMs,
      retries: config.retries,
      stackCommand: config.stackCommand,
      escrowHoldMs: config.escrowHoldMs,
      ...(config.staleEscrowMs === undefined ? {} : { staleEscrowMs: config.staleEscrowMs }),
      denominationOverride: overrideByCode(config.denominationOverride),
      acceptedDenominations: [...currency.denominations],
      minorUnitsPerMajor: currency.minorUnitsPerMajor,
    },
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.onTiming ? { onTiming: options.onTiming } : {}),
  });
  return {
    driver,
    transport,
    start() {
      const ready = driver.start();
      transport.start();
      return ready;
    },
    async stop() {
      await driver.stop();
      await transport.stop();
    },
  };
}
