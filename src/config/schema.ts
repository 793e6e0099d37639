import { join } from 'node:path';
import { z } from 'zod';
import {
  amount,
  fieldsAreClean,
  filePath,
  flag,
  intFrom,
  MAX_DELAY_MS,
  nonEmptyText,
  reconnect,
} from '../../core/config-fields.js';
import {
  cashAcceptorConfigSchemas,
  cashAcceptorCurrencyProblems,
  cashAcceptorProtocols,
} from '../../devices/cash-acceptor/registry.js';
import { unbuiltDeviceProblem } from '../../devices/device-kinds.js';
import { DEVICE_NAMES, type DeviceName } from '../../devices/device-names.js';
import { pinPadConfigSchemas, pinPadProtocols } from '../../devices/pin-pad/registry.js';
import { printerConfigSchemas, printerProtocols } from '../../devices/printer/registry.js';
import { eppConfigOptionsSchema } from '../../simulators/epp/options-schema.js';
import { escposOptionsSchema } from '../../simulators/escpos/options-schema.js';
import { receiptsConfigSchema } from '../receipts/receipt-config.js';
import { diagConfigSchema, techniciansSchema } from '../service-mode/service-mode-config.js';
import { brokerSettingsSchema, protocolVersionSchema } from './broker-settings-schema.js';
import { ED25519_KEY_EXPECTATION, readEd25519PublicKey } from './ed25519-public-key.js';

/*
 * The kiosk config file. Every object is strict (an unknown key is an error, so a typo never
 * silently falls back to a default); every optional section is prefaulted so a missing one
 * still yields its inner defaults. Amounts are integers in minor units (fen for CNY).
 * Relative paths (dataDir, journal.path, TLS files) are taken against the daemon's working
 * directory, not the config file's directory.
 */

const cashAcceptorProtocolExpectation = `expected ${cashAcceptorProtocols.map((p) => JSON.stringify(p)).join(' or ')}`;

/** One shape per protocol, each from its own folder; `protocol` picks it (ID-003 when absent). */
const cashAcceptor = z
  .discriminatedUnion('protocol', cashAcceptorConfigSchemas, {
    error: (issue) => (issue.code === 'invalid_union' ? cashAcceptorProtocolExpectation : undefined),
  })
  .prefault({});

/**
 * A device whose driver this build lacks (the device kinds' registry says which): refused here
 * rather than when the daemon starts.
 */
function unbuiltDriver(
  name: DeviceName,
  value: { enabled: boolean; protocol: string },
  ctx: z.RefinementCtx,
) {
  const problem = value.enabled ? unbuiltDeviceProblem(name, value.protocol) : undefined;
  if (problem !== undefined && fieldsAreClean(ctx, ['enabled'], ['protocol'])) {
    ctx.addIssue({ code: 'custom', path: ['enabled'], message: `expected false: ${problem}`, input: true });
  }
}

const printerProtocolExpectation = `expected ${printerProtocols.map((p) => JSON.stringify(p)).join(' or ')}`;

/** One shape per protocol, each from its own folder; `protocol` picks it (ESC/POS when absent). */
/**
 * A simulator model's own options, checked by the model's schema-only file (the daemon's config
 * does not load the model), plus `wireTime`, which belongs to the simulated line.
 */
function simulatorModelOptions(modelSchema: z.ZodType, what: string) {
  return z
    .record(z.string(), z.unknown(), { error: `expected an object of ${what}` })
    .superRefine((value, ctx) => {
      const { wireTime, ...model } = value;
      if (wireTime !== undefined && typeof wireTime !== 'boolean') {
        ctx.addIssue({
          code: 'custom',
          path: ['wireTime'],
          message: 'expected true or false',
          input: wireTime,
        });
      }
      const checked = modelSchema.safeParse(model);
      for (const issue of checked.success ? [] : checked.error.issues) {
        ctx.addIssue({ ...issue, code: 'custom', path: issue.path as PropertyKey[] } as never);
      }
    })
    .optional();
}

const printer = z
  .discriminatedUnion('protocol', printerConfigSchemas, {
    error: (issue) => (issue.code === 'invalid_union' ? printerProtocolExpectation : undefined),
  })
  .superRefine((value, ctx) => unbuiltDriver('printer', value, ctx))
  .prefault({});

const pinPadProtocolExpectation = `expected ${pinPadProtocols.map((p) => JSON.stringify(p)).join(' or ')}`;

/** One shape per protocol, each from its own folder; `protocol` picks it (EPP when absent). */
const pinPad = z
  .discriminatedUnion('protocol', pinPadConfigSchemas, {
    error: (issue) => (issue.code === 'invalid_union' ? pinPadProtocolExpectation : undefined),
  })
  .superRefine((value, ctx) => unbuiltDriver('pinPad', value, ctx))
  .prefault({});

const deviceSections = { cashAcceptor, printer, pinPad } satisfies Record<DeviceName, z.ZodType>;

const devices = z
  .strictObject(deviceSections)
  .superRefine((value, ctx) => {
    // Two drivers on one line would corrupt each other's frames.
    const claimed = new Map<string, string>();
    for (const name of DEVICE_NAMES) {
      const device = value[name];
      if (!('enabled' in device ? device.enabled : true) || !fieldsAreClean(ctx, [name, 'port'])) continue;
      const owner = claimed.get(device.port);
      if (owner !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [name, 'port'],
          message: `expected a port not already used by devices.${owner}`,
          input: device.port,
        });
      } else {
        claimed.set(device.port, name);
      }
    }
  })
  .prefault({});

const currency = z
  .strictObject({
    code: z
      .string({ error: 'expected a 3-letter uppercase currency code such as "CNY"' })
      .regex(/^[A-Z]{3}$/, { error: 'expected a 3-letter uppercase currency code such as "CNY"' })
      .default('CNY'),
    minorUnitsPerMajor: z
      .literal([1, 10, 100, 1000], { error: 'expected 1, 10, 100 or 1000 (100 for CNY: fen per yuan)' })
      .default(100),
    denominations: z
      .array(amount(), { error: 'expected a list of note values in minor units (fen)' })
      .min(1, { error: 'expected at least one denomination' })
      .superRefine((values, ctx) => {
        for (let i = 1; i < values.length; i++) {
          const previous = values[i - 1]!;
          const current = values[i]!;
          if (current <= previous && fieldsAreClean(ctx, [i], [i - 1])) {
            ctx.addIssue({
              code: 'custom',
              path: [i],
              message: `expected more than the denomination before it (${previous}): list them in increasing order, each once`,
              input: current,
            });
          }
        }
      })
      .default([100, 500, 1000, 2000, 5000, 10_000]),
  })
  .prefault({});

const limits = z
  .strictObject({
    maxPerTransaction: amount().default(200_000),
    maxPerAccountPerDay: amount().default(500_000),
    maxNotesPerTransaction: intFrom(1, 200).default(30),
  })
  .superRefine((value, ctx) => {
    if (
      value.maxPerTransaction > value.maxPerAccountPerDay &&
      fieldsAreClean(ctx, ['maxPerTransaction'], ['maxPerAccountPerDay'])
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['maxPerTransaction'],
        message: `expected at most maxPerAccountPerDay (${value.maxPerAccountPerDay})`,
        input: value.maxPerTransaction,
      });
    }
  })
  .prefault({});

const accountCheck = z
  .strictObject({
    enabled: flag().default(false),
    url: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }).optional(),
    timeoutMs: intFrom(100, 30_000).default(3000),
    /** What to do when the lookup service does not answer in time. */
    offlinePolicy: z.enum(['accept', 'refuse']).default('accept'),
  })
  .superRefine((value, ctx) => {
    if (value.enabled && value.url === undefined && fieldsAreClean(ctx, ['url'], ['enabled'])) {
      ctx.addIssue({
        code: 'custom',
        path: ['url'],
        message: 'required when enabled is true',
        input: undefined,
      });
    }
  })
  .prefault({});

const transaction = z
  .strictObject({
    accountEntryTimeoutMs: intFrom(5000, 600_000).default(120_000),
    accountCheck,
    /** Once a note is stacked, the top-up completes on its own after this much inactivity. */
    idleCompleteAfterMs: intFrom(5000, 600_000).default(60_000),
    confirmTimeoutMs: intFrom(5000, 600_000).default(30_000),
  })
  .prefault({});

/** The customer's balance query with the service password on the PIN pad (issue 13). */
const balanceQuery = z
  .strictObject({
    enabled: flag().default(false),
    /** The billing system's balance query (POST <url>/v1/balance-queries); TLS in production. */
    accountService: z
      .strictObject({
        url: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }).optional(),
        token: nonEmptyText("the account service's bearer token").optional(),
        timeoutMs: intFrom(100, 30_000).default(5000),
      })
      .prefault({}),
    /** iso0 with TDES DUKPT, iso4 with AES DUKPT: what the pad is keyed for and the service expects. */
    pinBlockFormat: z.enum(['iso0', 'iso4'], { error: 'expected "iso0" or "iso4"' }).default('iso0'),
    pinEntry: z
      .strictObject({
        // Chinese service passwords are 6 digits; ISO 9564 allows 4 to 12.
        minLength: intFrom(4, 12).default(6),
        maxLength: intFrom(4, 12).default(6),
        timeoutMs: intFrom(5000, 300_000).default(30_000),
        autoEnd: flag().default(false),
      })
      .superRefine((value, ctx) => {
        if (value.maxLength < value.minLength && fieldsAreClean(ctx, ['maxLength'], ['minLength'])) {
          ctx.addIssue({
            code: 'custom',
            path: ['maxLength'],
            message: `expected at least minLength (${value.minLength})`,
            input: value.maxLength,
          });
        }
      })
      .prefault({}),
    /** How long the balance stays on the screen. */
    showBalanceMs: intFrom(2000, 120_000).default(15_000),
  })
  .superRefine((value, ctx) => {
    if (!value.enabled || !fieldsAreClean(ctx, ['enabled'], ['accountService'])) return;
    for (const field of ['url', 'token'] as const) {
      if (value.accountService[field] === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['accountService', field],
          message: 'required when balanceQuery.enabled is true',
          input: undefined,
        });
      }
    }
  })
  .prefault({});

const BROKER_URL =
  /^(?:embedded|(?:mqtts?|wss?):\/\/(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::[0-9]{1,5})?(?:\/\S*)?)$/;
const BROKER_URL_EXPECTATION = 'expected "embedded" or a mqtt://, mqtts://, ws:// or wss:// URL';

const broker = brokerSettingsSchema({
  url: z
    .string({ error: BROKER_URL_EXPECTATION })
    .regex(BROKER_URL, { error: BROKER_URL_EXPECTATION })
    .default('embedded'),
  protocolVersion: protocolVersionSchema.default(5),
  caRequiredForMqtts: true,
});

const publicKey = z.strictObject({
  id: z
    .string({ error: 'expected a key id of 1 to 64 letters, digits, ".", "_" or "-"' })
    .regex(/^[A-Za-z0-9._-]{1,64}$/, {
      error: 'expected a key id of 1 to 64 letters, digits, ".", "_" or "-"',
    }),
  key: z.string({ error: ED25519_KEY_EXPECTATION }).superRefine((text, ctx) => {
    const reading = readEd25519PublicKey(text);
    if (!reading.ok) {
      ctx.addIssue({
        code: 'custom',
        message: ED25519_KEY_EXPECTATION,
        input: text,
        params: { got: reading.found },
      });
    }
  }),
});

/** Public keys a kiosk trusts for one purpose, each under an id no other entry uses. */
const publicKeyList = () =>
  z
    .array(publicKey, { error: 'expected a list of { id, key } entries' })
    .superRefine((keys, ctx) => {
      const seen = new Map<string, number>();
      keys.forEach((entry, i) => {
        const first = seen.get(entry.id);
        if (first !== undefined && fieldsAreClean(ctx, [i, 'id'])) {
          ctx.addIssue({
            code: 'custom',
            path: [i, 'id'],
            message: `expected an id not already used by publicKeys[${first}]`,
            input: entry.id,
          });
        } else if (first === undefined) {
          seen.set(entry.id, i);
        }
      });
    })
    .default([]);

const commands = z
  .strictObject({
    publicKeys: publicKeyList(),
    maxClockSkewMs: intFrom(1000, 3_600_000).default(120_000),
    maxPayloadBytes: intFrom(1024, 1_048_576).default(16_384),
  })
  .prefault({});

const fleet = z
  .strictObject({
    enabled: flag().default(true),
    broker,
    /** The demo's in-process broker: loopback only, like the kiosk API; it is not for a network. */
    embeddedBroker: z
      .strictObject({
        host: z
          .enum(['127.0.0.1', '::1', 'localhost'], {
            error:
              'expected a loopback address: 127.0.0.1, ::1 or localhost (the embedded broker is for one machine)',
          })
          .default('127.0.0.1'),
        port: intFrom(0, 65_535).default(1883),
        /** The largest MQTT packet a client may send it; larger ones end the connection unread. */
        maxPacketBytes: intFrom(65_536, 16_777_216).default(262_144),
      })
      .prefault({}),
    topicPrefix: z
      .string({
        error: 'expected topic levels joined by "/", without a leading or trailing "/", spaces, "+" or "#"',
      })
      .regex(/^[^/\s+#]+(?:\/[^/\s+#]+)*$/, {
        error: 'expected topic levels joined by "/", without a leading or trailing "/", spaces, "+" or "#"',
      })
      .default('kiosk/v1'),
    healthIntervalMs: intFrom(1000, MAX_DELAY_MS).default(30_000),
    outbox: z
      .strictObject({
        /**
         * Unacknowledged payments out at once. The window must cover the ledger's round trip
         * (its commit, disk sync and the ack back, tens of ms under load) at the rate the
         * broker allows, or a drain after an outage crawls window by window: on the 2-core
         * bench machine 32 gave ~1,500/s, 512 ~16,500-17,000/s and 1,000 ~17,000-19,000/s,
         * while 2,000 and 4,000 (tried with a larger journal page) gained nothing, everything
         * being CPU-bound by then. Bounded, since after a fleet-wide outage every kiosk's
         * window lands on the broker's queue for the ledger at once; ~1 MB of memory while full.
         */
        maxInFlight: intFrom(1, 1000).default(1000),
        resendAfterMs: intFrom(1000, MAX_DELAY_MS).default(15_000),
      })
      .prefault({}),
    reconnect: reconnect({ initialDelayMs: 1000, maxDelayMs: 60_000, factor: 2, jitter: 0.5 }),
    commands,
    /**
     * The fleet ledgers' public keys (one per ledger instance allowed): a `payment/ack` counts
     * only with a signature by one of them.
     */
    ledger: z.strictObject({ publicKeys: publicKeyList() }).prefault({}),
  })
  .superRefine((fleet, ctx) => {
    // With no ledger key no ack is accepted, so no payment would ever be marked delivered.
    // The embedded demo fleet hands its ledger's key to the link itself.
    if (
      fleet.enabled &&
      fleet.broker.url !== 'embedded' &&
      fleet.ledger.publicKeys.length === 0 &&
      fieldsAreClean(ctx, ['broker'], ['ledger'])
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['ledger', 'publicKeys'],
        message:
          'required when the fleet link uses a broker (the ledger signs payment acks; without its public key no payment is ever marked delivered; make one with kioskd fleet keygen --for ledger)',
        input: fleet.ledger.publicKeys,
      });
    }
  })
  .prefault({});

const baseSchema = z
  .strictObject({
    /** Becomes an MQTT topic level, so no "/", "+", "#" or spaces. */
    kioskId: z
      .string({ error: 'expected 1 to 64 letters, digits, "_" or "-", starting with a letter or digit' })
      .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, {
        error: 'expected 1 to 64 letters, digits, "_" or "-", starting with a letter or digit',
      }),
    log: z
      .strictObject({
        level: z.enum(['trace', 'debug', 'info', 'warn', 'error']).default('info'),
        /** Hex dump of every serial byte at debug level, for protocol diagnosis. */
        byteTrace: flag().default(false),
      })
      .prefault({}),
    dataDir: filePath().default('./var'),
    currency,
    devices,
    limits,
    transaction,
    receipts: receiptsConfigSchema,
    balanceQuery,
    journal: z.strictObject({ path: filePath().optional() }).prefault({}),
    api: z
      .strictObject({
        /** The kiosk API is for the screen on this machine and nobody else. */
        host: z
          .enum(['127.0.0.1', '::1', 'localhost'], {
            error:
              'expected a loopback address: 127.0.0.1, ::1 or localhost (the kiosk API is for the screen on this machine)',
          })
          .default('127.0.0.1'),
        port: intFrom(0, 65_535).default(8080),
      })
      .prefault({}),
    fleet,
    /** The control channel of in-process simulators (sim:<kind> ports): loopback only. */
    simulators: z
      .strictObject({
        controlHost: z
          .enum(['127.0.0.1', '::1', 'localhost'], {
            error: 'expected a loopback address: 127.0.0.1, ::1 or localhost',
          })
          .default('127.0.0.1'),
        controlPort: intFrom(0, 65_535).default(8081),
        /** Per simulator kind, what the simulated unit is like; tests and demos pick fast timing. */
        options: z
          .strictObject({
            id003: z
              .strictObject({
                timingPreset: z
                  .enum(['fast', 'realistic'], { error: 'expected "fast" or "realistic"' })
                  .default('realistic'),
                /** Pace bytes at 9600 baud like a real line; a bench turns it off to time the daemon alone. */
                wireTime: flag().default(true),
                /** Single steps of the preset, in ms: a long bench compresses the unit's mechanics further. */
                timing: z
                  .strictObject({
                    answerDelayMs: intFrom(0, 600_000).optional(),
                    initializeMs: intFrom(0, 600_000).optional(),
                    acceptingMs: intFrom(0, 600_000).optional(),
                    escrowTimeoutMs: intFrom(1, 600_000).optional(),
                    stackingMs: intFrom(0, 600_000).optional(),
                    stackedMs: intFrom(0, 600_000).optional(),
                    rejectingMs: intFrom(0, 600_000).optional(),
                    returningMs: intFrom(0, 600_000).optional(),
                  })
                  .optional(),
              })
              .prefault({}),
            /** The ESC/POS printer model's own options (simulators/escpos/options-schema.ts), plus wireTime. */
            escpos: simulatorModelOptions(escposOptionsSchema, 'printer simulator options'),
            /** The EPP pad model's options without key material (simulators/epp/options-schema.ts), plus wireTime: a kiosk's config never holds a key. */
            epp: simulatorModelOptions(eppConfigOptionsSchema, 'PIN pad simulator options'),
          })
          .prefault({}),
      })
      .prefault({}),
    service: z
      .strictObject({ technicianPinHash: nonEmptyText('a non-empty hash string').optional() })
      .prefault({}),
    /** Field technicians for service mode (src/service-mode/service-mode-config.ts). */
    technicians: techniciansSchema,
    /** `kioskd diag`'s local socket and the technician session rules. */
    diag: diagConfigSchema,
  })
  .superRefine((value, ctx) => {
    // The query reads the service password on the PIN pad: without one it could never run.
    if (
      value.balanceQuery.enabled &&
      !value.devices.pinPad.enabled &&
      fieldsAreClean(ctx, ['balanceQuery', 'enabled'], ['devices', 'pinPad', 'enabled'])
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['balanceQuery', 'enabled'],
        message: 'expected false while devices.pinPad.enabled is false (the balance query needs the PIN pad)',
        input: true,
      });
    }
    const allowed = value.currency.denominations;
    if (!fieldsAreClean(ctx, ['currency', 'denominations'])) return;
    const section = ['devices', 'cashAcceptor'];
    for (const problem of cashAcceptorCurrencyProblems(value.devices.cashAcceptor, allowed)) {
      const path = [...section, ...problem.path];
      if (fieldsAreClean(ctx, path)) {
        ctx.addIssue({ code: 'custom', path, message: problem.message, input: problem.input });
      }
    }
    const smallest = allowed[0];
    if (
      smallest !== undefined &&
      value.limits.maxPerTransaction < smallest &&
      fieldsAreClean(ctx, ['limits', 'maxPerTransaction'])
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['limits', 'maxPerTransaction'],
        message: `expected at least the smallest denomination (${smallest}), or no note could ever be accepted`,
        input: value.limits.maxPerTransaction,
      });
    }
  });

/** The config schema; its output has journal.path filled in from dataDir when not given. */
export const kioskConfigSchema = baseSchema.transform((value) => ({
  ...value,
  journal: { ...value.journal, path: value.journal.path ?? join(value.dataDir, 'journal.sqlite') },
}));

export type KioskConfig = z.output<typeof kioskConfigSchema>;
/** What an operator may write: everything with a default is optional. */
export type KioskConfigInput = z.input<typeof kioskConfigSchema>;
