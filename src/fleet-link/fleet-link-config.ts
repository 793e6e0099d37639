import { readFileSync } from 'node:fs';
import { ErrorCode, KioskError } from '../../core/errors.js';
import { readEd25519PublicKey } from '../config/ed25519-public-key.js';
import type { KioskConfig } from '../config/index.js';
import type { FleetPublicKey } from '../fleet-protocol/index.js';

export type FleetConfig = KioskConfig['fleet'];

export interface FleetLinkConfig {
  kioskId: string;
  /** Where the connection epoch file lives (the daemon's dataDir). */
  dataDir: string;
  fleet: FleetConfig;
  /**
   * The broker's address when `fleet.broker.url` is `embedded` and the in-process broker
   * listens somewhere the config does not say (port 0 picks a free one).
   */
  brokerUrl?: string;
  /**
   * Ledger keys trusted besides `fleet.ledger.publicKeys`: the embedded demo fleet's ledger
   * makes its key pair at start and hands the public half over in memory.
   */
  ledgerKeys?: readonly FleetPublicKey[];
}

/** The configured public keys at `field` (e.g. `fleet.commands.publicKeys`), read for crypto.verify. */
export function readConfiguredKeys(
  entries: ReadonlyArray<{ id: string; key: string }>,
  field: string,
): FleetPublicKey[] {
  return entries.map(({ id, key }, i) => {
    const reading = readEd25519PublicKey(key);
    if (!reading.ok) {
      throw new KioskError(ErrorCode.ConfigInvalid, `${field}[${i}].key: ${reading.found}`, {
        details: { field: `${field}[${i}].key` },
      });
    }
    return { id, key: reading.key };
  });
}

/** Every ledger key an ack may be signed with: the configured ones and any handed over in memory. */
export function ledgerKeysOf(config: FleetLinkConfig): FleetPublicKey[] {
  return [
    ...readConfiguredKeys(config.fleet.ledger.publicKeys, 'fleet.ledger.publicKeys'),
    ...(config.ledgerKeys ?? []),
  ];
}

/** The URL the link dials: the configured one, or the embedded broker's. */
export function resolveBrokerUrl(config: FleetLinkConfig): string {
  if (config.brokerUrl !== undefined) {
    if (!/^(?:mqtts?|wss?):\/\//.test(config.brokerUrl)) {
      throw new KioskError(
        ErrorCode.ConfigInvalid,
        `broker URL ${config.brokerUrl} is not mqtt(s):// or ws(s)://`,
        {
          details: { field: 'brokerUrl' },
        },
      );
    }
    return config.brokerUrl;
  }
  const { url } = config.fleet.broker;
  if (url !== 'embedded') return url;
  const { host, port } = config.fleet.embeddedBroker;
  if (port === 0) {
    throw new KioskError(
      ErrorCode.ConfigInvalid,
      'fleet.embeddedBroker.port is 0 (any free port), so the fleet link needs the port the embedded broker took',
      { details: { field: 'fleet.embeddedBroker.port' } },
    );
  }
  return `mqtt://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export interface TlsMaterial {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

/**
 * The CA and the kiosk's client certificate and key, read from the configured files. Read at
 * every connection attempt, so a certificate renewed on disk is used from the next reconnect.
 */
export function readTlsMaterial(fleet: FleetConfig): TlsMaterial {
  const material: TlsMaterial = {};
  for (const field of ['ca', 'cert', 'key'] as const) {
    const path = fleet.broker[field];
    if (path === undefined) continue;
    try {
      material[field] = readFileSync(path);
    } catch (error) {
      throw new KioskError(
        ErrorCode.ConfigInvalid,
        `fleet.broker.${field}: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
        { cause: error, details: { field: `fleet.broker.${field}`, path } },
      );
    }
  }
  return material;
}

export function clientIdOf(config: FleetLinkConfig): string {
  return config.fleet.broker.clientId ?? `kioskd-${config.kioskId}`;
}
