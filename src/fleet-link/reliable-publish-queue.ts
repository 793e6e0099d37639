import type { Logger } from '../log.js';
import type { BrokerConnection, PublishOptions } from './broker-session.js';

export interface QueuedMessage {
  topic: string;
  payload: string;
  /** Same key, same message: a second enqueue while the first waits is ignored. */
  key?: string;
  retain?: boolean;
  properties?: PublishOptions['properties'];
  /** Runs once the broker took it (PUBACK), e.g. to record durably that an alert went out. */
  onTaken?: () => void;
}

interface Entry {
  message: QueuedMessage;
  sending: boolean;
}

/**
 * QoS 1 messages that are not money (alerts, command results): kept in memory until the
 * broker's PUBACK, so one raised while the broker is away goes out after the reconnect. The
 * queue is bounded; when it overflows the oldest message goes, with an error in the log
 * (payments never pass through here: the journal's outbox carries them).
 */
export class ReliablePublishQueue {
  readonly #limit: number;
  readonly #log: Logger;
  readonly #entries: Entry[] = [];
  #connection: BrokerConnection | undefined;

  constructor(options: { limit: number; logger: Logger }) {
    this.#limit = options.limit;
    this.#log = options.logger;
  }

  get size(): number {
    return this.#entries.length;
  }

  has(key: string): boolean {
    return this.#entries.some((e) => e.message.key === key);
  }

  enqueue(message: QueuedMessage): boolean {
    if (message.key !== undefined && this.has(message.key)) return false;
    this.#entries.push({ message, sending: false });
    while (this.#entries.length > this.#limit) {
      const dropped = this.#entries.shift();
      this.#log.error(
        { topic: dropped?.message.topic, key: dropped?.message.key },
        'fleet publish queue full; oldest dropped',
      );
    }
    this.#drain();
    return true;
  }

  attach(connection: BrokerConnection): void {
    this.#connection = connection;
    for (const entry of this.#entries) entry.sending = false;
    this.#drain();
  }

  detach(): void {
    this.#connection = undefined;
    for (const entry of this.#entries) entry.sending = false;
  }

  #drain(): void {
    const connection = this.#connection;
    if (connection === undefined) return;
    for (const entry of this.#entries) {
      if (entry.sending) continue;
      entry.sending = true;
      const { topic, payload, retain, properties } = entry.message;
      connection
        .publish(topic, payload, { qos: 1, retain: retain ?? false, ...(properties ? { properties } : {}) })
        .then(
          () => {
            const at = this.#entries.indexOf(entry);
            if (at >= 0) this.#entries.splice(at, 1);
            try {
              entry.message.onTaken?.();
            } catch (error) {
              this.#log.error({ err: error, topic }, 'after-publish step failed');
            }
          },
          () => {
            // The connection went first; attach() sends it again on the next one.
            if (this.#connection === connection) entry.sending = false;
          },
        );
    }
  }
}
