import { EventEmitter } from 'node:events';
import type { Clock as Id003Clock } from '../../../core/clock.js';
import { ErrorCode, KioskError } from '../../../core/errors.js';
import type { Logger } from '../../../core/logger.js';
import type { DeviceIdentity, DeviceStatus } from '../../device-status.js';
import type { BindingInterface } from '../../transport/serial-binding.js';
import { type ReconnectPolicy, SerialTransport } from '../../transport/serial-transport.js';
import {
  CASH_ACCEPTOR_EVENT_NAMES,
  type CashAcceptor,
  type CashAcceptorCurrency,
  type CashAcceptorDiagnostics,
  type CashAcceptorEvents,
  type CashAcceptorHooks,
  type CurrencyTableEntry,
} from '../cash-acceptor.js';
import type { CreateCashAcceptorOptions } from '../registry.js';
import type { Id003AcceptorConfig } from './config-schema.js';
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

export type Id003CurrencySection = CashAcceptorCurrency;

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

/**
 * The ID-003 acceptor behind the CashAcceptor interface: start and stop run the line with the
 * driver, the diagnostics read the line's state beside the driver's, and the driver's events
 * are relayed as they come (synchronously, so their order is the driver's).
 */
class Id003CashAcceptor extends EventEmitter<CashAcceptorEvents> implements CashAcceptor {
  readonly #acceptor: Id003Acceptor;
  readonly #driver: Id003Driver;

  constructor(acceptor: Id003Acceptor) {
    super();
    this.#acceptor = acceptor;
    this.#driver = acceptor.driver;
    const relay = this as EventEmitter<Record<string, unknown[]>>;
    const source = this.#driver as EventEmitter<Record<string, unknown[]>>;
    for (const event of CASH_ACCEPTOR_EVENT_NAMES) {
      source.on(event, (...args: unknown[]) => relay.emit(event, ...args));
    }
  }

  get name(): string {
    return this.#driver.name;
  }

  get status(): DeviceStatus {
    return this.#driver.status;
  }

  start(): Promise<void> {
    return this.#acceptor.start();
  }

  stop(): Promise<void> {
    return this.#acceptor.stop();
  }

  reset(): Promise<void> {
    return this.#driver.reset();
  }

  readIdentity(): Promise<DeviceIdentity> {
    return this.#driver.readIdentity();
  }

  enable(denominations: readonly number[]): Promise<void> {
    return this.#driver.enable(denominations);
  }

  disable(): Promise<void> {
    return this.#driver.disable();
  }

  stack(): Promise<void> {
    return this.#driver.stack();
  }

  return(): Promise<void> {
    return this.#driver.return();
  }

  hold(): Promise<void> {
    return this.#driver.hold();
  }

  readCurrencyTable(): Promise<CurrencyTableEntry[]> {
    return this.#driver.readCurrencyTable();
  }

  async diagnostics(): Promise<CashAcceptorDiagnostics> {
    const identity = await this.#driver.readIdentity();
    const currencyTable = await this.#driver.readCurrencyTable();
    return {
      status: this.#driver.status,
      identity,
      currencyTable,
      counters: { ...this.#driver.counters },
      transport: this.#acceptor.transport.state,
    };
  }
}

/** The registry's entry point: the configured ID-003 acceptor as a CashAcceptor. */
export function create(options: CreateCashAcceptorOptions<Id003AcceptorConfig>): CashAcceptor {
  return new Id003CashAcceptor(
    createId003Acceptor({
      name: options.name,
      config: options.config,
      currency: options.currency,
      binding: options.binding,
      hooks: options.hooks,
      logger: options.logger,
      ...(options.byteTrace === undefined ? {} : { byteTrace: options.byteTrace }),
    }),
  );
}
