import type { MqttClient } from 'mqtt';
import { DEFAULT_TOPIC_PREFIX, fleetWildcard, type TopicKind } from '../fleet-protocol/index.js';
import type { Logger } from '../log.js';
import { connectOnce, type FleetBrokerSettings } from './broker-connection.js';
import { type FleetSnapshot, FleetState } from './fleet-state.js';

/**
 * The live view's connection: every kiosk's status, health and set of open alerts (all
 * retained, so a fresh view is right at once), single alerts, payments and command results,
 * without a shared subscription (each view sees everything). It reconnects by itself after the first connection; on reconnect
 * the retained messages come again and the epoch rule keeps stale ones out.
 */
export interface FleetViewOptions {
  broker: FleetBrokerSettings;
  topicPrefix?: string;
  logger: Logger;
  connectTimeoutMs?: number;
}

const SUBSCRIBED: ReadonlyArray<{ kind: TopicKind; qos: 0 | 1 }> = [
  { kind: 'status', qos: 1 },
  { kind: 'health', qos: 0 },
  { kind: 'alert', qos: 1 },
  { kind: 'alerts', qos: 1 },
  { kind: 'payment', qos: 1 },
  { kind: 'collection', qos: 1 },
  { kind: 'cmd/result', qos: 1 },
];

export class FleetView {
  private connected = true;

  private constructor(
    private readonly client: MqttClient,
    private readonly state: FleetState,
    readonly url: string,
  ) {}

  /** Connects, subscribes; throws FleetConnect when the broker cannot be reached or refuses. */
  static async connect(options: FleetViewOptions): Promise<FleetView> {
    const prefix = options.topicPrefix ?? DEFAULT_TOPIC_PREFIX;
    const logger = options.logger.child({ component: 'fleet-view' });
    const client = await connectOnce(options.broker, 'view', options.connectTimeoutMs ?? 10_000);
    const state = new FleetState(prefix);
    const view = new FleetView(client, state, options.broker.url);
    client.on('message', (topic, payload) => {
      const outcome = state.apply(topic, payload);
      if (outcome === 'invalid') logger.debug({ topic }, 'invalid message ignored');
      else if (outcome === 'suspect') logger.warn({ topic }, 'epoch jump not taken on its word');
    });
    client.on('error', (error) => logger.warn({ err: error.message }, 'broker connection error'));
    client.on('close', () => {
      view.connected = false;
    });
    client.on('connect', () => {
      view.connected = true;
    });
    try {
      const granted = await client.subscribeAsync(
        Object.fromEntries(SUBSCRIBED.map(({ kind, qos }) => [fleetWildcard(kind, prefix), { qos }])),
      );
      const refused = granted.filter((g) => g.qos >= 128).map((g) => g.topic);
      if (refused.length > 0) logger.warn({ refused }, 'the broker refused some subscriptions (ACL?)');
    } catch (error) {
      await client.endAsync(true);
      throw error;
    }
    // Only now: a tool that could not connect at all should say so, not retry forever.
    client.options.reconnectPeriod = 1000;
    return view;
  }

  get isConnected(): boolean {
    return this.connected;
  }

  snapshot(now?: Date): FleetSnapshot {
    return this.state.snapshot(now);
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}
