import { ErrorCode, isKioskError } from '../../core/errors.js';
import {
  FLEET_PAYLOAD_VERSION,
  type FleetPublicKey,
  paymentAckSchema,
  type UnsignedPaymentAck,
  unsignedPaymentAckSchema,
  verifyPaymentAckSignature,
} from '../fleet-protocol/index.js';
import type { Journal, OutboxPayload } from '../journal/journal.js';
import type { Logger } from '../log.js';
import type { BrokerConnection } from './broker-session.js';
import type { RefusalTally } from './refusal-tally.js';

/** An ack whose ledger signature verified; the signature has done its work and is dropped. */
type PaymentAck = UnsignedPaymentAck;
/** Pending rows read at a time when the journal, not the window, must say what was published. */
const PUBLISHED_CHECK_PAGE = 1000;

/** An ack names at most 1000 payment ids (about 30 KB); anything far larger is not an ack. */
export const MAX_ACK_BYTES = 64 * 1024;
/**
 * Send attempts are bookkeeping for health, not money: they are written in one journal
 * transaction at most this often, so a fast drain does not pay a journal write per publish,
 * and one period late, for the payments still unacknowledged by then (so a drain, acknowledged
 * within milliseconds, rewrites no row for them).
 */
export const ATTEMPT_FLUSH_MS = 200;
/**
 * Acks the window can vouch for (see #confirmable) free their window slots at once and are
 * written to the journal together: when the window runs dry, when a window's worth waits, or
 * this long after the first. A journal write blocks the event loop (the rows it rewrites, and
 * a checkpoint now and then); one per ledger ack (a ledger commits every few ms) would have the
 * kiosk's own writes pace the drain.
 */
export const DELIVERY_WRITE_MS = 50;
const PAYMENT_PUBLISH = { qos: 1 } as const;

export type AckRejectReason =
  | 'oversized'
  | 'notJson'
  | 'schema'
  | 'unsigned'
  | 'badSignature'
  | 'wrongKiosk'
  | 'notPublished'
  | 'unknownSeq'
  | 'unknownPayment';

interface Refusal {
  reason: AckRejectReason;
  message: string;
}

function refusal(reason: AckRejectReason, message: string): Refusal {
  return { reason, message };
}

export interface PaymentOutboxSenderOptions {
  journal: Journal;
  kioskId: string;
  topic: string;
  /** Where outbox rows of cash collections go (`kiosk/v1/{id}/collection`); same window, seq and acks. */
  collectionTopic?: string;
  maxInFlight: number;
  resendAfterMs: number;
  /** The ledger keys whose signature an ack must carry. */
  ledgerKeys: readonly FleetPublicKey[];
  /** Where refused acks are counted and, once per reason per window, audited. */
  refusals: RefusalTally;
  logger: Logger;
  /** Monotonic milliseconds, for resend timing. */
  now?: () => number;
}

interface InFlight {
  /** The payment's id, or the collection's. */
  paymentId: string;
  topic: string;
  /** The payload text frozen at commit, sent as it is on every attempt. */
  payload: Buffer;
  sentAt: number;
}

/**
 * Why a row's frozen payload is not this kiosk's payment for that row, or undefined. The
 * journal wrote the payload itself at commit from records it had validated, so a full schema
 * check on every send buys nothing (the ledger validates what it receives anyway); what can
 * still go wrong is a row that is not what it claims (a journal copied from another kiosk, a
 * hand-edited row), and the envelope says that. paymentPayload() fixes the order of the
 * fields, so the envelope is a prefix of the text.
 */
export function frozenPayloadProblem(
  kioskId: string,
  row: Pick<OutboxPayload, 'seq' | 'paymentId' | 'payload'> & { kind?: OutboxPayload['kind'] },
): string | undefined {
  const kind = row.kind ?? 'payment';
  const envelope = `{"v":${FLEET_PAYLOAD_VERSION},"kioskId":${JSON.stringify(kioskId)},"ts":"`;
  if (!row.payload.startsWith(envelope))
    return `payload is not a v${FLEET_PAYLOAD_VERSION} ${kind} of ${kioskId}`;
  // A collection row's id is its collectionId (collectionPayload() fixes the same envelope).
  const idField = kind === 'collection' ? 'collectionId' : 'paymentId';
  const identity = `","${idField}":"${row.paymentId}","seq":${row.seq},"`;
  // The ts between them is an ISO 8601 UTC time: exactly 24 characters.
  if (row.payload.indexOf(identity, envelope.length) !== envelope.length + 24) {
    return `payload ${idField} or seq differ from the row's ${row.paymentId} / ${row.seq}`;
  }
  return undefined;
}

/** Several acks as one: the highest seq prefix and every named payment. */
function mergeAcks(acks: readonly PaymentAck[]): PaymentAck {
  const merged: PaymentAck = { ...acks[0]! };
  const ids = acks.flatMap((ack) => ack.paymentIds ?? []);
  const through = Math.max(0, ...acks.map((ack) => ack.ackThroughSeq ?? 0));
  merged.paymentIds = ids.length > 0 ? ids : undefined;
  merged.ackThroughSeq = through > 0 ? through : undefined;
  return merged;
}

/**
 * Publishes the journal's outbox, QoS 1 in `seq` order, at most `maxInFlight` unacknowledged
 * payments at a time, each resent every `resendAfterMs` until the ledger's application ack on
 * `payment/ack` marks it delivered in the journal. A PUBACK only says the broker has the
 * message (a broker acks messages nobody is subscribed to), so it changes nothing here.
 * Nothing is kept but the window: the journal is the store, and after a reconnect or a
 * restart every pending row is sent again from the lowest `seq`, so an outage of any length
 * loses and skips nothing; the ledger drops what it already has.
 */
export class PaymentOutboxSender {
  readonly #opts: PaymentOutboxSenderOptions;
  readonly #journal: Journal;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #window = new Map<number, InFlight>();
  /** Rows whose payload is not theirs, reported once per connection rather than every pump. */
  readonly #reportedInvalid = new Set<number>();
  #connection: BrokerConnection | undefined;
  /** Good acks waiting for the batch write (applied on the next turn of the event loop). */
  readonly #acks: Array<{ ack: PaymentAck; bytes: number }> = [];
  /** Sends since the last attempts flush, and those of the period before it (see #flushAttempts). */
  #unrecorded: number[] = [];
  #recordDue: number[] = [];
  /**
   * Payments the ledger acknowledged that the journal does not say yet: out of the window,
   * never resent, written by #writeDeliveries. The acks themselves wait in #deliveries.
   */
  readonly #unwritten = new Map<number, InFlight>();
  #deliveries: PaymentAck[] = [];
  #deliveryTimer: NodeJS.Timeout | undefined;
  #deliveryImmediate: NodeJS.Immediate | undefined;
  #lastFlush = Number.NEGATIVE_INFINITY;
  /** Highest seq taken into the window on this connection; pending rows above it are next. */
  #cursor = 0;

  constructor(options: PaymentOutboxSenderOptions) {
    this.#opts = options;
    this.#journal = options.journal;
    this.#log = options.logger;
    this.#now = options.now ?? (() => performance.now());
  }

  get inFlight(): number {
    return this.#window.size;
  }

  /** Starts sending on a new connection, from the oldest pending row. */
  attach(connection: BrokerConnection): void {
    this.#writeDeliveries();
    this.#connection = connection;
    this.#window.clear();
    this.#reportedInvalid.clear();
    this.#cursor = 0;
    this.pump();
  }

  detach(): void {
    this.#connection = undefined;
    this.#flushAttempts(this.#now(), true);
    this.#window.clear();
    this.#writeDeliveries();
  }

  /** Resends what is due and fills the window with the next pending rows. Cheap when idle. */
  pump(): void {
    const connection = this.#connection;
    if (connection === undefined) return;
    const now = this.#now();
    // The window iterates in seq order: rows enter it in seq order and a resend keeps its place.
    const sends: Array<[number, InFlight]> = [];
    for (const entry of this.#window)
      if (now - entry[1].sentAt >= this.#opts.resendAfterMs) sends.push(entry);
    // Acknowledged payments the journal could not take yet hold new ones back (bounded memory).
    const room =
      this.#unwritten.size >= this.#opts.maxInFlight ? 0 : this.#opts.maxInFlight - this.#window.size;
    try {
      if (room > 0) {
        for (const row of this.#journal.outbox.pendingPayloads({ afterSeq: this.#cursor, limit: room })) {
          this.#cursor = row.seq;
          const topic = row.kind === 'collection' ? this.#opts.collectionTopic : this.#opts.topic;
          const problem =
            topic === undefined
              ? 'a cash collection, and this sender has no collection topic'
              : frozenPayloadProblem(this.#opts.kioskId, row);
          if (problem !== undefined || topic === undefined) {
            this.#reportInvalid(row.seq, problem ?? 'no topic');
            continue;
          }
          const flight: InFlight = {
            paymentId: row.paymentId,
            topic,
            payload: Buffer.from(row.payload),
            sentAt: now,
          };
          this.#window.set(row.seq, flight);
          sends.push([row.seq, flight]);
        }
      }
    } catch (error) {
      this.#log.error({ err: error }, 'outbox read failed; payments wait for the next pump');
      return;
    }
    for (const [seq] of sends) this.#unrecorded.push(seq);
    if (now - this.#lastFlush >= ATTEMPT_FLUSH_MS) this.#flushAttempts(now);
    for (const [seq, flight] of sends) {
      flight.sentAt = now;
      connection.send(flight.topic, flight.payload, PAYMENT_PUBLISH, (error) => {
        this.#log.debug({ err: error, seq }, 'payment publish not taken by the broker; resent later');
      });
    }
  }

  /**
   * Takes a `payment/ack`. A bad one (unreadable, unsigned or not signed by a configured
   * ledger key, another kiosk's, covering a payment this kiosk has not published or one this
   * journal never made) is refused whole, counted for the audit, and changes nothing. Good ones that
   * arrive together (one TCP read holds many) are applied together (see DELIVERY_WRITE_MS), so
   * a ledger acking one payment at a time does not cost a journal write per payment.
   */
  handleAck(raw: Buffer): void {
    const read = this.#readAck(raw);
    if ('reason' in read) {
      this.#refused(read, raw.length);
      return;
    }
    this.#acks.push({ ack: read, bytes: raw.length });
    if (this.#acks.length === 1) setImmediate(() => this.#applyAcks());
  }

  #readAck(raw: Buffer): PaymentAck | Refusal {
    if (raw.length > MAX_ACK_BYTES)
      return refusal('oversized', `ack of ${raw.length} bytes exceeds ${MAX_ACK_BYTES}`);
    let json: unknown;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch (error) {
      return refusal('notJson', `ack is not JSON: ${(error as Error).message}`);
    }
    if (typeof json === 'object' && json !== null && !Array.isArray(json) && !Object.hasOwn(json, 'sig')) {
      if (unsignedPaymentAckSchema.safeParse(json).success)
        return refusal('unsigned', 'ack carries no ledger signature');
    }
    const parsed = paymentAckSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return refusal('schema', `ack ${issue?.path.join('.') || 'payload'}: ${issue?.message ?? 'invalid'}`);
    }
    const { sig, ...ack } = parsed.data;
    if (verifyPaymentAckSignature(parsed.data, this.#opts.ledgerKeys) === undefined) {
      return refusal('badSignature', 'ack signature does not verify with any configured ledger key');
    }
    if (ack.kioskId !== this.#opts.kioskId) {
      return refusal('wrongKiosk', `ack is for kiosk ${ack.kioskId}, this is ${this.#opts.kioskId}`);
    }
    return ack;
  }

  #applyAcks(): void {
    const batch = this.#acks.splice(0);
    if (batch.length === 0) return;
    if (batch.every(({ ack }) => this.#confirmable(ack))) {
      // What the window vouches for frees its slots now and reaches the journal shortly.
      for (const { ack } of batch) this.#confirm(ack);
    } else {
      // Anything else is checked by the journal, after what is already confirmed.
      this.#writeDeliveries();
      this.#applyNow(batch);
    }
    this.pump();
    this.#scheduleDeliveryWrite();
  }

  /**
   * True when the window alone shows the ack is sound, so the journal cannot refuse it: the
   * seq prefix goes no further than rows this connection has read from the journal and sent
   * (every one but a row whose payload is not its own), and every named payment is one in flight.
   */
  #confirmable(ack: PaymentAck): boolean {
    const through = ack.ackThroughSeq;
    if (through !== undefined) {
      if (through > this.#cursor) return false;
      for (const seq of this.#reportedInvalid) if (seq <= through) return false;
    }
    if (ack.paymentIds === undefined) return true;
    const inFlight = new Set<string>();
    for (const flight of this.#window.values()) inFlight.add(flight.paymentId);
    return ack.paymentIds.every((id) => inFlight.has(id));
  }

  #confirm(ack: PaymentAck): void {
    this.#deliveries.push(ack);
    this.#release(ack, this.#unwritten);
  }

  /** Takes the payments an ack names or covers out of the window (into `into`, when given). */
  #release(ack: PaymentAck, into?: Map<number, InFlight>): void {
    if (ack.paymentIds !== undefined) {
      const named = new Set(ack.paymentIds);
      for (const [seq, flight] of this.#window) {
        if (!named.has(flight.paymentId)) continue;
        this.#window.delete(seq);
        into?.set(seq, flight);
      }
    }
    if (ack.ackThroughSeq !== undefined) {
      for (const [seq, flight] of this.#window) {
        if (seq > ack.ackThroughSeq) break;
        this.#window.delete(seq);
        into?.set(seq, flight);
      }
    }
  }

  #scheduleDeliveryWrite(): void {
    if (this.#deliveries.length === 0) return;
    if (this.#window.size === 0 || this.#unwritten.size >= this.#opts.maxInFlight) {
      // After this turn: the publishes just made leave first (mqtt.js uncorks on the next tick).
      this.#deliveryImmediate ??= setImmediate(() => {
        this.#deliveryImmediate = undefined;
        this.#writeDeliveries();
        this.pump();
      });
      return;
    }
    this.#deliveryTimer ??= setTimeout(() => {
      this.#deliveryTimer = undefined;
      this.#writeDeliveries();
      this.pump();
    }, DELIVERY_WRITE_MS);
  }

  /**
   * Writes the confirmed acks in one journal write. If the journal fails, they stay for the
   * next try (the ledger has the payments; only the kiosk's record waits).
   */
  #writeDeliveries(): void {
    clearTimeout(this.#deliveryTimer);
    this.#deliveryTimer = undefined;
    if (this.#deliveryImmediate !== undefined) clearImmediate(this.#deliveryImmediate);
    this.#deliveryImmediate = undefined;
    if (this.#deliveries.length === 0) return;
    const acks = this.#deliveries;
    const merged = mergeAcks(acks);
    try {
      const outcome = this.#apply(merged, true);
      if ('reason' in outcome) {
        // Cannot happen for acks the window vouched for; if it does, let the journal judge each.
        this.#deliveries = [];
        this.#restoreUnwritten();
        this.#applyNow(acks.map((ack) => ({ ack, bytes: 0 })));
        return;
      }
    } catch (error) {
      this.#log.error(
        { err: error, payments: this.#unwritten.size },
        'payment acks not written; tried again later',
      );
      this.#scheduleDeliveryWrite();
      return;
    }
    this.#deliveries = [];
    this.#unwritten.clear();
  }

  /** Puts payments back in the window (in seq order), to be resent when due. */
  #restoreUnwritten(): void {
    const entries = [...this.#window, ...this.#unwritten].sort((a, b) => a[0] - b[0]);
    this.#unwritten.clear();
    this.#window.clear();
    for (const [seq, flight] of entries) this.#window.set(seq, flight);
  }

  /** Applies acks through the journal, which judges them: merged first, then one by one. */
  #applyNow(batch: Array<{ ack: PaymentAck; bytes: number }>): void {
    try {
      const outcome = batch.length === 1 ? undefined : this.#apply(mergeAcks(batch.map(({ ack }) => ack)));
      // One bad ack in a batch refuses the merged write; then each is applied on its own.
      if (outcome === undefined || 'reason' in outcome) {
        for (const { ack, bytes } of batch) {
          const single = this.#apply(ack);
          if ('reason' in single) this.#refused(single, bytes);
        }
      }
    } catch (error) {
      this.#log.error({ err: error }, 'payment acks not applied; the ledger acks again on the resend');
    }
  }

  /**
   * Applies one ack (or several merged) all-or-nothing, in one journal write. Unless the
   * window vouched for it, the journal is asked first whether every pending payment it covers
   * has been published: sent on this connection, or with `attempts` recorded from an earlier one.
   */
  #apply(ack: PaymentAck, vouched = false): { delivered: number } | Refusal {
    let delivered: number;
    try {
      const unpublished = vouched ? undefined : this.#unpublished(ack);
      if (unpublished !== undefined) return unpublished;
      delivered = this.#journal.outbox.markDelivered(
        ack.ackThroughSeq === undefined
          ? { paymentIds: ack.paymentIds ?? [] }
          : {
              throughSeq: ack.ackThroughSeq,
              ...(ack.paymentIds === undefined ? {} : { paymentIds: ack.paymentIds }),
            },
      );
    } catch (error) {
      if (isKioskError(error, ErrorCode.JournalBadInput)) return refusal('unknownSeq', error.message);
      if (isKioskError(error, ErrorCode.JournalNotFound)) return refusal('unknownPayment', error.message);
      throw error;
    }
    this.#release(ack);
    return { delivered };
  }

  /** Why the ack covers a payment this kiosk has not published, or undefined when it does not. */
  #unpublished(ack: PaymentAck): Refusal | undefined {
    const through = ack.ackThroughSeq ?? 0;
    const named = new Set(ack.paymentIds ?? []);
    let afterSeq = 0;
    for (;;) {
      const rows = this.#journal.outbox.pending({ afterSeq, limit: PUBLISHED_CHECK_PAGE });
      for (const row of rows) {
        if (row.seq > through && named.size === 0) return undefined;
        const covered = row.seq <= through || named.delete(row.paymentId);
        const sent = row.attempts > 0 || this.#window.has(row.seq) || this.#unwritten.has(row.seq);
        if (covered && !sent) {
          return refusal(
            'notPublished',
            `ack covers payment ${row.paymentId} (seq ${row.seq}), which this kiosk has not published yet`,
          );
        }
      }
      if (rows.length < PUBLISHED_CHECK_PAGE) return undefined;
      afterSeq = rows.at(-1)!.seq;
    }
  }

  #refused(refused: Refusal, bytes: number): void {
    if (this.#opts.refusals.record('ack', refused.reason, { bytes, message: refused.message }))
      this.#log.warn(refused, 'payment ack refused');
  }

  /**
   * Records the sends of the period before the last flush (all of them when `all`, as on a
   * detach) for the payments still in flight. Attempts describe pending payments: one the
   * ledger acknowledged within a period or two (in a drain, nearly all) costs no row rewrite.
   */
  #flushAttempts(now = this.#now(), all = false): void {
    this.#lastFlush = now;
    const due = all ? [...this.#recordDue, ...this.#unrecorded] : this.#recordDue;
    this.#recordDue = all ? [] : this.#unrecorded;
    this.#unrecorded = [];
    const seqs = due.filter((seq) => this.#window.has(seq));
    if (seqs.length === 0) return;
    try {
      this.#journal.outbox.recordSendAttempt(seqs);
    } catch (error) {
      this.#log.warn({ err: error, count: seqs.length }, 'send attempts not recorded');
    }
  }

  #reportInvalid(seq: number, problem: string): void {
    if (this.#reportedInvalid.has(seq)) return;
    this.#reportedInvalid.add(seq);
    this.#log.error({ seq, problem }, 'outbox row does not match the payment schema; not sent');
  }
}
