import { ErrorCode, isKioskError } from '../errors.js';
import { type PaymentAck, paymentAckSchema, paymentPayloadSchema } from '../fleet-protocol/index.js';
import type { Journal } from '../journal/journal.js';
import type { Logger } from '../log.js';
import type { BrokerConnection } from './broker-session.js';

/** An ack names at most 1000 payment ids (about 30 KB); anything far larger is not an ack. */
export const MAX_ACK_BYTES = 64 * 1024;
/**
 * Send attempts are bookkeeping for health, not money: they are written in one journal
 * transaction at most this often, so a fast drain does not pay a disk sync per publish.
 */
export const ATTEMPT_FLUSH_MS = 200;

export type AckRejectReason =
  | 'oversized'
  | 'notJson'
  | 'schema'
  | 'wrongKiosk'
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
  maxInFlight: number;
  resendAfterMs: number;
  logger: Logger;
  /** Monotonic milliseconds, for resend timing. */
  now?: () => number;
}

interface InFlight {
  paymentId: string;
  payload: string;
  sentAt: number;
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
  /** Rows that fail the wire schema, reported once per connection rather than every pump. */
  readonly #reportedInvalid = new Set<number>();
  #connection: BrokerConnection | undefined;
  /** Good acks waiting for the batch write (applied on the next turn of the event loop). */
  readonly #acks: Array<{ ack: PaymentAck; bytes: number }> = [];
  #unrecorded: number[] = [];
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
    this.#connection = connection;
    this.#window.clear();
    this.#reportedInvalid.clear();
    this.#cursor = 0;
    this.pump();
  }

  detach(): void {
    this.#connection = undefined;
    this.#window.clear();
    this.#flushAttempts();
  }

  /** Resends what is due and fills the window with the next pending rows. Cheap when idle. */
  pump(): void {
    const connection = this.#connection;
    if (connection === undefined) return;
    const now = this.#now();
    const due = [...this.#window].filter(([, f]) => now - f.sentAt >= this.#opts.resendAfterMs);
    const sends: Array<[number, InFlight]> = due.sort(([a], [b]) => a - b);
    const room = this.#opts.maxInFlight - this.#window.size;
    try {
      if (room > 0) {
        for (const entry of this.#journal.outboxPending({ afterSeq: this.#cursor, limit: room })) {
          this.#cursor = entry.seq;
          const checked = paymentPayloadSchema.safeParse(entry.payload);
          if (
            !checked.success ||
            entry.payload.kioskId !== this.#opts.kioskId ||
            entry.payload.seq !== entry.seq
          ) {
            this.#reportInvalid(
              entry.seq,
              checked.success ? 'kioskId or seq differ from the row' : checked.error.message,
            );
            continue;
          }
          const flight: InFlight = {
            paymentId: entry.paymentId,
            payload: JSON.stringify(entry.payload),
            sentAt: now,
          };
          this.#window.set(entry.seq, flight);
          sends.push([entry.seq, flight]);
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
      connection.publish(this.#opts.topic, flight.payload, { qos: 1 }).catch((error: unknown) => {
        this.#log.debug({ err: error, seq }, 'payment publish not taken by the broker; resent later');
      });
    }
  }

  /**
   * Takes a `payment/ack`. A bad one (unreadable, another kiosk's, naming a seq or payment
   * this journal never made) is refused whole, audited, and changes nothing. Good ones that
   * arrive together (one TCP read holds many) are applied in one journal write, since each
   * write is a disk sync and a ledger acking one payment at a time would otherwise set the pace.
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
    const parsed = paymentAckSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return refusal('schema', `ack ${issue?.path.join('.') || 'payload'}: ${issue?.message ?? 'invalid'}`);
    }
    if (parsed.data.kioskId !== this.#opts.kioskId) {
      return refusal('wrongKiosk', `ack is for kiosk ${parsed.data.kioskId}, this is ${this.#opts.kioskId}`);
    }
    return parsed.data;
  }

  #applyAcks(): void {
    const batch = this.#acks.splice(0);
    if (batch.length === 0) return;
    try {
      const merged: PaymentAck = { ...batch[0]!.ack };
      const ids = batch.flatMap(({ ack }) => ack.paymentIds ?? []);
      const through = Math.max(0, ...batch.map(({ ack }) => ack.ackThroughSeq ?? 0));
      merged.paymentIds = ids.length > 0 ? ids : undefined;
      merged.ackThroughSeq = through > 0 ? through : undefined;
      const outcome = batch.length === 1 ? undefined : this.#apply(merged);
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
    this.pump();
  }

  /** Applies one ack (or several merged) all-or-nothing. */
  #apply(ack: PaymentAck): { delivered: number } | Refusal {
    if (ack.ackThroughSeq !== undefined && ack.paymentIds !== undefined) {
      // Checked before anything is written, so an ack carrying both forms is all-or-nothing.
      const { lastSeq } = this.#journal.outboxStats();
      if (ack.ackThroughSeq > lastSeq) {
        return refusal(
          'unknownSeq',
          `ackThroughSeq ${ack.ackThroughSeq} is beyond the last payment seq ${lastSeq}`,
        );
      }
    }
    let delivered = 0;
    if (ack.paymentIds !== undefined) {
      try {
        delivered += this.#journal.markDelivered({ paymentIds: ack.paymentIds });
      } catch (error) {
        if (isKioskError(error, ErrorCode.JournalNotFound)) return refusal('unknownPayment', error.message);
        throw error;
      }
      const named = new Set(ack.paymentIds);
      for (const [seq, flight] of this.#window) if (named.has(flight.paymentId)) this.#window.delete(seq);
    }
    if (ack.ackThroughSeq !== undefined) {
      try {
        delivered += this.#journal.markDelivered({ throughSeq: ack.ackThroughSeq });
      } catch (error) {
        if (isKioskError(error, ErrorCode.JournalBadInput)) return refusal('unknownSeq', error.message);
        throw error;
      }
      for (const seq of this.#window.keys()) if (seq <= ack.ackThroughSeq) this.#window.delete(seq);
    }
    return { delivered };
  }

  #refused(refused: Refusal, bytes: number): void {
    this.#log.warn(refused, 'payment ack refused');
    try {
      this.#journal.audit('fleet', 'ack.rejected', { ...refused, bytes });
    } catch (error) {
      this.#log.error({ err: error }, 'cannot audit a refused payment ack');
    }
  }

  #flushAttempts(now = this.#now()): void {
    this.#lastFlush = now;
    if (this.#unrecorded.length === 0) return;
    const seqs = this.#unrecorded;
    this.#unrecorded = [];
    try {
      this.#journal.recordSendAttempt(seqs);
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
