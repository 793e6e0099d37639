/**
 * MQTT topics of DESIGN.md ("Fleet link over MQTT"). One builder for the kiosk and the fleet,
 * so a topic is spelled in one place. The prefix is configurable (`fleet.topicPrefix`) for
 * brokers shared with other systems; the default is the contract's `kiosk/v1`.
 */
export const DEFAULT_TOPIC_PREFIX = 'kiosk/v1';

export const TOPIC_KINDS = [
  'status',
  'health',
  'alert',
  'alerts',
  'payment',
  'payment/ack',
  'collection',
  'cmd',
  'cmd/result',
  'event',
] as const;
export type TopicKind = (typeof TOPIC_KINDS)[number];

export interface KioskTopics {
  status: string;
  health: string;
  alert: string;
  /** The retained set of open alerts. */
  alerts: string;
  payment: string;
  paymentAck: string;
  /** Cash collections, from the outbox in the payments' seq space, acknowledged on paymentAck. */
  collection: string;
  cmd: string;
  cmdResult: string;
  /** Technicians' service-mode actions. */
  event: string;
}

/** A kiosk id is one topic level: no "/", "+", "#" (the config schema enforces it too). */
export function assertTopicLevel(kioskId: string): void {
  if (kioskId.length === 0 || /[/+#\s\0]/.test(kioskId)) {
    throw new TypeError(`kioskId "${kioskId}" cannot be an MQTT topic level`);
  }
}

export function kioskTopics(kioskId: string, prefix = DEFAULT_TOPIC_PREFIX): KioskTopics {
  assertTopicLevel(kioskId);
  const base = `${prefix}/${kioskId}`;
  return {
    status: `${base}/status`,
    health: `${base}/health`,
    alert: `${base}/alert`,
    alerts: `${base}/alerts`,
    payment: `${base}/payment`,
    paymentAck: `${base}/payment/ack`,
    collection: `${base}/collection`,
    cmd: `${base}/cmd`,
    cmdResult: `${base}/cmd/result`,
    event: `${base}/event`,
  };
}

/** The fleet side's subscription for one kind across every kiosk, e.g. `kiosk/v1/+/payment`. */
export function fleetWildcard(kind: TopicKind, prefix = DEFAULT_TOPIC_PREFIX): string {
  return `${prefix}/+/${kind}`;
}

/** A shared subscription (MQTT 5; Mosquitto also honours it for 3.1.1 clients) so ledger instances split the load. */
export function sharedSubscription(group: string, topic: string): string {
  return `$share/${group}/${topic}`;
}

/** Splits a received topic into its kiosk id and kind, or undefined when it is not one of ours. */
export function parseKioskTopic(
  topic: string,
  prefix = DEFAULT_TOPIC_PREFIX,
): { kioskId: string; kind: TopicKind } | undefined {
  if (!topic.startsWith(`${prefix}/`)) return undefined;
  const rest = topic.slice(prefix.length + 1);
  const slash = rest.indexOf('/');
  if (slash <= 0) return undefined;
  const kioskId = rest.slice(0, slash);
  const kind = rest.slice(slash + 1);
  return (TOPIC_KINDS as readonly string[]).includes(kind) ? { kioskId, kind: kind as TopicKind } : undefined;
}
