import { EventEmitter } from 'node:events';
import type { IClientOptions, IClientPublishOptions, MqttClient } from 'mqtt';
import { ErrorCode, KioskError } from '../../core/errors.js';
import { type BackoffPolicy, backoffDelayMs } from '../../devices/transport/backoff.js';
import { connectWithPacketLimit } from '../fleet-protocol/mqtt-packet-size-guard.js';
import type { Logger } from '../log.js';
import type { ConnectionEpochStore } from './connection-epoch-store.js';

/**
 * A connection that lasted this long was a real one: the next loss starts the back-off from
 * the beginning. A broker that accepts and then drops at once (an ACL kick, a full broker)
 * keeps growing the delay instead of being hammered once per initialDelayMs.
 */
const STABLE_CONNECTION_MS = 30_000;
/** How long a clean DISCONNECT may wait for the broker before the socket is simply closed. */
const END_TIMEOUT_MS = 2_000;

export type PublishOptions = Pick<IClientPublishOptions, 'qos' | 'retain' | 'properties'>;

/** One live MQTT connection, subscribed and ready. Invalid once the session reported `down`. */
export interface BrokerConnection {
  readonly epoch: number;
  readonly protocolVersion: 4 | 5;
  /**
   * Resolves when the broker took it (PUBACK for QoS 1, written for QoS 0), rejects when the
   * connection went first. A PUBACK only means the broker has it, never that anyone read it.
   */
  publish(topic: string, payload: string | Buffer, options: PublishOptions): Promise<void>;
  /**
   * The same without a promise, for senders that only need to hear of a failure (the payment
   * outbox: a promise and its settling per payment were measurable at thousands a second).
   */
  send(
    topic: string,
    payload: string | Buffer,
    options: PublishOptions,
    onFailure: (error: Error) => void,
  ): void;
}

export interface BrokerSessionEvents {
  up: [BrokerConnection];
  down: [];
  message: [topic: string, payload: Buffer];
}

export interface BrokerSessionOptions {
  url: string;
  /** The mqtt.js options for a connection with this epoch (the Will carries it). */
  optionsFor(epoch: number): IClientOptions;
  subscriptions: readonly string[];
  /** The largest packet taken from the broker; a larger one ends the connection before it is buffered. */
  maxPacketBytes: number;
  epochs: ConnectionEpochStore;
  reconnect: BackoffPolicy;
  logger: Logger;
  random?: () => number;
}

/**
 * Keeps one MQTT connection to the broker with the kiosk's own reconnect schedule: mqtt.js's
 * own reconnect is off (`reconnectPeriod: 0`) because it retries on a fixed period, and
 * thousands of kiosks dropped by one broker restart would all come back in the same second.
 * Each attempt is a new mqtt.js client with its in-memory store only: whatever was in flight
 * when a connection died is the link's business (the journal's outbox resends payments), not
 * a store's. Each attempt also takes a new durable epoch first, so its Will can carry it.
 */
export class BrokerSession extends EventEmitter<BrokerSessionEvents> {
  readonly #opts: BrokerSessionOptions;
  readonly #log: Logger;
  readonly #random: () => number;
  #client: MqttClient | undefined;
  #connection: BrokerConnection | undefined;
  #timer: NodeJS.Timeout | undefined;
  #attempt = 0;
  #started = false;
  #stopped = false;

  constructor(options: BrokerSessionOptions) {
    super();
    this.#opts = options;
    this.#log = options.logger;
    this.#random = options.random ?? Math.random;
  }

  get connection(): BrokerConnection | undefined {
    return this.#connection;
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#dial();
  }

  /**
   * Ends the session. `farewell` runs on a live connection before a clean DISCONNECT (which
   * makes the broker discard the Will, so the farewell must say `offline` itself).
   */
  async stop(farewell?: (connection: BrokerConnection) => Promise<void>): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#timer);
    const client = this.#client;
    const connection = this.#connection;
    if (client === undefined) return;
    if (connection !== undefined && farewell !== undefined) {
      try {
        await farewell(connection);
      } catch (error) {
        this.#log.warn({ err: error }, 'fleet link farewell not delivered');
      }
    }
    await new Promise<void>((resolve) => {
      // A clean end waits for outstanding PUBACKs; a broker that stopped answering gets the cut.
      const cut = setTimeout(() => {
        client.stream?.destroy();
        resolve();
      }, END_TIMEOUT_MS);
      client.end(connection === undefined, {}, () => {
        clearTimeout(cut);
        resolve();
      });
    });
    this.#drop(client);
  }

  #dial(): void {
    if (this.#stopped) return;
    let epoch: number;
    let options: IClientOptions;
    try {
      epoch = this.#opts.epochs.next();
      options = this.#opts.optionsFor(epoch);
    } catch (error) {
      this.#log.error({ err: error }, 'fleet link cannot prepare a connection');
      this.#retryLater();
      return;
    }
    this.#log.debug({ url: this.#opts.url, epoch }, 'connecting to the fleet broker');
    const client = connectWithPacketLimit(
      this.#opts.url,
      { ...options, reconnectPeriod: 0 },
      this.#opts.maxPacketBytes,
    );
    this.#client = client;
    let connectedAt: number | undefined;
    client.on('connect', () => {
      connectedAt = Date.now();
      // Small QoS 1 messages answered by small acks are Nagle's worst case: without this, each
      // window of payments waits out a delayed ACK (tens of ms) before the next goes.
      (client.stream as { setNoDelay?: (noDelay: boolean) => void } | undefined)?.setNoDelay?.(true);
      this.#subscribe(client, epoch, options.protocolVersion === 4 ? 4 : 5);
    });
    client.on('message', (topic, payload) => {
      if (this.#client === client && this.#connection !== undefined) this.emit('message', topic, payload);
    });
    client.on('error', (error) => {
      this.#log.warn({ err: error, epoch }, 'fleet broker connection error');
    });
    client.on('close', () => {
      if (this.#client !== client) return;
      const wasUp = this.#drop(client);
      if (this.#stopped) return;
      if (connectedAt !== undefined && Date.now() - connectedAt >= STABLE_CONNECTION_MS) this.#attempt = 0;
      if (wasUp) this.#log.warn({ epoch }, 'fleet broker connection lost');
      this.#retryLater();
    });
  }

  #subscribe(client: MqttClient, epoch: number, protocolVersion: 4 | 5): void {
    const topics = [...this.#opts.subscriptions];
    client.subscribe(topics, { qos: 1 }, (error, granted) => {
      if (this.#client !== client || this.#stopped) return;
      const refused = (granted ?? []).filter((g) => g.qos !== 0 && g.qos !== 1 && g.qos !== 2);
      if (error || refused.length > 0) {
        this.#log.error(
          { err: error, refused: refused.map((g) => g.topic), epoch },
          'fleet broker refused the kiosk its subscriptions; reconnecting later',
        );
        client.end(true);
        return;
      }
      const connection: BrokerConnection = {
        epoch,
        protocolVersion,
        publish: (topic, payload, publishOptions) =>
          new Promise<void>((resolve, reject) => {
            if (this.#connection !== connection) {
              reject(new KioskError(ErrorCode.FleetConnect, 'the fleet broker connection is gone'));
              return;
            }
            client.publish(topic, payload, publishOptions, (publishError) =>
              publishError ? reject(publishError) : resolve(),
            );
          }),
        send: (topic, payload, publishOptions, onFailure) => {
          if (this.#connection !== connection) {
            onFailure(new KioskError(ErrorCode.FleetConnect, 'the fleet broker connection is gone'));
            return;
          }
          client.publish(topic, payload, publishOptions, (publishError) => {
            if (publishError) onFailure(publishError);
          });
        },
      };
      this.#connection = connection;
      this.#log.info({ url: this.#opts.url, epoch }, 'fleet link connected');
      this.emit('up', connection);
    });
  }

  /** Forgets a client; true when it was the live connection (so `down` was emitted). */
  #drop(client: MqttClient): boolean {
    if (this.#client !== client) return false;
    this.#client = undefined;
    client.removeAllListeners('message');
    // Late errors of a dead client must not become unhandled 'error' events.
    client.on('error', () => {});
    const wasUp = this.#connection !== undefined;
    this.#connection = undefined;
    if (wasUp) this.emit('down');
    return wasUp;
  }

  #retryLater(): void {
    if (this.#stopped) return;
    const delay = Math.round(backoffDelayMs(this.#opts.reconnect, this.#attempt, this.#random));
    this.#attempt += 1;
    this.#log.debug({ delayMs: delay, attempt: this.#attempt }, 'fleet broker reconnect scheduled');
    this.#timer = setTimeout(() => this.#dial(), delay);
  }
}
