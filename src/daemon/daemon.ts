import { mkdirSync } from 'node:fs';
import { ErrorCode, KioskError } from '../../core/errors.js';
import { hangupAwareBinding } from '../../core/hangup-aware-binding.js';
import type { CashAcceptor } from '../../devices/cash-acceptor/cash-acceptor.js';
import { unbuiltDeviceProblem } from '../../devices/device-kinds.js';
import type { BindingInterface } from '../../devices/transport/serial-binding.js';
import type { ControlServer } from '../../simulators/harness/control-server.js';
import { SimulatorRegistry } from '../../simulators/harness/simulator-registry.js';
import { type KioskApi, startKioskApi } from '../api/kiosk-api.js';
import { BalanceQueryService } from '../balance-query/balance-query-service.js';
import { CashboxReconciliation } from '../collection/cashbox-reconciliation.js';
import { CollectionService } from '../collection/collection-service.js';
import type { KioskConfig } from '../config/index.js';
import { CASH_ACCEPTOR_DEVICE } from '../devices/cash-acceptor-wiring.js';
import { configuredDevices, DeviceMap } from '../devices/device-map.js';
import { deviceStarters } from '../devices/device-starters.js';
import type { EmbeddedFleet } from '../fleet-broker/embedded-fleet.js';
import type { FleetLink } from '../fleet-link/fleet-link.js';
import { listenRefusal } from '../http/listen-refusal.js';
import { Journal } from '../journal/journal.js';
import type { Logger } from '../log.js';
import { JournalCashIn } from '../money/journal-cash-in.js';
import { kioskReceipts } from '../receipts/kiosk-receipts.js';
import { interruptedTopUpFromJournal } from '../recovery/interrupted-top-up.js';
import { AlertList } from '../recovery/recovery-alerts.js';
import { type StartUpRecovery, startStartUpRecovery } from '../recovery/start-up-recovery.js';
import { cashboxCommands } from '../service-mode/commands/cashbox-commands.js';
import { collectionCommands } from '../service-mode/commands/collection-commands.js';
import type { ServiceMode } from '../service-mode/service-mode.js';
import { startServiceMode } from '../service-mode/start-service-mode.js';
import { CustomerSlot } from '../topup/customer-slot.js';
import { startKioskModes } from '../topup/kiosk-modes.js';
import { TopUpService } from '../topup/top-up-service.js';
import { KIOSKD_VERSION } from '../version.js';
import { KioskModeStore } from './kiosk-mode-store.js';
import { startSystemdNotifier } from './systemd-notify.js';

export interface DaemonOptions {
  config: KioskConfig;
  configPath: string;
  logger: Logger;
}

export interface Daemon {
  readonly journal: Journal;
  readonly simulators: SimulatorRegistry;
  /** The simulators' control channel, when any device is simulated. */
  readonly simulatorControlUrl: string | undefined;
  /** Every running device by name. */
  readonly devices: DeviceMap;
  readonly cashAcceptor: CashAcceptor;
  /** Start-up recovery: no top-up may start before `recovery.firstContact` resolves. */
  readonly recovery: StartUpRecovery;
  /** Money alerts (orphan credits, inaccurate counters) for the fleet link to publish. */
  readonly alerts: AlertList;
  /** The MQTT fleet link, when `fleet.enabled`. */
  readonly fleetLink: FleetLink | undefined;
  /** The demo's in-process broker and ledger, when `fleet.broker.url` is `embedded`. */
  readonly embeddedFleet: EmbeddedFleet | undefined;
  /** Customer top-ups: the machines over the journal and the acceptor. */
  readonly topUps: TopUpService;
  /** The balance query with the service password, when `balanceQuery.enabled`. */
  readonly balanceQueries: BalanceQueryService | undefined;
  /** The one customer at a time: a top-up and a balance query both claim it. */
  readonly customers: CustomerSlot;
  /** Cash collection (Storage exchange) for the technician's service mode (docs/collection.md). */
  readonly collections: CollectionService;
  /** The kiosk API's base URL, e.g. http://127.0.0.1:8080 */
  readonly apiUrl: string;
  /** Technicians' service mode; `kioskd diag` reaches it on `diagSocketPath`, when `diag.enabled`. */
  readonly serviceMode: ServiceMode;
  readonly diagSocketPath: string | undefined;
  stop(): Promise<void>;
}

const SIM_PREFIX = 'sim:';
/**
 * Of the 2 s stop budget, what an active top-up gets to reach a safe point. The journal already
 * holds every note, and start-up recovery completes whatever is left.
 */
const TOP_UP_STOP_BUDGET_MS = 800;

/*
 * What only some configs need is imported when the config asks for it: the simulator harness
 * and models for `sim:` ports, the native serial bindings for real ones, MQTT and the fleet link
 * for `fleet.enabled`, Aedes and the ledger for the embedded broker. A field daemon then never
 * pays the heap and compiled code of the parts it does not run (mqtt.js alone is ~18 MB RSS).
 */

/**
 * Starts one simulator per simulated port of a configured device, named after the kind
 * (`sim:id003` → `id003`); the simulators' registry says which model answers for a kind.
 */
async function startSimulators(config: KioskConfig, logger: Logger): Promise<SimulatorRegistry> {
  const registry = new SimulatorRegistry();
  const kinds = configuredDevices(config)
    .map((device) => device.port)
    .filter((port) => port.startsWith(SIM_PREFIX))
    .map((port) => port.slice(SIM_PREFIX.length));
  if (kinds.length === 0) return registry;
  const { createSimulatorHost } = await import('../../simulators/registry.js');
  for (const kind of kinds) {
    if (registry.get(kind)) continue;
    const modelOptions: Readonly<Record<string, Record<string, unknown> | undefined>> =
      config.simulators.options;
    // wireTime belongs to the simulated line, not to the device model, which refuses unknown options.
    const { wireTime, ...model } = modelOptions[kind] ?? {};
    registry.register(
      kind,
      createSimulatorHost(kind, {
        name: kind,
        logger: logger.child({ component: 'simulator' }),
        model,
        ...(typeof wireTime === 'boolean' ? { wireTime } : {}),
      }),
    );
  }
  return registry;
}

async function bindingFor(port: string, simulators: SimulatorRegistry): Promise<BindingInterface> {
  if (port.startsWith(SIM_PREFIX)) {
    const { SimulatorBinding } = await import('../../simulators/harness/sim-binding.js');
    return new SimulatorBinding(simulators);
  }
  const { autoDetect } = await import('@serialport/bindings-cpp');
  return hangupAwareBinding(autoDetect());
}

async function startDevices(input: {
  config: KioskConfig;
  journal: Journal;
  simulators: SimulatorRegistry;
  cashIn: JournalCashIn;
  logger: Logger;
}): Promise<DeviceMap> {
  const devices = new DeviceMap();
  try {
    for (const { name, port, protocol } of configuredDevices(input.config)) {
      const problem = unbuiltDeviceProblem(name, protocol);
      const start = deviceStarters[name];
      if (problem !== undefined || start === undefined) {
        throw new KioskError(ErrorCode.ConfigInvalid, `devices.${name}: ${problem ?? 'not in this build'}`, {
          details: { field: `devices.${name}`, protocol },
        });
      }
      devices.add(name, await start({ ...input, binding: await bindingFor(port, input.simulators) }));
    }
  } catch (error) {
    await devices.stop((name, stopError) =>
      input.logger.error({ err: stopError, device: name }, 'device stop failed'),
    );
    throw error;
  }
  return devices;
}

export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const { config, logger } = options;
  const notifier = startSystemdNotifier(logger);
  // The journal first: where dataDir holds it (the default), its refusal says why a disk cannot be written.
  const journal = Journal.open({
    path: config.journal.path,
    kioskId: config.kioskId,
    currency: config.currency.code,
    logger,
  });
  try {
    mkdirSync(config.dataDir, { recursive: true });
  } catch (error) {
    journal.close();
    const errno = (error as NodeJS.ErrnoException).code;
    throw new KioskError(
      ErrorCode.JournalIo,
      `dataDir ${config.dataDir}: cannot create it (${errno ?? String(error)})`,
      {
        cause: error,
        details: { field: 'dataDir', path: config.dataDir, errno },
      },
    );
  }

  const simulators = await startSimulators(config, logger);
  let control: ControlServer | undefined;
  const cleanups: Array<() => Promise<void> | void> = [
    () => journal.close(),
    () => {
      for (const [, host] of simulators.entries()) host.close();
    },
    () => notifier.close(),
  ];
  const stopAll = async () => {
    // Reverse order of start: devices first (no more money moves), the journal last.
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        logger.error({ err: error }, 'error while stopping');
      }
    }
  };

  try {
    if (simulators.names().length > 0) {
      const { startControlServer } = await import('../../simulators/harness/control-server.js');
      const listener = {
        field: 'simulators.controlPort',
        host: config.simulators.controlHost,
        port: config.simulators.controlPort,
      };
      control = await startControlServer({ devices: simulators, ...listener, logger }).catch(
        (error: unknown) => {
          throw listenRefusal(error, listener);
        },
      );
      const server = control;
      cleanups.push(() => server.close());
    }
    const cashIn = new JournalCashIn(journal, CASH_ACCEPTOR_DEVICE, logger.child({ component: 'cash-in' }));
    const devices = await startDevices({ config, journal, simulators, cashIn, logger });
    cleanups.push(() =>
      devices.stop((name, error) => logger.error({ err: error, device: name }, 'device stop failed')),
    );
    const cashAcceptor = devices.get(CASH_ACCEPTOR_DEVICE);
    // The config schema always has an acceptor section, and the loop above refuses one it cannot run.
    if (cashAcceptor === undefined)
      throw new KioskError(ErrorCode.ConfigInvalid, 'no cash acceptor configured');

    const alerts = new AlertList();
    alerts.on('alert', (alert) => logger.warn({ alert }, 'alert raised'));
    const recovery = startStartUpRecovery({
      journal,
      device: CASH_ACCEPTOR_DEVICE,
      acceptor: cashAcceptor,
      alerts,
      logger,
      // Long enough for a unit's own initialisation after a power-up and a few reconnect attempts.
      firstContactTimeoutMs: Math.max(10_000, 3 * config.devices.cashAcceptor.silenceTimeoutMs),
      topUps: interruptedTopUpFromJournal(journal, logger),
    });
    cleanups.push(() => recovery.stop());

    const operatorModes = new KioskModeStore({ journal, logger });
    cleanups.push(() => operatorModes.close());
    // Up before the link connects and, stopped in reverse order, down after it has said offline.
    const embeddedFleet =
      config.fleet.enabled && config.fleet.broker.url === 'embedded'
        ? await (await import('../fleet-broker/embedded-fleet.js'))
            .startEmbeddedFleet(config, logger)
            .catch((error: unknown) => {
              throw listenRefusal(error, {
                field: 'fleet.embeddedBroker.port',
                ...config.fleet.embeddedBroker,
              });
            })
        : undefined;
    if (embeddedFleet !== undefined) cleanups.push(() => embeddedFleet.stop());

    // No customer before recovery has reconciled the journal with the acceptor.
    const modes = startKioskModes({
      devices: devices.devices(),
      operator: operatorModes,
      ready: recovery.firstContact,
      printerRequired: config.devices.printer.required,
      logger,
    });
    cleanups.push(() => modes.stop());
    // The fleet sees the kiosk's effective mode; its setMode is the operator's choice. Stopped
    // before the journal closes (cleanups run in reverse): it says `offline` and ends.
    const fleet = config.fleet.enabled
      ? (await import('./fleet-link-wiring.js')).startFleetLinkWiring({
          config,
          journal,
          devices,
          modes: {
            get mode() {
              return modes.mode;
            },
            onModeChange: (listener) => modes.onModeChange(listener),
            requestMode: (mode, by) => operatorModes.requestMode(mode, by),
          },
          alerts,
          logger,
          ...(embeddedFleet === undefined
            ? {}
            : {
                brokerUrl: embeddedFleet.brokerUrl,
                brokerLogin: embeddedFleet.kioskLogin,
                ledgerKeys: embeddedFleet.ledgerKeys,
              }),
        })
      : undefined;
    if (fleet !== undefined) cleanups.push(() => fleet.stop());
    const customers = new CustomerSlot();
    // One print queue for the customers' receipts and the technician's reprints.
    const receipts = kioskReceipts({ config, journal, devices, logger });
    const topUps = new TopUpService({
      config,
      customers,
      journal,
      acceptor: cashAcceptor,
      cashIn,
      device: CASH_ACCEPTOR_DEVICE,
      modes,
      alerts,
      logger,
      receipts,
    });
    cleanups.push(() => topUps.stop(TOP_UP_STOP_BUDGET_MS));
    const balanceQueries = config.balanceQuery.enabled
      ? new BalanceQueryService({
          config,
          pinPad: devices.get('pinPad'),
          customers,
          modes,
          logger,
        })
      : undefined;
    if (balanceQueries !== undefined) cleanups.push(() => balanceQueries.stop());
    const collections = new CollectionService({
      journal,
      device: CASH_ACCEPTOR_DEVICE,
      denominations: config.currency.denominations,
      customers,
      modes: operatorModes,
      alerts,
      printer: () => devices.get('printer'),
      receipt: {
        kioskId: config.kioskId,
        config: config.receipts,
        columns: config.devices.printer.columns,
        minorUnitsPerMajor: config.currency.minorUnitsPerMajor,
      },
      logger,
    });
    // Before the API takes a customer: a collection a restart interrupted holds the slot again.
    collections
      .resume()
      .catch((error: unknown) => logger.error({ err: error }, 'cash collection resume failed'));
    const service = await startServiceMode({
      config,
      journal,
      devices,
      ...(receipts === undefined ? {} : { receipts }),
      extraCommands: [
        ...collectionCommands(collections),
        ...cashboxCommands(
          new CashboxReconciliation({
            journal,
            device: CASH_ACCEPTOR_DEVICE,
            denominations: config.currency.denominations,
            alerts,
            openCollection: () => collections.current(),
            logger,
          }),
        ),
      ],
      ports: {
        get mode() {
          return modes.mode;
        },
        onModeChange: (listener) => modes.onModeChange(listener),
        enterMaintenance: (by) => modes.enterMaintenance(by),
        endCustomerWithoutCash: () => {
          // One customer at a time (the shared slot): at most one of the two is running.
          const query = balanceQueries?.endForMaintenance() ?? 'none';
          return query === 'none' ? topUps.endForMaintenance() : query;
        },
        leaveMaintenance: (by) => modes.leaveMaintenance(by),
        requestOperatorMode: (mode, by) => operatorModes.requestMode(mode, by),
      },
      logger,
    });
    cleanups.push(() => service.stop());
    if (fleet !== undefined) {
      const { forwardServiceEvents } = await import('../service-mode/service-events-to-fleet.js');
      cleanups.push(forwardServiceEvents(service.service, fleet.link, logger));
    }
    // Started last and so closed first on stop: no new customer once stopping begins.
    const api: KioskApi = await startKioskApi({
      service: topUps,
      ...(balanceQueries === undefined ? {} : { balanceQueries }),
      serviceMode: service.service,
      config,
      logger,
    }).catch((error: unknown) => {
      throw listenRefusal(error, { field: 'api.port', ...config.api });
    });
    cleanups.push(() => api.close());

    notifier.ready();
    logger.info(
      {
        kioskId: config.kioskId,
        version: KIOSKD_VERSION,
        config: options.configPath,
        journal: config.journal.path,
        devices: Object.fromEntries(configuredDevices(config).map((device) => [device.name, device.port])),
        simulatorControl: control?.url,
        api: api.url,
      },
      'kioskd up',
    );

    return {
      journal,
      simulators,
      simulatorControlUrl: control?.url,
      devices,
      cashAcceptor,
      recovery,
      alerts,
      fleetLink: fleet?.link,
      embeddedFleet,
      topUps,
      balanceQueries,
      customers,
      collections,
      apiUrl: api.url,
      serviceMode: service.service,
      diagSocketPath: service.diag?.path,
      async stop() {
        notifier.stopping();
        await stopAll();
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
