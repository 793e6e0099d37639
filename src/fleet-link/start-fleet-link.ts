import { ErrorCode, KioskError } from '../../core/errors.js';
import type { KioskConfig } from '../config/index.js';
import type { FleetPublicKey } from '../fleet-protocol/index.js';
import type { Journal } from '../journal/journal.js';
import type { Logger } from '../log.js';
import { FleetLink } from './fleet-link.js';
import type { FleetLinkConfig } from './fleet-link-config.js';
import type { CommandHandlers, FleetLinkContext } from './fleet-link-context.js';
import { KioskStatusBoard } from './kiosk-status-board.js';
import { statusBoardCommandHandlers } from './status-board-commands.js';

/**
 * The link's part of a whole kiosk config; `brokerUrl` when the broker is not the configured
 * one, `login` when that broker made the kiosk's password (the embedded broker does at start),
 * `ledgerKeys` for a ledger whose key is not in the config (the embedded one).
 */
export function fleetLinkConfigOf(
  config: KioskConfig,
  brokerUrl?: string,
  login?: { username: string; password: string },
  ledgerKeys?: readonly FleetPublicKey[],
): FleetLinkConfig {
  return {
    kioskId: config.kioskId,
    dataDir: config.dataDir,
    fleet:
      login === undefined ? config.fleet : { ...config.fleet, broker: { ...config.fleet.broker, ...login } },
    ...(brokerUrl === undefined ? {} : { brokerUrl }),
    ...(ledgerKeys === undefined ? {} : { ledgerKeys }),
  };
}

export interface StartFleetLinkOptions {
  config: FleetLinkConfig;
  journal: Journal;
  logger: Logger;
  /** Defaults to a status board in service with no devices. */
  context?: FleetLinkContext;
  /** Defaults to the status board's handlers (only with the default context). */
  commands?: CommandHandlers;
  clock?: () => Date;
  random?: () => number;
}

/**
 * Builds and starts a fleet link in one call, for a process that has a journal and nothing
 * else to report (an end-to-end rig, a bench): the link connects in the background.
 */
export function startFleetLink(options: StartFleetLinkOptions): {
  link: FleetLink;
  board?: KioskStatusBoard;
} {
  let board: KioskStatusBoard | undefined;
  let context = options.context;
  let commands = options.commands;
  if (context === undefined) {
    board = new KioskStatusBoard({ mode: 'inService' });
    context = board;
    commands ??= statusBoardCommandHandlers(board, options.journal);
  }
  if (commands === undefined) {
    throw new KioskError(
      ErrorCode.ConfigInvalid,
      'startFleetLink: commands are required with a custom context',
      {
        details: { field: 'commands' },
      },
    );
  }
  const link = new FleetLink({
    config: options.config,
    journal: options.journal,
    context,
    commands,
    logger: options.logger,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.random ? { random: options.random } : {}),
  });
  link.start();
  return board === undefined ? { link } : { link, board };
}
