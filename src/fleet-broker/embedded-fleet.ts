import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import type { RunningAccountService } from '../accounts/account-server.js';
import { inProcessCreditSink } from '../accounts/credit-sinks.js';
import { startEmbeddedAccountService } from '../accounts/embedded-account-service.js';
import type { KioskConfig } from '../config/index.js';
import { FleetLedger } from '../fleet/ledger.js';
import type { FleetPublicKey } from '../fleet-protocol/index.js';
import type { Logger } from '../log.js';
import type { BrokerCredentials } from './broker-access.js';
import { type EmbeddedBroker, startEmbeddedBroker } from './embedded-broker.js';
import { removeFleetLoginFile, writeFleetLoginFile } from './fleet-login-file.js';

/**
 * The fleet side of `kioskd demo` inside the daemon's process: the embedded broker and the
 * reference ledger acknowledging payments, so the kiosk's outbox drains with nothing installed
 * but Node. Started before the fleet link connects, stopped after it: the link's first
 * payments find the ledger subscribed, and its last acks still reach it. The ledger signs its
 * acks with a key pair made at start; the link is handed the public half in memory (no file).
 */
export interface EmbeddedFleet {
  /** What the fleet link connects to in place of `embedded`. */
  readonly brokerUrl: string;
  /** The kiosk's login on the broker, for its fleet link (made at start, held in memory only). */
  readonly kioskLogin: BrokerCredentials;
  /** The public key of this run's ledger, for the link to check its acks with. */
  readonly ledgerKeys: readonly FleetPublicKey[];
  readonly broker: EmbeddedBroker;
  readonly ledger: FleetLedger;
  /**
   * The reference account service (seeds/accounts.yaml), credited in-process with every payment
   * the ledger stores; its HTTP API at `accounts.url` serves balance queries and account checks.
   */
  readonly accounts: RunningAccountService;
  /** The fleet tools' config with the fleet's login (`kioskd fleet view --config ...`). */
  readonly fleetLoginFile: string;
  stop(): Promise<void>;
}

export const EMBEDDED_LEDGER_FILE = 'fleet-ledger.sqlite';
export const EMBEDDED_LEDGER_KEY_ID = 'embedded-ledger';
/** The ledger must be listening before the kiosk publishes; on loopback this takes milliseconds. */
const LEDGER_READY_MS = 5000;

export async function startEmbeddedFleet(config: KioskConfig, logger: Logger): Promise<EmbeddedFleet> {
  const broker = await startEmbeddedBroker({
    host: config.fleet.embeddedBroker.host,
    port: config.fleet.embeddedBroker.port,
    topicPrefix: config.fleet.topicPrefix,
    maxPacketBytes: config.fleet.embeddedBroker.maxPacketBytes,
    logger,
  });
  const ackKeys = generateKeyPairSync('ed25519');
  let accounts: RunningAccountService | undefined;
  let ledger: FleetLedger | undefined;
  let fleetLoginFile: string;
  try {
    accounts = await startEmbeddedAccountService(config, logger);
    ledger = FleetLedger.start({
      broker: {
        url: broker.url,
        protocolVersion: 4,
        clientId: `kioskd-embedded-ledger-${config.kioskId}`,
        ...broker.fleetCredentials,
      },
      dbPath: join(config.dataDir, EMBEDDED_LEDGER_FILE),
      ackKey: ackKeys.privateKey,
      topicPrefix: config.fleet.topicPrefix,
      // Aedes never honours $share, and this ledger is the only one on its broker.
      sharedSubscription: false,
      creditSink: inProcessCreditSink(accounts.service),
      logger,
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      ledger.whenSubscribed(),
      new Promise<void>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`the embedded ledger did not subscribe within ${LEDGER_READY_MS} ms`)),
          LEDGER_READY_MS,
        );
      }),
    ]).finally(() => clearTimeout(timer));
    fleetLoginFile = writeFleetLoginFile(config.dataDir, {
      url: broker.url,
      topicPrefix: config.fleet.topicPrefix,
      login: broker.fleetCredentials,
    });
  } catch (error) {
    await ledger?.stop();
    await accounts?.stop();
    await broker.close();
    throw error;
  }
  const running = ledger;
  const accountService = accounts;
  logger.info({ fleetLoginFile }, 'fleet tools log in to the embedded broker with this config file');
  return {
    brokerUrl: broker.url,
    kioskLogin: broker.credentialsFor(config.kioskId),
    ledgerKeys: [{ id: EMBEDDED_LEDGER_KEY_ID, key: ackKeys.publicKey }],
    broker,
    ledger: running,
    accounts: accountService,
    fleetLoginFile,
    async stop() {
      removeFleetLoginFile(fleetLoginFile);
      await running.stop();
      await accountService.stop();
      await broker.close();
    },
  };
}
