import { ErrorCode, KioskError } from '../../core/errors.js';
import type { KioskConfig } from '../config/index.js';
import { FleetLink } from '../fleet-link/fleet-link.js';
import type { CommandHandlers, KioskMode } from '../fleet-link/fleet-link-context.js';
import { KioskStatusBoard } from '../fleet-link/kiosk-status-board.js';
import { fleetLinkConfigOf } from '../fleet-link/start-fleet-link.js';
import type { FleetPublicKey } from '../fleet-protocol/index.js';
import type { Journal } from '../journal/journal.js';
import type { Logger } from '../log.js';
import type { AlertList, RecoveryAlert } from '../recovery/recovery-alerts.js';
import { CASH_ACCEPTOR_DEVICE, type CashAcceptorWiring } from './cash-acceptor-wiring.js';
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

function notInThisBuild(device: string): never {
  throw new KioskError(ErrorCode.DeviceOffline, `${device} is not enabled on this kiosk`, {
    details: { device },
  });
}

/**
 * The daemon's fleet link: the status board follows the acceptor driver's `status` events and
 * the kiosk mode, money alerts from start-up recovery are forwarded, and fleet commands reach
 * the mode control, the acceptor driver and the journal.
 */
export function startFleetLinkWiring(input: {
  config: KioskConfig;
  journal: Journal;
  cashAcceptor: CashAcceptorWiring;
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
  const { journal, cashAcceptor, modes, alerts, logger } = input;
  const driver = cashAcceptor.driver;
  const board = new KioskStatusBoard({ mode: modes.mode });
  board.setDeviceStatus(CASH_ACCEPTOR_DEVICE, driver.status);
  const onStatus = () => board.setDeviceStatus(CASH_ACCEPTOR_DEVICE, driver.status);
  driver.on('status', onStatus);
  const offMode = modes.onModeChange((mode) => board.setMode(mode));

  const commands: CommandHandlers = {
    async setMode({ mode }) {
      return { mode: await modes.requestMode(mode, FLEET_ACTOR) };
    },
    async resetDevice({ device }) {
      if (device !== CASH_ACCEPTOR_DEVICE) return notInThisBuild(device);
      await driver.reset();
      return { device, status: driver.status };
    },
    async runDiagnostics({ device }) {
      if (device !== CASH_ACCEPTOR_DEVICE) return notInThisBuild(device);
      const identity = await driver.readIdentity();
      const currencyTable = await driver.readCurrencyTable();
      return {
        device,
        status: driver.status,
        identity,
        currencyTable,
        counters: driver.counters,
        transport: cashAcceptor.transport.state,
        cashbox: journal.cashbox.counters(CASH_ACCEPTOR_DEVICE),
      };
    },
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
      driver.off('status', onStatus);
      offMode();
      await link.stop();
    },
  };
}
