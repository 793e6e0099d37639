import type { DeviceStatus } from '../../devices/device-status.js';
import type { KioskConfig } from '../config/index.js';
import type { DeviceMap } from '../devices/device-map.js';
import { FleetLink } from '../fleet-link/fleet-link.js';
import type { CommandHandlers, KioskMode } from '../fleet-link/fleet-link-context.js';
import { KioskStatusBoard } from '../fleet-link/kiosk-status-board.js';
import { fleetLinkConfigOf } from '../fleet-link/start-fleet-link.js';
import type { FleetPublicKey } from '../fleet-protocol/index.js';
import type { Journal } from '../journal/journal.js';
import type { Logger } from '../log.js';
import type { AlertList, RecoveryAlert } from '../recovery/recovery-alerts.js';
import type { OperatorMode } from './kiosk-mode-store.js';

/** Where the fleet's setMode goes: the kiosk's mode holder, whichever the daemon runs. */
export interface ModeControl {
  readonly mode: KioskMode;
  onModeChange(listener: (mode: KioskMode) => void): () => void;
  /** Resolves with the applied mode once the current customer is done. */
  requestMode(mode: OperatorMode, by: string): Promise<KioskMode>;
}

export interface FleetLinkWiring {
  readonly link: FleetLink;
  readonly board: KioskStatusBoard;
  stop(): Promise<void>;
}

/** The audit actor of commands that came from the fleet. */
const FLEET_ACTOR = 'fleet';

/**
 * The daemon's fleet link: the status board follows every device's `status` events and the
 * kiosk mode, money alerts from start-up recovery are forwarded, and fleet commands reach the
 * mode control, the devices and the journal.
 */
export function startFleetLinkWiring(input: {
  config: KioskConfig;
  journal: Journal;
  devices: DeviceMap;
  modes: ModeControl;
  alerts: AlertList;
  logger: Logger;
  /** The embedded broker's URL when it picked its own port. */
  brokerUrl?: string;
  /** The kiosk's login on the embedded broker, made when it started. */
  brokerLogin?: { username: string; password: string };
  /** The embedded ledger's key, handed over in memory. */
  ledgerKeys?: readonly FleetPublicKey[];
}): FleetLinkWiring {
  const { journal, devices, modes, alerts, logger } = input;
  const board = new KioskStatusBoard({ mode: modes.mode });
  const report = (name: string, status: DeviceStatus & { paper?: unknown }) => {
    board.setDeviceStatus(name, status);
    // A device that reports a paper roll (the printer) gives the kiosk's paper level.
    if (status.paper === 'ok' || status.paper === 'nearEnd' || status.paper === 'out') {
      board.setPaperLevel(status.paper);
    }
  };
  for (const [name, status] of Object.entries(devices.statuses())) report(name, status);
  const offStatus = devices.onStatus(report);
  const offMode = modes.onModeChange((mode) => board.setMode(mode));

  const commands: CommandHandlers = {
    async setMode({ mode }) {
      return { mode: await modes.requestMode(mode, FLEET_ACTOR) };
    },
    resetDevice: ({ device }) => devices.reset(device),
    runDiagnostics: ({ device }) => devices.diagnostics(device),
    async journalSummary() {
      return { ...journal.summary() };
    },
  };

  const link = new FleetLink({
    config: fleetLinkConfigOf(input.config, input.brokerUrl, input.brokerLogin, input.ledgerKeys),
    journal,
    context: board,
    commands,
    logger,
  });
  const forward = (alert: RecoveryAlert) => {
    try {
      link.raiseAlert(alert);
    } catch (error) {
      logger.error({ err: error, alertId: alert.alertId }, 'alert not forwarded to the fleet');
    }
  };
  link.start();
  // Alerts recovery raised before the link existed, then every later one.
  for (const alert of alerts.recent()) forward(alert);
  alerts.on('alert', forward);
  return {
    link,
    board,
    async stop() {
      alerts.off('alert', forward);
      offStatus();
      offMode();
      await link.stop();
    },
  };
}
