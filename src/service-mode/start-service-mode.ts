import type { KioskConfig } from '../config/index.js';
import type { DeviceMap } from '../devices/device-map.js';
import type { Journal } from '../journal/journal.js';
import type { Logger } from '../log.js';
import type { ReceiptPrinting } from '../receipts/receipt-printing.js';
import { type DiagServer, startDiagServer } from './diag-server.js';
import { diagSocketPath } from './diag-socket-path.js';
import type { ServiceCommand } from './service-command.js';
import { ServiceMode, type ServiceModePorts } from './service-mode.js';
import { TechnicianAuth } from './technician-auth.js';
import { TechnicianLockouts } from './technician-lockouts.js';

const MINUTE_MS = 60_000;

/** Service mode and, when `diag.enabled`, its console socket; stop() ends a session and closes the socket. */
export async function startServiceMode(input: {
  config: KioskConfig;
  journal: Journal;
  devices: DeviceMap;
  /** The kiosk's receipt printing, when a printer is enabled: the technician's reprints join its queue. */
  receipts?: ReceiptPrinting;
  ports: ServiceModePorts;
  /** Command groups other parts of the kiosk offer (cash collection). */
  extraCommands?: readonly ServiceCommand[];
  logger: Logger;
}): Promise<{ service: ServiceMode; diag: DiagServer | undefined; stop(): Promise<void> }> {
  const { config, journal, logger } = input;
  const lockouts = new TechnicianLockouts({
    journal,
    maxFailures: config.diag.maxFailures,
    lockMs: config.diag.lockoutMinutes * MINUTE_MS,
  });
  const auth = new TechnicianAuth({ technicians: config.technicians, journal, lockouts });
  const service = new ServiceMode({
    ports: input.ports,
    auth,
    journal,
    config,
    devices: input.devices,
    ...(input.receipts === undefined ? {} : { receipts: input.receipts }),
    logger,
    idleMs: config.diag.idleMinutes * MINUTE_MS,
    ...(input.extraCommands === undefined ? {} : { extraCommands: input.extraCommands }),
  });
  if (config.technicians.length === 0) {
    logger.warn(
      {},
      'no technicians configured: nobody can enter service mode (see `kioskd technicians hash`)',
    );
  }
  let diag: DiagServer | undefined;
  try {
    diag = config.diag.enabled
      ? await startDiagServer({ path: diagSocketPath(config), group: config.diag.group, service, logger })
      : undefined;
  } catch (error) {
    service.stop();
    throw error;
  }
  return {
    service,
    diag,
    async stop() {
      await diag?.close();
      service.stop();
    },
  };
}
