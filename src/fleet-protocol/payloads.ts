import { z } from 'zod';
import { DEVICE_NAMES } from '../../devices/device-names.js';
import { DEVICE_STATES, ERROR_ACTIONS } from '../../devices/device-status.js';

/**
 * The JSON payloads of DESIGN.md's MQTT topics, as zod schemas both ends validate with: the
 * kiosk before it publishes (a bug must not reach the fleet) and the fleet when it receives
 * (a payload from the wire is untrusted). Every payload has `v`, `kioskId` and `ts`, and
 * carries everything a receiver needs, so the link works on MQTT 3.1.1 as on 5.
 * Amounts are integers in minor units.
 */
export const FLEET_PAYLOAD_VERSION = 1 as const;

const KIOSK_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const ULID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const CURRENCY_PATTERN = /^[A-Z]{3}$/;

const version = z.literal(FLEET_PAYLOAD_VERSION);
const kioskId = z.string().regex(KIOSK_ID_PATTERN);
const isoUtc = z.iso.datetime({ offset: false });
const money = z.int().nonnegative();
const ulid = z.string().regex(ULID_PATTERN);

const envelope = { v: version, kioskId, ts: isoUtc };

export const deviceStatusSchema = z.strictObject({
  state: z.enum(DEVICE_STATES),
  action: z.enum(ERROR_ACTIONS).optional(),
  reason: z.string().max(64).optional(),
});

export const KIOSK_MODES = ['starting', 'inService', 'outOfService', 'maintenance'] as const;

/**
 * The highest epoch on the wire (2^32 - 1). A kiosk counts one per connection, so a real one
 * stays far below it; a payload beyond it is malformed. Without a bound, one forged status at
 * 2^53 - 1 would be "newer" than anything the real kiosk can ever send.
 */
export const MAX_EPOCH = 2 ** 32 - 1;
const epoch = z.int().nonnegative().max(MAX_EPOCH);

/** `kiosk/v1/{id}/status`, retained; the Last Will is the same with `state: offline` and the same epoch. */
export const statusPayloadSchema = z.strictObject({
  ...envelope,
  state: z.enum(['online', 'offline']),
  mode: z.enum(KIOSK_MODES),
  /** +1 on every connection, persisted: a receiver ignores a status older than the newest epoch it saw. */
  epoch,
  version: z.string().max(64),
});
export type StatusPayload = z.infer<typeof statusPayloadSchema>;

export const cashboxHealthSchema = z.strictObject({
  notes: z.int().nonnegative(),
  value: money,
  capacity: z.int().positive().nullable(),
  /** notes / capacity, 0..1; null without a capacity. */
  fill: z.number().min(0).max(1).nullable(),
  accuracy: z.enum(['accurate', 'inaccurate', 'unknown']),
  denominations: z.array(z.strictObject({ denomination: money, count: z.int().nonnegative() })),
});

/** The kiosk's newest payment as health reports it, so a monitor started later shows it too. */
export const lastPaymentSchema = z.strictObject({
  paymentId: ulid,
  seq: z.int().positive(),
  amount: money,
  currency: z.string().regex(CURRENCY_PATTERN),
  kind: z.enum(['complete', 'partial', 'orphan']),
  ts: isoUtc,
});
export type LastPayment = z.infer<typeof lastPaymentSchema>;

/**
 * `kiosk/v1/{id}/health`, QoS 0, retained (the latest state): on connect, periodic, on every
 * device status change and after every payment.
 */
export const healthPayloadSchema = z.strictObject({
  ...envelope,
  epoch,
  mode: z.enum(KIOSK_MODES),
  uptimeS: z.int().nonnegative(),
  memory: z.strictObject({ rssBytes: z.int().nonnegative(), heapUsedBytes: z.int().nonnegative() }),
  devices: z.record(z.string().max(32), deviceStatusSchema),
  cashbox: z.record(z.string().max(32), cashboxHealthSchema),
  paper: z.enum(['ok', 'nearEnd', 'out', 'unknown']),
  outbox: z.strictObject({ pending: z.int().nonnegative(), oldestPendingSeq: z.int().positive().nullable() }),
  /** null before the first payment; absent from kiosks older than the field. */
  lastPayment: lastPaymentSchema.nullable().optional(),
});
export type HealthPayload = z.infer<typeof healthPayloadSchema>;

/** `kiosk/v1/{id}/alert`, QoS 1. */
export const alertPayloadSchema = z.strictObject({
  ...envelope,
  alertId: ulid,
  device: z.string().max(32),
  kind: z.string().regex(/^[a-zA-Z][a-zA-Z0-9.]{0,63}$/),
  action: z.enum(ERROR_ACTIONS),
  /** true when the condition has gone (the alert with this kind and device is closed). */
  cleared: z.boolean(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type AlertPayload = z.infer<typeof alertPayloadSchema>;

/** How many open alerts one `alerts` message lists; the oldest beyond it are counted in `omitted`. */
export const MAX_ALERTS_IN_SET = 100;

/** One open alert in the set: its `alert` payload without the envelope and `cleared`. */
export const openAlertSchema = alertPayloadSchema.pick({
  alertId: true,
  device: true,
  kind: true,
  action: true,
  ts: true,
  details: true,
});
export type OpenAlertEntry = z.infer<typeof openAlertSchema>;

/**
 * `kiosk/v1/{id}/alerts`, QoS 1, retained: every open alert of the kiosk, republished whole when
 * the set changes and on every connection (empty too, so a stale retained set is replaced).
 */
export const alertSetPayloadSchema = z.strictObject({
  ...envelope,
  alerts: z.array(openAlertSchema).max(MAX_ALERTS_IN_SET),
  /** Open alerts left out of `alerts` (the oldest) because the set is longer than the bound. */
  omitted: z.int().nonnegative(),
});
export type AlertSetPayload = z.infer<typeof alertSetPayloadSchema>;

/** `kiosk/v1/{id}/payment`, QoS 1, from the journal's outbox (the payload is frozen at commit). */
export const paymentPayloadSchema = z.strictObject({
  ...envelope,
  paymentId: ulid,
  seq: z.int().positive(),
  account: z.string().max(64).nullable(),
  amount: money,
  currency: z.string().regex(CURRENCY_PATTERN),
  notes: z.array(z.strictObject({ denomination: money, count: z.int().positive() })),
  kind: z.enum(['complete', 'partial', 'orphan']),
  txId: ulid.nullable(),
  receipt: z.boolean(),
});
export type PaymentPayloadWire = z.infer<typeof paymentPayloadSchema>;

const PAYMENT_KEYS = new Set(Object.keys(paymentPayloadSchema.shape));
const PAYMENT_KINDS = new Set<unknown>(paymentPayloadSchema.shape.kind.options);
/** What `Date#toISOString()` writes, the only `ts` form the quick check takes. */
const CANONICAL_TS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

const isPositiveInt = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) > 0;
const isMoney = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const digits = (s: string, from: number, to: number) => Number(s.slice(from, to));

/** A real instant (no 30 February, no hour 24), in the form of CANONICAL_TS. */
function isCanonicalInstant(ts: string): boolean {
  if (!CANONICAL_TS.test(ts)) return false;
  const year = digits(ts, 0, 4);
  const month = digits(ts, 5, 7);
  const day = digits(ts, 8, 10);
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!;
  return day <= days && digits(ts, 11, 13) < 24 && digits(ts, 14, 16) < 60 && digits(ts, 17, 19) < 60;
}
const isUlid = (s: unknown): s is string => typeof s === 'string' && ULID_PATTERN.test(s);

function isNoteLine(line: unknown): boolean {
  if (typeof line !== 'object' || line === null || Array.isArray(line)) return false;
  const keys = Object.keys(line);
  if (keys.length !== 2) return false;
  const { denomination, count } = line as { denomination?: unknown; count?: unknown };
  return (
    Object.hasOwn(line, 'denomination') &&
    Object.hasOwn(line, 'count') &&
    isMoney(denomination) &&
    isPositiveInt(count)
  );
}

/**
 * The payment a parsed JSON value is, when it is plainly one: the shape the kiosk writes, with
 * `ts` exactly as `toISOString()` writes it. Everything it accepts `paymentPayloadSchema`
 * accepts too (test/fleet-protocol checks that on random payloads), at a fraction of the cost;
 * undefined means "not sure", and the caller asks the schema, which decides and says why. A
 * receiver taking thousands of payments a second spends its time on storing them, not on this.
 */
export function quickPaymentPayload(value: unknown): PaymentPayloadWire | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== PAYMENT_KEYS.size) return undefined;
  for (const key of keys) if (!PAYMENT_KEYS.has(key)) return undefined;
  const p = value as Record<string, unknown>;
  const { ts, account, notes, txId } = p;
  if (
    p['v'] !== FLEET_PAYLOAD_VERSION ||
    typeof p['kioskId'] !== 'string' ||
    !KIOSK_ID_PATTERN.test(p['kioskId']) ||
    typeof ts !== 'string' ||
    !isCanonicalInstant(ts) ||
    !isUlid(p['paymentId']) ||
    !isPositiveInt(p['seq']) ||
    !(account === null || (typeof account === 'string' && account.length <= 64)) ||
    !isMoney(p['amount']) ||
    typeof p['currency'] !== 'string' ||
    !CURRENCY_PATTERN.test(p['currency']) ||
    !Array.isArray(notes) ||
    !PAYMENT_KINDS.has(p['kind']) ||
    !(txId === null || isUlid(txId)) ||
    typeof p['receipt'] !== 'boolean'
  ) {
    return undefined;
  }
  for (const line of notes) if (!isNoteLine(line)) return undefined;
  return value as PaymentPayloadWire;
}

/** Bounds a collection's denomination list (a note series has far fewer). */
export const MAX_COLLECTION_DENOMINATIONS = 64;
const noteCount = z.int().nonnegative();

/**
 * `kiosk/v1/{id}/collection`, QoS 1, from the journal's outbox like a payment (the payload is
 * frozen when the collection ends). `seq` is in the same space as payments' and covered by the
 * same `payment/ack` (`ackThroughSeq`, or `collectionId` in `paymentIds`). Per denomination
 * (fen; 0 = notes the acceptor credited without a known value): notes expected (credited since
 * the last collection), counted by the technician, and counted − expected. `difference` is
 * countedValue − expectedValue in fen; the totals must add up.
 */
export const collectionPayloadSchema = z
  .strictObject({
    ...envelope,
    collectionId: ulid,
    seq: z.int().positive(),
    technician: z.string().min(1).max(64),
    startedBy: z.string().min(1).max(64),
    endedBy: z.string().min(1).max(64),
    device: z.string().min(1).max(64),
    startedAt: isoUtc,
    endedAt: isoUtc,
    currency: z.string().regex(CURRENCY_PATTERN),
    denominations: z
      .array(
        z.strictObject({
          denomination: money,
          expected: noteCount,
          counted: noteCount,
          difference: z.int(),
        }),
      )
      .max(MAX_COLLECTION_DENOMINATIONS),
    expectedValue: money,
    countedValue: money,
    difference: z.int(),
    discrepancy: z.boolean(),
  })
  .superRefine((p, ctx) => {
    let expected = 0;
    let counted = 0;
    const seen = new Set<number>();
    p.denominations.forEach((d, i) => {
      if (seen.has(d.denomination)) {
        ctx.addIssue({ code: 'custom', path: ['denominations', i], message: 'denomination listed twice' });
      }
      seen.add(d.denomination);
      if (d.difference !== d.counted - d.expected) {
        ctx.addIssue({
          code: 'custom',
          path: ['denominations', i, 'difference'],
          message: 'is not counted − expected',
        });
      }
      expected += d.denomination * d.expected;
      counted += d.denomination * d.counted;
    });
    if (expected !== p.expectedValue) {
      ctx.addIssue({
        code: 'custom',
        path: ['expectedValue'],
        message: `the denominations add up to ${expected}`,
      });
    }
    if (counted !== p.countedValue) {
      ctx.addIssue({
        code: 'custom',
        path: ['countedValue'],
        message: `the denominations add up to ${counted}`,
      });
    }
    if (p.difference !== p.countedValue - p.expectedValue) {
      ctx.addIssue({ code: 'custom', path: ['difference'], message: 'is not countedValue − expectedValue' });
    }
    if (p.discrepancy !== p.denominations.some((d) => d.difference !== 0)) {
      ctx.addIssue({ code: 'custom', path: ['discrepancy'], message: 'disagrees with the denominations' });
    }
  });
export type CollectionPayloadWire = z.infer<typeof collectionPayloadSchema>;

const paymentAckFields = {
  ...envelope,
  ackThroughSeq: z.int().positive().optional(),
  paymentIds: z.array(ulid).min(1).max(1000).optional(),
};
const namesPayments = (ack: { ackThroughSeq?: number | undefined; paymentIds?: string[] | undefined }) =>
  ack.ackThroughSeq !== undefined || ack.paymentIds !== undefined;
const NAMES_PAYMENTS = { message: 'an ack names ackThroughSeq or paymentIds' };

/** A `payment/ack` before the ledger signs it. */
export const unsignedPaymentAckSchema = z
  .strictObject(paymentAckFields)
  .refine(namesPayments, NAMES_PAYMENTS);
export type UnsignedPaymentAck = z.infer<typeof unsignedPaymentAckSchema>;

/**
 * `kiosk/v1/{id}/payment/ack`, fleet → kiosk, only after the ledger stored them durably;
 * `sig` is the ledger's Ed25519 signature over the canonical JSON of the other fields.
 */
export const paymentAckSchema = z
  .strictObject({ ...paymentAckFields, sig: z.string().min(1).max(256) })
  .refine(namesPayments, NAMES_PAYMENTS);
export type PaymentAck = z.infer<typeof paymentAckSchema>;

/** The actions a kiosk obeys; anything else is rejected as `unknownAction`. */
export const COMMAND_ACTIONS = [
  'status',
  'setMode',
  'resetDevice',
  'runDiagnostics',
  'journalSummary',
  'rebirth',
] as const;
export type CommandAction = (typeof COMMAND_ACTIONS)[number];

export const commandArgsSchemas = {
  status: z.strictObject({}),
  setMode: z.strictObject({ mode: z.enum(['inService', 'outOfService']) }),
  resetDevice: z.strictObject({ device: z.enum(DEVICE_NAMES) }),
  runDiagnostics: z.strictObject({ device: z.enum(DEVICE_NAMES) }),
  journalSummary: z.strictObject({}),
  rebirth: z.strictObject({}),
} satisfies Record<CommandAction, z.ZodType>;

/** `kiosk/v1/{id}/cmd`: the signed envelope. `args` is checked per action after the signature. */
export const commandEnvelopeSchema = z.strictObject({
  cmdId: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/),
  kioskId,
  action: z.string().min(1).max(64),
  args: z.record(z.string(), z.unknown()),
  issuedAt: isoUtc,
  expiresAt: isoUtc,
  sig: z.string().min(1).max(256),
});
export type CommandEnvelope = z.infer<typeof commandEnvelopeSchema>;
export type UnsignedCommand = Omit<CommandEnvelope, 'sig'>;

export const COMMAND_REJECT_REASONS = [
  'malformed',
  'oversized',
  /** No `sig` at all: told apart from a wrong one, since it means a tool forgot to sign, not an attack. */
  'unsigned',
  'badSignature',
  'wrongKiosk',
  'expired',
  'notYetValid',
  'replayed',
  'unknownAction',
  'badArgs',
] as const;
export type CommandRejectReason = (typeof COMMAND_REJECT_REASONS)[number];

/** `kiosk/v1/{id}/cmd/result`. `cmdId` is null when the command was too broken to carry one. */
export const commandResultSchema = z.strictObject({
  ...envelope,
  cmdId: z.string().max(64).nullable(),
  status: z.enum(['ok', 'rejected', 'failed']),
  result: z.unknown().optional(),
  error: z.strictObject({ reason: z.string().max(64), message: z.string().max(500) }).optional(),
});
export type CommandResult = z.infer<typeof commandResultSchema>;

/**
 * `kiosk/v1/{id}/event` (QoS 1, not retained): a technician's service-mode action, as the
 * audit log has it. `technician` is the configured id; `args` are the command's words (never
 * a password); `outcome` says whether it ran (`ok`), was refused before it started, or failed.
 */
export const serviceEventPayloadSchema = z.strictObject({
  ...envelope,
  eventId: ulid,
  kind: z.literal('service'),
  technician: z.string().regex(/^[A-Za-z0-9._-]{1,32}$/),
  action: z.string().regex(/^[a-z][a-z0-9.-]{0,63}$/),
  args: z.array(z.string().max(128)).max(8),
  outcome: z.enum(['ok', 'refused', 'failed']),
  error: z.string().max(500).optional(),
});
export type ServiceEventPayload = z.infer<typeof serviceEventPayloadSchema>;
