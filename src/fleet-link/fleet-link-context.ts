import type { z } from 'zod';
import type { DeviceStatus } from '../../devices/device-status.js';
import type { commandArgsSchemas, KIOSK_MODES } from '../fleet-protocol/index.js';

export type KioskMode = (typeof KIOSK_MODES)[number];
export type PaperLevel = 'ok' | 'nearEnd' | 'out' | 'unknown';

/**
 * What the fleet link reports about the kiosk, read on demand. The daemon implements it from
 * the drivers' `status` events and the kiosk mode; the link never reaches into a driver.
 */
export interface FleetLinkContext {
  mode(): KioskMode;
  /** Each device's current status, keyed by the device's journal name (e.g. `cashAcceptor`). */
  deviceStatuses(): Readonly<Record<string, DeviceStatus>>;
  paperLevel(): PaperLevel;
  /**
   * Calls `listener` after a device status or the mode changed; returns the unsubscribe. The
   * link reads the new values itself, so a burst of changes may be reported by one call.
   */
  onChange(listener: () => void): () => void;
}

export type CommandArgs<A extends keyof typeof commandArgsSchemas> = z.infer<(typeof commandArgsSchemas)[A]>;

/** Anything JSON can carry: a handler's result goes into `cmd/result` as is. */
export type CommandOutput = Record<string, unknown>;

/**
 * The allowlisted actions that act on the kiosk, as the daemon executes them. `status` and
 * `rebirth` are answered by the link itself (they only republish what the link reports).
 * A handler throws (preferably a KioskError) when the action could not be carried out; the
 * link turns that into a `failed` result.
 */
export interface CommandHandlers {
  /** Resolves once the mode is applied, which waits for the current customer to finish. */
  setMode(args: CommandArgs<'setMode'>): Promise<CommandOutput>;
  resetDevice(args: CommandArgs<'resetDevice'>): Promise<CommandOutput>;
  runDiagnostics(args: CommandArgs<'runDiagnostics'>): Promise<CommandOutput>;
  journalSummary(args: CommandArgs<'journalSummary'>): Promise<CommandOutput>;
}

export type DelegatedAction = keyof CommandHandlers;
export const DELEGATED_ACTIONS: readonly DelegatedAction[] = [
  'setMode',
  'resetDevice',
  'runDiagnostics',
  'journalSummary',
];
