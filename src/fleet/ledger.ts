import type { KeyObject } from 'node:crypto';
import type { Writable } from 'node:stream';
import type { IConnackPacket, MqttClient } from 'mqtt';
import {
  collectionPayloadSchema,
  DEFAULT_TOPIC_PREFIX,
  FLEET_PAYLOAD_VERSION,
  fleetWildcard,
  kioskTopics,
  parseKioskTopic,
  paymentPayloadSchema,
  quickPaymentPayload,
  type ServiceEventPayload,
  serviceEventPayloadSchema,
  sharedSubscription,
  signPaymentAck,
  type UnsignedPaymentAck,
  unsignedPaymentAckSchema,
} from '../fleet-protocol/index.js';
import type { Logger } from '../log.js';
import {
  connectError,
  connectFleetClient,
  disableNagle,
  type FleetBrokerSettings,
  fleetClientOptions,
  isPermanentRefusal,
} from './broker-connection.js';
import { CreditForwarder, type CreditSink } from './credit-forwarding.js';
import {
  type BatchOutcome,
  type IncomingCollection,
  type IncomingPayment,
  type IncomingRecord,
  LedgerStore,
  recordKey,
  type SeqGap,
  type StoredCollection,
  type StoredPayment,
  type StoredServiceEvent,
} from './ledger-store.js';
import { brokerHonoursSharedSubscriptions } from './shared-subscription-probe.js';

/**
 * The reference fleet ledger: receives every kiosk's payments, stores each once, and only
 * then tells the kiosk it may forget it (`payment/ack`). Kiosks resend until acknowledged, so
 * the ledger keeps no broker session and retries nothing itself: a payment it failed to store
 * is simply not acknowledged and comes again.
 *
 * Payments are committed in batches, one durable transaction each, then acknowledged per
 * kiosk in one message: one fsync per batch is what lets one ledger keep up with thousands of
 * kiosks. By default a batch is everything that arrived while the previous one was being
 * committed (group commit): the commit blocks the event loop, the socket fills meanwhile, and
 * the next turn reads it all, so a burst makes big batches and a lone payment waits for nobody.
 * The ack names the seq prefix the ledger holds without a hole (`ackThroughSeq`) and only the
 * payments beyond it by id, so a kiosk draining in order gets acks of a few dozen bytes.
 * Each ack message is signed with the ledger's key (one signature per message, not per
 * payment), so that a kiosk can tell it from one anybody on the broker could publish.
 */
export interface FleetLedgerOptions {
  broker: FleetBrokerSettings;
  dbPath: string;
  /**
   * The Ed25519 private key every ack message is signed with; kiosks list its public half
   * under `fleet.ledger.publicKeys` and refuse acks without it.
   */
  ackKey: KeyObject;
  /** Shared-subscription group; ledger instances in one group split the payments between them. */
  group?: string;
  topicPrefix?: string;
  /**
   * How long the first payment of a batch waits for others before the batch is committed;
   * 0 (the default): until the payments already read from the socket are in (group commit).
   */
  batchDelayMs?: number;
  batchMaxSize?: number;
  /** How often gaps are looked for; one still open at the next look is logged. */
  gapCheckIntervalMs?: number;
  /**
   * false: subscribe plainly without asking the broker, for a broker known to lack shared
   * subscriptions where this is the only ledger (the embedded demo broker).
   */
  sharedSubscription?: boolean;
  /** How long the shared-subscription probe waits for its message to come round. */
  probeTimeoutMs?: number;
  reconnectPeriodMs?: number;
  /**
   * The account service each newly stored payment is credited to, once (see
   * credit-forwarding.ts): in-process beside the embedded ledger, or over HTTP.
   */
  creditSink?: CreditSink;
  logger: Logger;
  clock?: () => Date;
}

export interface FleetLedgerStats {
  /** Messages on a payment topic, valid or not. */
  received: number;
  /** Payments newly written to the database by this instance. */
  stored: number;
  /** Payments this instance received that the database already held (resends); acknowledged again. */
  duplicates: number;
  /** Payloads that failed validation: logged, never stored, never acknowledged. */
  invalid: number;
  /** Payment ids acknowledged (stored + duplicates once committed). */
  acked: number;
  ackMessages: number;
  /** Payments in batches whose commit failed; not acknowledged, so their kiosks resend them. */
  storeFailures: number;
  /** A seq stored under two payment ids of one kiosk (a kiosk-side fault). */
  seqConflicts: number;
  /** Holes in some kiosk's seqs right now, read from the database. */
  gaps: number;
  /** Waiting for the current batch to commit. */
  pending: number;
}

/** What one kiosk is told after a sync: its contiguous prefix and the payments beyond it. */
interface KioskAck {
  through: number;
  /** Payment id → seq, of those beyond `through`. */
  ids: Map<string, number>;
  /** Payments this covers, for the `acked` counter. */
  payments: number;
}

export interface LedgerSubscription {
  topic: string;
  shared: boolean;
}

/** Payment payloads are a few hundred bytes; anything this big is not one. */
const MAX_PAYMENT_BYTES = 64 * 1024;
const MAX_IDS_PER_ACK = 1000;
const STOP_GRACE_MS = 2000;

function describeIssues(error: {
  issues: readonly { path: readonly PropertyKey[]; message: string }[];
}): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.map(String).join('.') || '(payload)'}: ${i.message}`)
    .join('; ');
}

/** A message's JSON and its text, or why it is none: bounded before it is parsed. */
function readJson(payload: Buffer): { json: unknown; raw: string } | string {
  if (payload.length > MAX_PAYMENT_BYTES) return `payload of ${payload.length} bytes is too big`;
  const raw = payload.toString('utf8');
  try {
    return { json: JSON.parse(raw), raw };
  } catch {
    return 'not JSON';
  }
}

function wrongKiosk(payloadKioskId: string, topicKioskId: string): string | undefined {
  return payloadKioskId === topicKioskId
    ? undefined
    : `payload kioskId "${payloadKioskId}" is not the topic's "${topicKioskId}"`;
}

/** The payment a message carries, or why it is not one. */
function readPayment(topicKioskId: string, payload: Buffer): IncomingPayment | string {
  const read = readJson(payload);
  if (typeof read === 'string') return read;
  // The plain shape every kiosk writes is recognised cheaply; anything else goes to the
  // schema, which decides and names what is wrong.
  let payment = quickPaymentPayload(read.json);
  if (payment === undefined) {
    const result = paymentPayloadSchema.safeParse(read.json);
    if (!result.success) return describeIssues(result.error);
    payment = result.data;
  }
  return wrongKiosk(payment.kioskId, topicKioskId) ?? { payment, raw: read.raw };
}

/** The cash collection a message carries, or why it is not one (bounded like a payment). */
function readCollection(topicKioskId: string, payload: Buffer): IncomingCollection | string {
  const read = readJson(payload);
  if (typeof read === 'string') return read;
  const result = collectionPayloadSchema.safeParse(read.json);
  if (!result.success) return describeIssues(result.error);
  return wrongKiosk(result.data.kioskId, topicKioskId) ?? { collection: result.data, raw: read.raw };
}

/** The service event a message carries, or why it is not one (bounded like a payment). */
function readServiceEvent(
  topicKioskId: string,
  payload: Buffer,
): { event: ServiceEventPayload; raw: string } | string {
  const read = readJson(payload);
  if (typeof read === 'string') return read;
  const result = serviceEventPayloadSchema.safeParse(read.json);
  if (!result.success) return describeIssues(result.error);
  return wrongKiosk(result.data.kioskId, topicKioskId) ?? { event: result.data, raw: read.raw };
}

export class FleetLedger {
  readonly store: LedgerStore;
  private readonly client: MqttClient;
  private readonly logger: Logger;
  private readonly clock: () => Date;
  private readonly group: string;
  private readonly prefix: string;
  private readonly batchDelayMs: number;
  private readonly batchMaxSize: number;
  private readonly probeTimeoutMs: number;
  private readonly wantShared: boolean;
  private readonly paymentTopic: string;
  /** Cash collections: the same seq space as payments, stored beside them, acknowledged the same way. */
  private readonly collectionTopic: string;
  /** Technicians' service events: stored for the operators to read, never acknowledged (not money). */
  private readonly eventTopic: string;
  private readonly url: string;
  private readonly ackKey: KeyObject;
  private readonly forwarder: CreditForwarder | undefined;
  private pending: IncomingRecord[] = [];
  /** Committed batches whose acks wait for the WAL sync; see syncCommitted(). */
  private awaitingSync: Array<{ payments: number; acks: Map<string, KioskAck> }> = [];
  private syncing: Promise<void> | undefined;
  /** The socket corked while a read's PUBACKs gather; see holdPubacks(). */
  private heldStream: Writable | undefined;
  private cancelBatch: (() => void) | undefined;
  private readonly gapTimer: NodeJS.Timeout;
  private lastGapKeys = new Set<string>();
  private readonly reportedGaps = new Set<string>();
  private subscriptionChoice: LedgerSubscription | undefined;
  private deciding = false;
  private stopped = false;
  private gapsAtStop: number | undefined;
  private readonly subscribedOnce: Promise<void>;
  private markSubscribed!: () => void;
  private failFirstConnect!: (error: unknown) => void;
  private readonly counters = {
    received: 0,
    stored: 0,
    duplicates: 0,
    invalid: 0,
    acked: 0,
    ackMessages: 0,
    storeFailures: 0,
    seqConflicts: 0,
  };

  private constructor(options: FleetLedgerOptions, store: LedgerStore) {
    this.store = store;
    this.logger = options.logger.child({ component: 'fleet-ledger' });
    this.clock = options.clock ?? (() => new Date());
    this.group = options.group ?? 'ledger';
    this.prefix = options.topicPrefix ?? DEFAULT_TOPIC_PREFIX;
    this.batchDelayMs = options.batchDelayMs ?? 0;
    this.batchMaxSize = options.batchMaxSize ?? 500;
    this.probeTimeoutMs = options.probeTimeoutMs ?? 1000;
    this.wantShared = options.sharedSubscription ?? true;
    this.paymentTopic = fleetWildcard('payment', this.prefix);
    this.collectionTopic = fleetWildcard('collection', this.prefix);
    this.eventTopic = fleetWildcard('event', this.prefix);
    this.url = options.broker.url;
    this.ackKey = options.ackKey;
    this.subscribedOnce = new Promise<void>((resolve, reject) => {
      this.markSubscribed = resolve;
      this.failFirstConnect = reject;
    });
    // Nobody may be awaiting yet; a permanent refusal is also logged and kept for whenSubscribed().
    this.subscribedOnce.catch(() => undefined);
    this.client = connectFleetClient(
      options.broker,
      fleetClientOptions(options.broker, 'ledger', {
        reconnectPeriodMs: options.reconnectPeriodMs ?? 1000,
        connectTimeoutMs: 10_000,
      }),
    );
    this.client.on('connect', (connack) => this.onConnect(connack));
    this.client.on('message', (topic, payload) => this.onMessage(topic, payload));
    this.client.on('error', (error) => {
      if (isPermanentRefusal(error)) {
        const refusal = connectError(options.broker, error);
        this.logger.error({ err: refusal.message }, 'broker refused the ledger; not retrying');
        this.failFirstConnect(refusal);
        this.client.end(true);
        return;
      }
      this.logger.warn({ err: error.message }, 'broker connection error');
    });
    this.client.on('offline', () =>
      this.logger.warn({ url: options.broker.url }, 'broker unreachable; retrying'),
    );
    this.gapTimer = setInterval(() => this.checkGaps(), options.gapCheckIntervalMs ?? 10_000);
    this.gapTimer.unref();
    this.forwarder =
      options.creditSink === undefined
        ? undefined
        : new CreditForwarder({ dbPath: store.path, sink: options.creditSink, logger: options.logger });
  }

  /** Opens the database and starts connecting; see whenSubscribed() for when payments flow. */
  static start(options: FleetLedgerOptions): FleetLedger {
    const store = LedgerStore.open(options.dbPath);
    try {
      return new FleetLedger(options, store);
    } catch (error) {
      store.close();
      throw error;
    }
  }

  /**
   * Resolves once the payment subscription is in place (the first time). Rejects with
   * FleetConnect when the broker refuses the ledger for good (protocol, credentials, ACL).
   */
  whenSubscribed(): Promise<void> {
    return this.subscribedOnce;
  }

  get subscription(): LedgerSubscription | undefined {
    return this.subscriptionChoice;
  }

  private onConnect(connack: IConnackPacket): void {
    disableNagle(this.client);
    this.logger.info({ url: this.url }, 'connected to the broker');
    // After the first choice mqtt.js resubscribes by itself on every reconnect.
    if (this.subscriptionChoice !== undefined || this.deciding) return;
    this.deciding = true;
    this.subscribe(connack)
      .catch((error: unknown) => {
        this.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'subscribe failed');
      })
      .finally(() => {
        this.deciding = false;
      });
  }

  private async subscribe(connack: IConnackPacket): Promise<void> {
    const shared =
      this.wantShared &&
      (await brokerHonoursSharedSubscriptions(this.client, connack, {
        group: this.group,
        topicPrefix: this.prefix,
        timeoutMs: this.probeTimeoutMs,
      }));
    // A probe cut short by a dropped connection proves nothing; the next connect asks again.
    if (!this.client.connected || this.stopped) return;
    const topic = shared ? sharedSubscription(this.group, this.paymentTopic) : this.paymentTopic;
    const collections = shared ? sharedSubscription(this.group, this.collectionTopic) : this.collectionTopic;
    const events = shared ? sharedSubscription(this.group, this.eventTopic) : this.eventTopic;
    const granted = await this.client.subscribeAsync([topic, collections, events], { qos: 1 });
    if (granted.some((g) => g.qos >= 128)) {
      throw new Error(
        `the broker refused the subscription ${topic}, ${collections} or ${events} (check the fleet identity's ACL)`,
      );
    }
    this.subscriptionChoice = { topic, shared };
    if (shared) {
      this.logger.info({ topic, group: this.group }, 'subscribed to payments (shared subscription)');
    } else if (!this.wantShared) {
      this.logger.info({ topic }, 'subscribed to payments (the only ledger on this broker)');
    } else {
      this.logger.warn(
        { topic },
        'the broker does not honour shared subscriptions ($share/...): subscribed plainly, so every ledger instance on this broker receives every payment; run one instance here, or use a broker that has them (Mosquitto, EMQX, VerneMQ, HiveMQ)',
      );
    }
    this.markSubscribed();
  }

  private onMessage(topic: string, payload: Buffer): void {
    const parsed = parseKioskTopic(topic, this.prefix);
    if (parsed?.kind === 'event') {
      this.onServiceEvent(topic, parsed.kioskId, payload);
      return;
    }
    if (parsed?.kind !== 'payment' && parsed?.kind !== 'collection') return;
    this.holdPubacks();
    this.counters.received++;
    const checked =
      parsed.kind === 'payment'
        ? readPayment(parsed.kioskId, payload)
        : readCollection(parsed.kioskId, payload);
    if (typeof checked === 'string') {
      this.counters.invalid++;
      this.logger.warn(
        { topic, kioskId: parsed.kioskId, reason: checked },
        `invalid ${parsed.kind} payload: not stored, not acknowledged`,
      );
      return;
    }
    if ('collection' in checked && checked.collection.discrepancy) {
      // The kiosk raises collectionDiscrepancy on its alert topic; the ledger's log says it too.
      const c = checked.collection;
      this.logger.warn(
        {
          kioskId: c.kioskId,
          collectionId: c.collectionId,
          difference: c.difference,
          technician: c.technician,
        },
        'cash collection with a discrepancy',
      );
    }
    this.pending.push(checked);
    if (this.pending.length >= this.batchMaxSize) this.flush();
    else this.cancelBatch ??= this.scheduleFlush();
  }

  /**
   * A technician's action on a kiosk: validated and stored at once (no batch: nothing waits on
   * its sync, and it is never acknowledged beyond the PUBACK). A bad one is logged and dropped.
   */
  private onServiceEvent(topic: string, kioskId: string, payload: Buffer): void {
    const checked = readServiceEvent(kioskId, payload);
    if (typeof checked === 'string') {
      this.logger.warn({ topic, kioskId, reason: checked }, 'invalid service event payload: dropped');
      return;
    }
    try {
      this.store.storeEvent(checked.event, checked.raw, this.clock().toISOString());
    } catch (error) {
      this.logger.error(
        {
          err: error instanceof Error ? error.message : String(error),
          kioskId,
          eventId: checked.event.eventId,
        },
        'service event not stored',
      );
    }
  }

  /**
   * mqtt.js writes the PUBACK of each payment on its own (its writer corks a packet and
   * uncorks on the next tick, and each incoming packet is handled on a tick of its own): a
   * socket write and a TLS record per payment, on this side and the broker's. Held from the
   * first payment of a read until the immediate after it, the PUBACKs of everything that read
   * brought leave in one write, in the order mqtt.js wrote them, before the batch's commit
   * (so the broker can send more while the disk syncs).
   */
  private holdPubacks(): void {
    if (this.heldStream !== undefined) return;
    const stream = this.client.stream as Writable | undefined;
    if (stream?.cork === undefined || stream.destroyed) return;
    stream.cork();
    this.heldStream = stream;
    setImmediate(() => this.releasePubacks());
  }

  private releasePubacks(): void {
    const stream = this.heldStream;
    this.heldStream = undefined;
    stream?.uncork();
  }

  private scheduleFlush(): () => void {
    if (this.batchDelayMs > 0) {
      const timer = setTimeout(() => this.flush(), this.batchDelayMs);
      return () => clearTimeout(timer);
    }
    // An immediate runs after the poll phase has handed every message of this read to onMessage.
    const immediate = setImmediate(() => this.flush());
    return () => clearImmediate(immediate);
  }

  /**
   * Commits what has been gathered; its acks leave once the commit is synced to disk. Nothing
   * is acknowledged unless committed and synced.
   */
  private flush(): void {
    this.cancelBatch?.();
    this.cancelBatch = undefined;
    // Group commit across the sync: while one is in flight, payments gather (up to a full
    // batch) and are committed when it ends, so one sync's wait makes the next batch.
    if (this.syncing !== undefined && this.pending.length < this.batchMaxSize && !this.stopped) return;
    const items = this.pending;
    if (items.length === 0) return;
    this.pending = [];
    let outcome: BatchOutcome;
    try {
      outcome = this.store.storeBatch(items, this.clock().toISOString());
    } catch (error) {
      this.counters.storeFailures += items.length;
      this.logger.error(
        { err: error instanceof Error ? error.message : String(error), payments: items.length },
        'storing a batch failed: nothing acknowledged, the kiosks will resend',
      );
      return;
    }
    this.counters.stored += outcome.stored;
    this.counters.duplicates += outcome.duplicates;
    // A seq stored under two payment ids means this kiosk's seqs and the ledger's disagree (a
    // journal replaced or copied): a seq prefix then says nothing about the kiosk's own
    // payments, so such a batch names every one.
    const through = new Map<string, number>();
    for (const [kioskId, kiosk] of outcome.byKiosk) {
      if (kiosk.seqConflicts.length > 0) {
        this.counters.seqConflicts += kiosk.seqConflicts.length;
        this.logger.error(
          { kioskId, seqs: kiosk.seqConflicts },
          'a seq arrived under a second payment id: both stored; the kiosk journal needs a look',
        );
      }
      through.set(kioskId, kiosk.seqConflicts.length > 0 ? 0 : kiosk.contiguousThrough);
    }
    const beyond = new Map<string, Map<string, number>>();
    for (const item of items) {
      const { kioskId, id, seq } = recordKey(item);
      if (seq <= (through.get(kioskId) ?? 0)) continue;
      const ids = beyond.get(kioskId) ?? new Map<string, number>();
      beyond.set(kioskId, ids.set(id, seq));
    }
    const acks = new Map<string, KioskAck>();
    for (const [kioskId, kiosk] of outcome.byKiosk) {
      acks.set(kioskId, {
        through: through.get(kioskId) ?? 0,
        ids: beyond.get(kioskId) ?? new Map(),
        payments: new Set([...kiosk.stored, ...kiosk.duplicates]).size,
      });
    }
    this.awaitingSync.push({ payments: items.length, acks });
    this.syncCommitted();
  }

  /**
   * Acknowledges committed batches once the disk has them. One WAL sync at a time, on the
   * thread pool: it covers every batch committed before it started, and batches committed
   * while it runs wait for the next one (so under load one sync serves many batches, and the
   * event loop keeps taking payments meanwhile). A failed sync acknowledges nothing it was to
   * cover: those kiosks resend, and the resends are acknowledged after a good sync.
   */
  private syncCommitted(): void {
    if (this.syncing !== undefined || this.awaitingSync.length === 0) return;
    const batches = this.awaitingSync.splice(0);
    this.syncing = this.store
      .syncCommitted()
      .then(
        () => {
          this.acknowledgeSynced(batches.map((batch) => batch.acks));
          // Only what the disk holds is credited.
          this.forwarder?.wake();
        },
        (error: unknown) => {
          const payments = batches.reduce((n, b) => n + b.payments, 0);
          this.counters.storeFailures += payments;
          this.logger.error(
            { err: error instanceof Error ? error.message : String(error), payments },
            'syncing committed payments failed: nothing acknowledged, the kiosks will resend',
          );
        },
      )
      .finally(() => {
        this.syncing = undefined;
        this.flush();
        this.syncCommitted();
      });
  }

  /** Waits until every committed batch is synced and acknowledged (or its sync failed). */
  private async settleSyncs(): Promise<void> {
    while (this.syncing !== undefined) await this.syncing;
  }

  /**
   * Acknowledges every batch one sync covered with one ack per kiosk, not one per kiosk and
   * batch: each ack message costs a signature, so under load (several batches per sync) this
   * is what keeps signing a small part of the ledger's work.
   */
  private acknowledgeSynced(batches: ReadonlyArray<Map<string, KioskAck>>): void {
    const merged = new Map<string, KioskAck>();
    for (const acks of batches) {
      for (const [kioskId, ack] of acks) {
        const into = merged.get(kioskId);
        if (into === undefined) {
          merged.set(kioskId, { through: ack.through, ids: new Map(ack.ids), payments: ack.payments });
          continue;
        }
        into.through = Math.max(into.through, ack.through);
        for (const [id, seq] of ack.ids) into.ids.set(id, seq);
        into.payments += ack.payments;
      }
    }
    for (const [kioskId, ack] of merged) {
      this.counters.acked += ack.payments;
      // A later batch's prefix may cover payments an earlier one named.
      const ids = [...ack.ids].filter(([, seq]) => seq > ack.through).map(([id]) => id);
      this.acknowledge(kioskId, ids, ack.through);
    }
  }

  /**
   * Publishes the acks of one kiosk's part of what a sync covered: the seq prefix, and the ids
   * it does not cover (at most MAX_IDS_PER_ACK per message, each message with the prefix),
   * each message signed with the ledger's key.
   */
  private acknowledge(kioskId: string, paymentIds: readonly string[], contiguousThrough: number): void {
    const topic = kioskTopics(kioskId, this.prefix).paymentAck;
    const ts = this.clock().toISOString();
    for (let i = 0; i === 0 || i < paymentIds.length; i += MAX_IDS_PER_ACK) {
      const ids = paymentIds.slice(i, i + MAX_IDS_PER_ACK);
      const ack: UnsignedPaymentAck = {
        v: FLEET_PAYLOAD_VERSION,
        kioskId,
        ts,
        ...(contiguousThrough > 0 ? { ackThroughSeq: contiguousThrough } : {}),
        ...(ids.length > 0 ? { paymentIds: ids } : {}),
      };
      const signed = signPaymentAck(unsignedPaymentAckSchema.parse(ack), this.ackKey);
      this.client.publish(topic, JSON.stringify(signed), { qos: 1 }, (error) => {
        if (error)
          this.logger.warn({ kioskId, err: error.message }, 'ack not delivered; the kiosk will resend');
      });
      this.counters.ackMessages++;
    }
  }

  /**
   * Looks for holes in every kiosk's seqs. A hole is normal for a moment (payments of one
   * kiosk are in flight together and instances share the load); one still there at the next
   * look is logged once.
   */
  checkGaps(): SeqGap[] {
    let gaps: SeqGap[];
    try {
      gaps = this.store.gaps();
    } catch (error) {
      this.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'gap check failed');
      return [];
    }
    const keys = new Set(gaps.map((g) => `${g.kioskId}:${g.fromSeq}-${g.toSeq}`));
    for (const gap of gaps) {
      const key = `${gap.kioskId}:${gap.fromSeq}-${gap.toSeq}`;
      if (this.lastGapKeys.has(key) && !this.reportedGaps.has(key)) {
        this.reportedGaps.add(key);
        this.logger.warn(
          gap,
          'seq gap: payments missing between stored ones (the kiosk has not sent them yet)',
        );
      }
    }
    for (const key of this.reportedGaps) if (!keys.has(key)) this.reportedGaps.delete(key);
    this.lastGapKeys = keys;
    return gaps;
  }

  gaps(kioskId?: string): SeqGap[] {
    return this.store.gaps(kioskId);
  }

  payments(kioskId: string): StoredPayment[] {
    return this.store.payments(kioskId);
  }

  /** Service events newest first (at most `limit`, default 1000): one kiosk's or every kiosk's. */
  events(options: { kioskId?: string; limit?: number } = {}): StoredServiceEvent[] {
    return this.store.events(options);
  }

  collections(kioskId?: string): StoredCollection[] {
    return this.store.collections(kioskId === undefined ? {} : { kioskId });
  }

  /** Also after stop(), with the gaps as they were when the database closed. */
  stats(): FleetLedgerStats {
    const gaps = this.gapsAtStop ?? this.store.gaps().length;
    return { ...this.counters, gaps, pending: this.pending.length };
  }

  /** Commits, syncs and acknowledges what is pending, disconnects, closes the database. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.gapTimer);
    this.flush();
    // The last syncs get the same grace as the disconnect; unacknowledged ones are resent.
    let syncTimer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.settleSyncs(),
      new Promise<void>((resolve) => {
        syncTimer = setTimeout(resolve, STOP_GRACE_MS);
      }),
    ]);
    clearTimeout(syncTimer);
    // Give the last acks a moment to leave; unsent ones only mean the kiosks resend.
    let timer: NodeJS.Timeout | undefined;
    const graceful = this.client.endAsync(false).catch((error: unknown) => {
      this.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'disconnect failed');
    });
    const deadline = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), STOP_GRACE_MS);
    });
    if ((await Promise.race([graceful, deadline])) === 'late') await this.client.endAsync(true);
    clearTimeout(timer);
    await this.forwarder?.stop();
    this.gapsAtStop = this.store.gaps().length;
    this.store.close();
  }
}
