import type { Clock } from '../../../core/clock.js';
import { ErrorCode, KioskError } from '../../../core/errors.js';
import type { Logger } from '../../../core/logger.js';
import type { SerialTransport } from '../../transport/serial-transport.js';
import type { CashAcceptorHooks } from '../cash-acceptor.js';
import type { Id003DriverTiming } from './note-flow.js';

export interface Id003DriverOptions {
  /**
   * Gap between status requests. PROTOCOLS.md asks for 100–200 ms on a real unit and the
   * config enforces that; the driver takes 1–1000 so tests and benchmarks can compress time.
   */
  pollIntervalMs: number;
  /** How long one attempt waits for the unit's answer ("a few hundred ms"). */
  answerTimeoutMs: number;
  /** Further attempts after an unanswered one. */
  retries: number;
  /** STACK-2 reports VEND VALID only once the note is fully in the stacker: prefer it. */
  stackCommand?: 'stack1' | 'stack2';
  /**
   * While the host has not decided a note, HOLD is sent after this long and again every
   * escrowHoldMs, so the unit does not return the note on its own; 0 never holds.
   */
  escrowHoldMs: number;
  /**
   * The oldest a sighting of the note in escrow may be when STACK goes out, counted from the
   * write of the status request that saw it. ID-003's STACK names no note: a STACK that reaches
   * the unit after it gave the note back on its own escrow timeout and drew in the next one
   * stacks that next note under the first one's credit. A decision later than this (a stalled
   * event loop, a slow fsync) waits for a fresh ESCROW of the same code instead. Default 300:
   * a healthy decision takes a few ms, units hold a note for a second or more.
   */
  staleEscrowMs?: number;
  /** Escrow code → minor units, for units whose currency table lies; wins over the table. */
  denominationOverride?: Record<number, number>;
  /** What the kiosk takes at all, in minor units. */
  acceptedDenominations: number[];
  /** Minor units per major unit (100 fen per yuan). */
  minorUnitsPerMajor: number;
  /** C1 security mask (bit = 1 asks for high security on that denomination); 0 by default. */
  securityMask?: number;
  /** C4 direction mask (bit = 1 refuses that insertion direction); 0 (all directions) by default. */
  directionMask?: number;
}

/** See Id003DriverOptions.staleEscrowMs. */
export const DEFAULT_STALE_ESCROW_MS = 300;

export type ResolvedId003DriverOptions = Required<Omit<Id003DriverOptions, 'denominationOverride'>> & {
  denominationOverride: Record<number, number>;
};

function fail(field: string, message: string, value: unknown): never {
  throw new KioskError(ErrorCode.ConfigInvalid, `id003 driver options.${field} ${message}`, {
    details: { field: `options.${field}`, value },
  });
}

function integer(o: Record<string, unknown>, field: string, min: number, max: number): number {
  const value = o[field];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(field, `must be an integer from ${min} to ${max}, got ${String(value)}`, value);
  }
  return value;
}

function amount(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    fail(field, `must be a positive whole number of minor units, got ${String(value)}`, value);
  }
  return value;
}

/** Checks options from config or a caller; a KioskError ConfigInvalid names the first bad field. */
export function resolveId003DriverOptions(options: unknown): ResolvedId003DriverOptions {
  if (typeof options !== 'object' || options === null) fail('', 'must be an object', options);
  const o = options as Record<string, unknown>;
  const pollIntervalMs = integer(o, 'pollIntervalMs', 1, 1000);
  const answerTimeoutMs = integer(o, 'answerTimeoutMs', 1, 10_000);
  const retries = integer(o, 'retries', 0, 10);
  const escrowHoldMs = integer(o, 'escrowHoldMs', 0, 60_000);
  const staleEscrowMs =
    o['staleEscrowMs'] === undefined ? DEFAULT_STALE_ESCROW_MS : integer(o, 'staleEscrowMs', 1, 60_000);
  const minorUnitsPerMajor = integer(o, 'minorUnitsPerMajor', 1, 1_000_000);
  const stackCommand = o['stackCommand'] ?? 'stack2';
  if (stackCommand !== 'stack1' && stackCommand !== 'stack2') {
    fail('stackCommand', `must be 'stack1' or 'stack2', got ${String(stackCommand)}`, stackCommand);
  }
  const accepted = o['acceptedDenominations'];
  if (!Array.isArray(accepted))
    fail('acceptedDenominations', 'must be an array of minor-unit amounts', accepted);
  const acceptedDenominations = accepted.map((value, i) => amount(value, `acceptedDenominations[${i}]`));
  if (new Set(acceptedDenominations).size !== acceptedDenominations.length) {
    fail('acceptedDenominations', 'lists a denomination twice', accepted);
  }
  const override = o['denominationOverride'] ?? {};
  if (typeof override !== 'object' || override === null || Array.isArray(override)) {
    fail('denominationOverride', 'must map escrow codes to minor units', override);
  }
  const denominationOverride: Record<number, number> = {};
  for (const [key, value] of Object.entries(override)) {
    const code = Number(key);
    if (!/^\d+$/.test(key) || code > 0xff) {
      fail(`denominationOverride.${key}`, 'must be keyed by an escrow code from 0 to 255', key);
    }
    denominationOverride[code] = amount(value, `denominationOverride.${key}`);
  }
  const securityMask = o['securityMask'] === undefined ? 0 : integer(o, 'securityMask', 0, 0xffff);
  const directionMask = o['directionMask'] === undefined ? 0 : integer(o, 'directionMask', 0, 0xff);
  return {
    pollIntervalMs,
    answerTimeoutMs,
    retries,
    stackCommand,
    escrowHoldMs,
    staleEscrowMs,
    denominationOverride,
    acceptedDenominations,
    minorUnitsPerMajor,
    securityMask,
    directionMask,
  };
}

/** What an Id003Driver is built from. */
export interface Id003DriverConfig {
  name: string;
  /** Constructed and started by the caller; the driver follows its online/offline/data events. */
  transport: SerialTransport;
  hooks: CashAcceptorHooks;
  options: Id003DriverOptions;
  logger: Logger;
  clock?: Clock;
  /** Called once per stacked note; must be cheap (it runs on the escrow path). */
  onTiming?: (timing: Id003DriverTiming) => void;
}

/**
 * Checks what the driver is built from before anything is wired; a KioskError ConfigInvalid
 * names the first bad piece. Returns the driver's options resolved.
 */
export function checkId003DriverConfig(config: Id003DriverConfig): ResolvedId003DriverOptions {
  const bad = (message: string): never => {
    throw new KioskError(ErrorCode.ConfigInvalid, `id003 driver: ${message}`);
  };
  if (typeof config !== 'object' || config === null) bad('config must be an object');
  if (typeof config.name !== 'string' || config.name === '') bad('name must be a non-empty string');
  if (typeof config.transport?.write !== 'function' || typeof config.transport?.on !== 'function') {
    bad('transport must be a SerialTransport');
  }
  if (typeof config.hooks?.decideEscrow !== 'function' || typeof config.hooks?.commitCredit !== 'function') {
    bad('hooks must provide decideEscrow and commitCredit');
  }
  if (typeof config.logger !== 'object' || config.logger === null) bad('logger is required');
  if (config.onTiming !== undefined && typeof config.onTiming !== 'function')
    bad('onTiming must be a function');
  return resolveId003DriverOptions(config.options);
}
