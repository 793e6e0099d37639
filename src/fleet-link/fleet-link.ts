import { EventEmitter } from 'node:events';
import type { IClientOptions } from 'mqtt';
import type { z } from 'zod';
import { ErrorCode, KioskError } from '../../core/errors.js';
import type { ErrorAction } from '../../devices/device-status.js';
import {
  type AlertPayload,
  alertPayloadSchema,
  alertSetPayloadSchema,
  type CommandResult,
  commandResultSchema,
  FLEET_PAYLOAD_VERSION,
  fleetMqttTuning,
  healthPayloadSchema,
  type KioskTopics,
  kioskTopics,
  type ServiceEventPayload,
  serviceEventPayloadSchema,
  statusPayloadSchema,
} from '../fleet-protocol/index.js';
import type { Journal } from '../journal/journal.js';
import { createUlidFactory, type UlidFactory } from '../journal/ulid.js';
import type { Logger } from '../log.js';
import { type BrokerConnection, BrokerSession } from './broker-session.js';
import { ConnectionEpochStore } from './connection-epoch-store.js';
import { DeviceAlertTracker } from './device-alerts.js';
import { FleetCommands } from './fleet-commands.js';
import {
  clientIdOf,
  type FleetLinkConfig,
  ledgerKeysOf,
  readConfiguredKeys,
  readTlsMaterial,
  resolveBrokerUrl,
} from './fleet-link-config.js';
import type { CommandHandlers, CommandOutput, FleetLinkContext } from './fleet-link-context.js';
import { OpenAlertSet } from './open-alert-set.js';
import { orphanCreditAlert } from './orphan-alerts.js';
import { PaymentOutboxSender } from './payment-outbox-sender.js';
import { RefusalTally } from './refusal-tally.js';
import { ReliablePublishQueue } from './reliable-publish-queue.js';
import { healthPayload, statusPayload } from './report-payloads.js';

/** How often the outbox is looked at while idle, so a new payment leaves within this. */
export const OUTBOX_POLL_MS = 200;
/** A burst of device status changes becomes one health message. */
export const HEALTH_DEBOUNCE_MS = 100;
/** Alerts and command results waiting for a broker; beyond this the oldest go (logged). */
const PUBLISH_QUEUE_LIMIT = 1000;
/** How long stop() waits for the broker to take the `offline` status. */
const FAREWELL_TIMEOUT_MS = 2_000;
const KEEPALIVE_S = 30;
const CONNECT_TIMEOUT_MS = 10_000;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface FleetLinkOptions {
  config: FleetLinkConfig;
  journal: Journal;
  context: FleetLinkContext;
  commands: CommandHandlers;
  logger: Logger;
  /** Wall clock for payload timestamps and command freshness. */
  clock?: () => Date;
  /** Random source of the reconnect jitter, in [0, 1). */
  random?: () => number;
}

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/** An alert from outside the link; DESIGN.md's `alert` topic fields, with an optional id. */
export interface ExternalAlert {
  alertId?: string;
  device: string;
  kind: string;
  action: ErrorAction;
  cleared?: boolean;
  message?: string;
  details?: Record<string, unknown>;
}

/** Open alerts raised elsewhere in the kiosk under a non-ULID id (recovery raises a few). */
const MAX_STAND_IN_IDS = 1_000;

export interface FleetLinkEvents {
  connected: [epoch: number];
  disconnected: [];
  /** A command was answered (result published or queued for the next connection). */
  command: [CommandResult];
}

/**
 * The kiosk's link to the fleet over MQTT (DESIGN.md "Fleet link over MQTT"): retained
 * `status` with a per-connection epoch and a matching Last Will, periodic and on-change
 * `health`, `alert`s for device faults and orphan credits, payments from the journal's outbox
 * until the ledger's application ack, and signed commands answered on `cmd/result`.
 * Nothing it receives can throw into the daemon: every bad payload is refused, audited where
 * the contract says so, and the link goes on.
 */
export class FleetLink extends EventEmitter<FleetLinkEvents> {
  readonly topics: KioskTopics;
  readonly #config: FleetLinkConfig;
  readonly #journal: Journal;
  readonly #context: FleetLinkContext;
  readonly #commands: FleetCommands;
  readonly #log: Logger;
  readonly #clock: () => Date;
  readonly #url: string;
  readonly #refusals: RefusalTally;
  readonly #session: BrokerSession;
  readonly #outbox: PaymentOutboxSender;
  readonly #queue: ReliablePublishQueue;
  readonly #alerts: DeviceAlertTracker;
  readonly #openAlerts = new OpenAlertSet();
  readonly #newId: UlidFactory;
  /** The ULID standing in for each open non-ULID alert id, so its clear carries the same one. */
  readonly #standInIds = new Map<string, string>();
  readonly #timers: NodeJS.Timeout[] = [];
  #healthDebounce: NodeJS.Timeout | undefined;
  #unsubscribeContext: (() => void) | undefined;
  #publishedMode: string | undefined;
  /** The seq of the payment the last health carried; a newer one makes health go out again. */
  #reportedPaymentSeq: number | null | undefined;
  #alertSetDue = false;
  #started = false;
  #stopped = false;

  constructor(options: FleetLinkOptions) {
    super();
    const { config } = options;
    this.#config = config;
    this.#journal = options.journal;
    this.#context = options.context;
    this.#log = options.logger.child({ component: 'fleet-link' });
    this.#clock = options.clock ?? (() => new Date());
    if (config.kioskId !== options.journal.kioskId) {
      throw new KioskError(
        ErrorCode.ConfigInvalid,
        `fleet link for kiosk ${config.kioskId} cannot send the payments of journal ${options.journal.kioskId}`,
        { details: { field: 'kioskId' } },
      );
    }
    this.topics = kioskTopics(config.kioskId, config.fleet.topicPrefix);
    this.#url = resolveBrokerUrl(config);
    this.#refusals = new RefusalTally({ journal: this.#journal, logger: this.#log, clock: this.#clock });
    this.#commands = new FleetCommands({
      kioskId: config.kioskId,
      keys: readConfiguredKeys(config.fleet.commands.publicKeys, 'fleet.commands.publicKeys'),
      maxPayloadBytes: config.fleet.commands.maxPayloadBytes,
      maxClockSkewMs: config.fleet.commands.maxClockSkewMs,
      journal: this.#journal,
      refusals: this.#refusals,
      handlers: options.commands,
      builtIns: { status: () => this.#statusReport(), rebirth: () => this.#rebirth() },
      answer: (result) => {
        const payload = this.#validJson(commandResultSchema, result, 'cmd/result');
        if (payload !== undefined) this.#queue.enqueue({ topic: this.topics.cmdResult, payload });
        this.emit('command', result);
      },
      clock: this.#clock,
      logger: this.#log,
    });
    this.#newId = createUlidFactory({ now: () => this.#clock().getTime() });
    this.#session = new BrokerSession({
      url: this.#url,
      optionsFor: (epoch) => this.#clientOptions(epoch),
      subscriptions: [this.topics.paymentAck, this.topics.cmd],
      maxPacketBytes: config.fleet.broker.maxPacketBytes,
      epochs: new ConnectionEpochStore({ dataDir: config.dataDir, logger: this.#log, now: this.#clock }),
      reconnect: config.fleet.reconnect,
      logger: this.#log,
      ...(options.random ? { random: options.random } : {}),
    });
    this.#outbox = new PaymentOutboxSender({
      journal: this.#journal,
      kioskId: config.kioskId,
      topic: this.topics.payment,
      collectionTopic: this.topics.collection,
      maxInFlight: config.fleet.outbox.maxInFlight,
      resendAfterMs: config.fleet.outbox.resendAfterMs,
      ledgerKeys: ledgerKeysOf(config),
      refusals: this.#refusals,
      logger: this.#log,
    });
    this.#queue = new ReliablePublishQueue({ limit: PUBLISH_QUEUE_LIMIT, logger: this.#log });
    this.#alerts = new DeviceAlertTracker({ kioskId: config.kioskId, newId: this.#newId });
    this.#session.on('up', (connection) => this.#onUp(connection));
    this.#session.on('down', () => this.#onDown());
    this.#session.on('message', (topic, payload) => this.#onMessage(topic, payload));
  }

  get connected(): boolean {
    return this.#session.connection !== undefined;
  }

  /** The epoch of the live connection, undefined while disconnected. */
  get epoch(): number | undefined {
    return this.#session.connection?.epoch;
  }

  /** Refused commands and acks counted since start, by `kind:reason` (e.g. `ack:badSignature`). */
  refusalCounts(): ReadonlyMap<string, number> {
    return this.#refusals.totals();
  }

  /** Payments published and not yet acknowledged by the ledger. */
  get paymentsInFlight(): number {
    return this.#outbox.inFlight;
  }

  /**
   * Connects in the background and keeps reconnecting; a kiosk takes money with the broker
   * away, and the outbox catches up. Throws at once only for what no retry can fix (a TLS
   * file that cannot be read).
   */
  start(): void {
    if (this.#stopped) throw new KioskError(ErrorCode.FleetConnect, 'the fleet link was stopped');
    if (this.#started) return;
    readTlsMaterial(this.#config.fleet);
    this.#started = true;
    this.#unsubscribeContext = this.#context.onChange(() => this.#onContextChange());
    this.#openUnpaidOrphans();
    this.#scanDeviceAlerts();
    this.#timers.push(
      setInterval(() => {
        this.#outbox.pump();
        this.#reportNewPayment();
      }, OUTBOX_POLL_MS),
    );
    this.#timers.push(setInterval(() => this.#periodic(), this.#config.fleet.healthIntervalMs));
    this.#timers.push(setInterval(() => this.#commands.pruneIds(), DAY_MS));
    this.#session.start();
  }

  /** Publishes `offline` (retained) on a live connection, then disconnects cleanly. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const timer of this.#timers.splice(0)) clearInterval(timer);
    clearTimeout(this.#healthDebounce);
    this.#unsubscribeContext?.();
    await this.#session.stop(async (connection) => {
      const payload = this.#statusJson('offline', connection.epoch);
      if (payload === undefined) return;
      await withTimeout(
        connection.publish(this.topics.status, payload, { qos: 1, retain: true }),
        FAREWELL_TIMEOUT_MS,
      );
    });
    this.#outbox.detach();
    this.#queue.detach();
    this.#refusals.flush();
    this.#log.info('fleet link stopped');
  }

  /** Looks at the outbox now (the daemon calls it after committing a payment). */
  kick(): void {
    this.#outbox.pump();
    this.#scanOrphanAlerts();
  }

  /**
   * Publishes an alert raised elsewhere in the kiosk (e.g. start-up recovery's money alerts),
   * QoS 1, queued while the broker is away. An `alertId` that is not a ULID (the wire format)
   * is kept in `details.sourceAlertId` and a ULID stands in for it. Throws a KioskError, and
   * sends nothing, when the alert does not fit the alert schema.
   */
  raiseAlert(alert: ExternalAlert): void {
    const ulid = alert.alertId !== undefined && ULID.test(alert.alertId);
    const details: Record<string, unknown> = {
      ...(alert.details ?? {}),
      ...(alert.message === undefined ? {} : { message: alert.message }),
      ...(alert.alertId === undefined || ulid ? {} : { sourceAlertId: alert.alertId }),
    };
    const payload: AlertPayload = {
      v: FLEET_PAYLOAD_VERSION,
      kioskId: this.#config.kioskId,
      ts: this.#clock().toISOString(),
      alertId: ulid ? (alert.alertId as string) : this.#standInId(alert.alertId, alert.cleared === true),
      device: alert.device,
      kind: alert.kind,
      action: alert.action,
      cleared: alert.cleared ?? false,
      details,
    };
    const checked = alertPayloadSchema.safeParse(payload);
    if (!checked.success) {
      const issue = checked.error.issues[0];
      throw new KioskError(
        ErrorCode.FleetBadPayload,
        `alert ${issue?.path.join('.') || 'payload'}: ${issue?.message ?? 'invalid'}`,
        { details: { field: issue?.path.join('.') } },
      );
    }
    this.#enqueueAlert(payload, { key: `alert:${payload.alertId}` });
  }

  /**
   * DESIGN.md: a cleared alert carries the alertId it was raised with. A raise of a non-ULID id
   * gets a ULID that its repeats and its clear reuse; the map forgets an id once it is cleared,
   * and holds at most MAX_STAND_IN_IDS open ones (the oldest go first).
   */
  #standInId(sourceId: string | undefined, cleared: boolean): string {
    if (sourceId === undefined) return this.#newId();
    const known = this.#standInIds.get(sourceId);
    if (cleared) {
      this.#standInIds.delete(sourceId);
      return known ?? this.#newId();
    }
    if (known !== undefined) return known;
    const id = this.#newId();
    this.#standInIds.set(sourceId, id);
    if (this.#standInIds.size > MAX_STAND_IN_IDS) {
      const oldest = this.#standInIds.keys().next().value;
      if (oldest !== undefined) this.#standInIds.delete(oldest);
    }
    return id;
  }

  /**
   * Publishes a technician's service-mode action on `event`, QoS 1, queued while the broker is
   * away. Throws a KioskError, and sends nothing, when it does not fit the event schema.
   */
  publishServiceEvent(event: Omit<ServiceEventPayload, 'v' | 'kioskId' | 'eventId' | 'kind'>): void {
    const payload: ServiceEventPayload = {
      v: FLEET_PAYLOAD_VERSION,
      kioskId: this.#config.kioskId,
      eventId: this.#newId(),
      kind: 'service',
      ...event,
    };
    const checked = serviceEventPayloadSchema.safeParse(payload);
    if (!checked.success) {
      const issue = checked.error.issues[0];
      throw new KioskError(
        ErrorCode.FleetBadPayload,
        `service event ${issue?.path.join('.') || 'payload'}: ${issue?.message ?? 'invalid'}`,
        { details: { field: issue?.path.join('.') } },
      );
    }
    this.#queue.enqueue({
      topic: this.topics.event,
      payload: JSON.stringify(checked.data),
      key: `event:${payload.eventId}`,
    });
  }

  /** Resolves with the epoch once connected; rejects after `timeoutMs`. */
  waitForConnection(timeoutMs: number): Promise<number> {
    const epoch = this.epoch;
    if (epoch !== undefined) return Promise.resolve(epoch);
    return withTimeout(
      new Promise<number>((resolve) => this.once('connected', resolve)),
      timeoutMs,
      () => new KioskError(ErrorCode.FleetConnect, `not connected to ${this.#url} within ${timeoutMs} ms`),
    );
  }

  #clientOptions(epoch: number): IClientOptions {
    const { broker } = this.#config.fleet;
    const will = this.#statusJson('offline', epoch);
    if (will === undefined) throw new KioskError(ErrorCode.FleetBadPayload, 'cannot build the Last Will');
    return {
      clientId: clientIdOf(this.#config),
      protocolVersion: broker.protocolVersion,
      clean: true,
      keepalive: KEEPALIVE_S,
      connectTimeout: CONNECT_TIMEOUT_MS,
      reconnectPeriod: 0,
      queueQoSZero: false,
      resubscribe: false,
      ...fleetMqttTuning(),
      will: { topic: this.topics.status, payload: Buffer.from(will), qos: 1, retain: true },
      ...(broker.username === undefined ? {} : { username: broker.username }),
      ...(broker.password === undefined ? {} : { password: broker.password }),
      ...readTlsMaterial(this.#config.fleet),
      ...(/^(?:mqtts|wss):/.test(this.#url) ? { rejectUnauthorized: true } : {}),
    };
  }

  #onUp(connection: BrokerConnection): void {
    this.#publishStatus(connection);
    this.#publishHealth(connection);
    // Before the queued single alerts: the set is the truth, and a view ignores single alerts
    // older than the set it holds.
    this.#publishAlertSet(connection);
    this.#queue.attach(connection);
    this.#outbox.attach(connection);
    this.#scanOrphanAlerts();
    this.#commands.pruneIds();
    this.emit('connected', connection.epoch);
  }

  #onDown(): void {
    this.#outbox.detach();
    this.#queue.detach();
    this.emit('disconnected');
  }

  #onContextChange(): void {
    this.#scanDeviceAlerts();
    const connection = this.#session.connection;
    if (connection !== undefined && this.#context.mode() !== this.#publishedMode)
      this.#publishStatus(connection);
    this.#scheduleHealth();
  }

  /** Health within HEALTH_DEBOUNCE_MS, once for a burst of reasons. */
  #scheduleHealth(): void {
    if (this.#healthDebounce !== undefined) return;
    this.#healthDebounce = setTimeout(() => {
      this.#healthDebounce = undefined;
      const live = this.#session.connection;
      if (live !== undefined) this.#publishHealth(live);
    }, HEALTH_DEBOUNCE_MS);
  }

  #periodic(): void {
    const connection = this.#session.connection;
    if (connection === undefined) return;
    this.#publishHealth(connection);
    this.#scanOrphanAlerts();
  }

  #statusJson(state: 'online' | 'offline', epoch: number): string | undefined {
    return this.#validJson(
      statusPayloadSchema,
      statusPayload({
        kioskId: this.#config.kioskId,
        epoch,
        state,
        context: this.#context,
        now: this.#clock(),
      }),
      'status',
    );
  }

  #publishStatus(connection: BrokerConnection): void {
    const mode = this.#context.mode();
    const payload = this.#statusJson('online', connection.epoch);
    if (payload === undefined) return;
    this.#publishedMode = mode;
    connection
      .publish(this.topics.status, payload, { qos: 1, retain: true })
      .catch((error: unknown) =>
        this.#log.debug({ err: error }, 'status not published; sent again on reconnect'),
      );
  }

  #publishHealth(connection: BrokerConnection): void {
    let payload: string | undefined;
    let report: ReturnType<typeof healthPayload>;
    try {
      report = healthPayload({
        kioskId: this.#config.kioskId,
        epoch: connection.epoch,
        context: this.#context,
        journal: this.#journal,
        now: this.#clock(),
      });
      payload = this.#validJson(healthPayloadSchema, report, 'health');
    } catch (error) {
      this.#log.error({ err: error }, 'cannot read what health reports');
      return;
    }
    if (payload === undefined) return;
    this.#reportedPaymentSeq = report.lastPayment?.seq ?? null;
    // Retained, as the latest state: a monitor that starts later sees the kiosk at once. No
    // message expiry: the last health of a kiosk that went offline is still its last known
    // cashbox and devices, and the view shows how old it is.
    const properties = connection.protocolVersion === 5 ? { contentType: 'application/json' } : undefined;
    connection
      .publish(this.topics.health, payload, { qos: 0, retain: true, ...(properties ? { properties } : {}) })
      .catch((error: unknown) => this.#log.debug({ err: error }, 'health not published'));
  }

  /**
   * A payment committed since the last health changes what health says (last payment,
   * cashbox), so health goes out again: a monitor started right after a payment sees it.
   */
  #reportNewPayment(): void {
    if (this.#session.connection === undefined || !this.#journal.isOpen) return;
    let seq: number | null;
    try {
      seq = this.#journal.payments.last()?.seq ?? null;
    } catch (error) {
      this.#log.debug({ err: error }, 'cannot read the last payment');
      return;
    }
    if (seq === this.#reportedPaymentSeq) return;
    // Once per new payment, even if that health cannot be built (it logs why): no retry storm.
    this.#reportedPaymentSeq = seq;
    this.#scheduleHealth();
  }

  /** Publishes the set of open alerts (retained); also the empty set, replacing a stale one. */
  #publishAlertSet(connection: BrokerConnection): void {
    const payload = this.#validJson(
      alertSetPayloadSchema,
      this.#openAlerts.payload(this.#config.kioskId, this.#clock()),
      'alerts',
    );
    if (payload === undefined) return;
    connection
      .publish(this.topics.alerts, payload, { qos: 1, retain: true })
      .catch((error: unknown) =>
        this.#log.debug({ err: error }, 'alert set not published; sent again on reconnect'),
      );
  }

  /** After the single alerts of one change, the set goes out once (on the next turn). */
  #alertSetChanged(): void {
    if (this.#alertSetDue) return;
    this.#alertSetDue = true;
    setImmediate(() => {
      this.#alertSetDue = false;
      const connection = this.#session.connection;
      if (connection !== undefined && !this.#stopped) this.#publishAlertSet(connection);
    });
  }

  /**
   * Orphan credits without a payment are open across restarts (a technician has to find their
   * value); their single alerts went out before, so only the set lists them again.
   */
  #openUnpaidOrphans(): void {
    if (!this.#journal.isOpen) return;
    try {
      for (const orphan of this.#journal.orphans.list({ unpaidOnly: true })) {
        const alert = orphanCreditAlert(orphan, this.#config.kioskId, this.#clock());
        this.#openAlerts.apply({ ...alert, ts: orphan.alertRaisedAt ?? orphan.createdAt });
      }
    } catch (error) {
      this.#log.error({ err: error }, 'cannot read unpaid orphan credits for the alert set');
    }
  }

  #scanDeviceAlerts(): void {
    let alerts: AlertPayload[];
    try {
      alerts = this.#alerts.update(this.#context.deviceStatuses(), this.#clock(), this.#context.paperLevel());
    } catch (error) {
      this.#log.error({ err: error }, 'cannot read device statuses for alerts');
      return;
    }
    for (const alert of alerts) this.#enqueueAlert(alert);
  }

  #scanOrphanAlerts(): void {
    if (!this.#journal.isOpen) return;
    try {
      for (const orphan of this.#journal.orphans.list({ unpaidOnly: false })) {
        if (orphan.alertRaisedAt !== null || this.#queue.has(`orphan:${orphan.orphanId}`)) continue;
        this.#enqueueAlert(orphanCreditAlert(orphan, this.#config.kioskId, this.#clock()), {
          key: `orphan:${orphan.orphanId}`,
          onTaken: () => {
            if (this.#journal.isOpen) this.#journal.orphans.markAlerted(orphan.orphanId);
          },
        });
      }
    } catch (error) {
      this.#log.error({ err: error }, 'cannot scan orphan credits for alerts');
    }
  }

  #enqueueAlert(alert: AlertPayload, extra: { key?: string; onTaken?: () => void } = {}): void {
    const payload = this.#validJson(alertPayloadSchema, alert, 'alert');
    if (payload === undefined) return;
    this.#log.warn(
      { alert: { device: alert.device, kind: alert.kind, cleared: alert.cleared } },
      'fleet alert',
    );
    this.#queue.enqueue({ topic: this.topics.alert, payload, ...extra });
    if (this.#openAlerts.apply(alert)) this.#alertSetChanged();
  }

  #onMessage(topic: string, payload: Buffer): void {
    try {
      if (topic === this.topics.paymentAck) {
        this.#outbox.handleAck(payload);
      } else if (topic === this.topics.cmd) {
        this.#commands.handle(payload);
      } else {
        this.#log.warn({ topic }, 'message on a topic the link did not subscribe to');
      }
    } catch (error) {
      this.#log.error({ err: error, topic }, 'fleet message handling failed');
    }
  }

  #rebirth(): CommandOutput {
    const connection = this.#session.connection;
    if (connection === undefined) throw new KioskError(ErrorCode.FleetConnect, 'not connected');
    this.#publishStatus(connection);
    this.#publishHealth(connection);
    this.#publishAlertSet(connection);
    return { epoch: connection.epoch };
  }

  #statusReport(): CommandOutput {
    const stats = this.#journal.outbox.stats();
    return {
      state: this.connected ? 'online' : 'offline',
      mode: this.#context.mode(),
      epoch: this.epoch ?? null,
      devices: this.#context.deviceStatuses(),
      paper: this.#context.paperLevel(),
      outbox: { pending: stats.pending, lastSeq: stats.lastSeq, oldestPendingSeq: stats.oldestPendingSeq },
      paymentsInFlight: this.#outbox.inFlight,
    };
  }

  /** JSON of a payload that passed its wire schema; a bug must not reach the fleet. */
  #validJson<T>(schema: z.ZodType<T>, payload: T, what: string): string | undefined {
    const checked = schema.safeParse(payload);
    if (!checked.success) {
      this.#log.error(
        { problems: checked.error.issues, what },
        'outgoing payload fails its schema; not sent',
      );
      return undefined;
    }
    return JSON.stringify(payload);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout?: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(onTimeout?.() ?? new KioskError(ErrorCode.FleetConnect, `no answer within ${ms} ms`)),
      ms,
    );
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
