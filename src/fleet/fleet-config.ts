import { z } from 'zod';
import { filePath, intFrom } from '../../core/config-fields.js';
import { ErrorCode, KioskError } from '../../core/errors.js';
import { brokerSettingsSchema, protocolVersionSchema } from '../config/broker-settings-schema.js';
import { readConfigDocument } from '../config/config-text.js';
import { expectationFor, problemLines } from '../config/problem-lines.js';
import { DEFAULT_TOPIC_PREFIX } from '../fleet-protocol/index.js';

/*
 * The config of the fleet tools (`kioskd fleet ledger | view | cmd`), separate from any kiosk's
 * config: it belongs to the operators' side, holds the fleet identity and the command signing
 * key, and is read with the same strictness and the same problem lines as the kiosk config.
 * Every field has a default that works against `kioskd demo` on the same machine.
 */

export const DEFAULT_FLEET_BROKER_URL = 'mqtt://127.0.0.1:1883';

const BROKER_URL = /^(?:mqtts?|wss?):\/\/(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::[0-9]{1,5})?\/?$/;
const BROKER_URL_EXPECTATION = 'expected a mqtt://, mqtts://, ws:// or wss:// URL';
const TOPIC_PREFIX_EXPECTATION =
  'expected topic levels joined by "/", without a leading or trailing "/", spaces, "+" or "#"';
const GROUP_EXPECTATION = 'expected 1 to 64 letters, digits, "_" or "-"';
const ACCOUNT_TOKEN_EXPECTATION = 'expected a token of 16 to 256 printable characters without spaces';
const KEY_ID_EXPECTATION = 'expected a key id of 1 to 64 letters, digits, ".", "_" or "-"';

export const brokerUrlSchema = z
  .string({ error: BROKER_URL_EXPECTATION })
  .regex(BROKER_URL, { error: BROKER_URL_EXPECTATION });

export { protocolVersionSchema };

const broker = brokerSettingsSchema({
  url: brokerUrlSchema.default(DEFAULT_FLEET_BROKER_URL),
  /** 3.1.1 by default: the fleet tools need nothing of MQTT 5, and the embedded demo broker speaks only 3.1.1. */
  protocolVersion: protocolVersionSchema.default(4),
  caRequiredForMqtts: false,
});

export const fleetToolConfigSchema = z.strictObject({
  broker,
  topicPrefix: z
    .string({ error: TOPIC_PREFIX_EXPECTATION })
    .regex(/^[^/\s+#]+(?:\/[^/\s+#]+)*$/, { error: TOPIC_PREFIX_EXPECTATION })
    .default(DEFAULT_TOPIC_PREFIX),
  ledger: z
    .strictObject({
      db: filePath().default('./var/fleet-ledger.sqlite'),
      /**
       * PKCS#8 PEM Ed25519 private key the ledger signs its acks with (`kioskd fleet keygen
       * --for ledger`); kiosks list its public half under fleet.ledger.publicKeys.
       */
      privateKey: filePath().optional(),
      /** Ledger instances with the same group split the payments between them. */
      group: z
        .string({ error: GROUP_EXPECTATION })
        .regex(/^[A-Za-z0-9_-]{1,64}$/, { error: GROUP_EXPECTATION })
        .default('ledger'),
      batchDelayMs: intFrom(0, 1000).default(0),
      batchMaxSize: intFrom(1, 10_000).default(500),
      gapCheckIntervalMs: intFrom(1000, 3_600_000).default(10_000),
      /**
       * The account service every stored payment is credited to (POST /v1/credits, retried,
       * with a durable cursor in the ledger database); without it nothing is credited.
       */
      accountService: z
        .strictObject({
          url: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }),
          token: z
            .string({ error: ACCOUNT_TOKEN_EXPECTATION })
            .regex(/^[\x21-\x7e]{16,256}$/, { error: ACCOUNT_TOKEN_EXPECTATION }),
          /** CA of the service's certificate (https:// with a private CA). */
          ca: filePath().optional(),
        })
        .optional(),
    })
    .prefault({}),
  commands: z
    .strictObject({
      /** PKCS#8 PEM Ed25519 private key, as `kioskd fleet keygen` writes it. */
      privateKey: filePath().optional(),
      keyId: z
        .string({ error: KEY_ID_EXPECTATION })
        .regex(/^[A-Za-z0-9._-]{1,64}$/, { error: KEY_ID_EXPECTATION })
        .optional(),
      timeoutMs: intFrom(100, 600_000).default(10_000),
      /** How long a command stays valid after it is issued (the kiosk refuses it later). */
      validForMs: intFrom(1000, 3_600_000).default(60_000),
    })
    .prefault({}),
});

export type FleetToolConfig = z.output<typeof fleetToolConfigSchema>;
export type FleetToolConfigInput = z.input<typeof fleetToolConfigSchema>;

/** Validates a parsed value; throws ConfigInvalid with one line per problem, in document order. */
export function parseFleetToolConfig(raw: unknown, source: string): FleetToolConfig {
  const result = fleetToolConfigSchema.safeParse(raw ?? {}, { reportInput: true, error: expectationFor });
  if (result.success) return result.data;
  const problems = problemLines(result.error.issues, fleetToolConfigSchema, raw);
  throw new KioskError(ErrorCode.ConfigInvalid, problems.join('\n'), { details: { source, problems } });
}

/** Reads a fleet tool config file (.yaml, .yml or .json); the same errors as the kiosk config's loader. */
export function loadFleetToolConfig(path: string): FleetToolConfig {
  return parseFleetToolConfig(readConfigDocument(path), path);
}

/** Command-line overrides, applied over the file (or the defaults) and validated like the file. */
export interface FleetToolOverrides {
  brokerUrl?: string | undefined;
  protocolVersion?: number | undefined;
  ca?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
  clientId?: string | undefined;
  topicPrefix?: string | undefined;
  ledgerDb?: string | undefined;
  ledgerGroup?: string | undefined;
  ledgerPrivateKey?: string | undefined;
  privateKey?: string | undefined;
  keyId?: string | undefined;
  commandTimeoutMs?: number | undefined;
}

function defined<T extends Record<string, unknown>>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * The config a fleet tool runs with: the file's (when given) with command-line values on top.
 * A broker URL given on the command line drops the file's TLS files only when it is plain
 * mqtt://, so `--broker mqtt://127.0.0.1:1883` works with a production config at hand.
 */
export function resolveFleetToolConfig(
  file: string | undefined,
  overrides: FleetToolOverrides,
): FleetToolConfig {
  const base = file === undefined ? parseFleetToolConfig({}, 'defaults') : loadFleetToolConfig(file);
  const plainOverride = overrides.brokerUrl !== undefined && !/^(?:mqtts|wss):/.test(overrides.brokerUrl);
  const brokerBase = plainOverride
    ? { ...base.broker, ca: undefined, cert: undefined, key: undefined }
    : base.broker;
  const merged = {
    broker: {
      ...defined(brokerBase),
      ...defined({
        url: overrides.brokerUrl,
        protocolVersion: overrides.protocolVersion,
        ca: overrides.ca,
        cert: overrides.cert,
        key: overrides.key,
        clientId: overrides.clientId,
      }),
    },
    topicPrefix: overrides.topicPrefix ?? base.topicPrefix,
    ledger: {
      ...defined(base.ledger),
      ...defined({
        db: overrides.ledgerDb,
        group: overrides.ledgerGroup,
        privateKey: overrides.ledgerPrivateKey,
      }),
    },
    commands: {
      ...defined(base.commands),
      ...defined({
        privateKey: overrides.privateKey,
        keyId: overrides.keyId,
        timeoutMs: overrides.commandTimeoutMs,
      }),
    },
  };
  return parseFleetToolConfig(merged, file === undefined ? 'command line' : `${file} and the command line`);
}
