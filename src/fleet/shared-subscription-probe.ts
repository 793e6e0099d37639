import { randomBytes } from 'node:crypto';
import type { IConnackPacket, MqttClient } from 'mqtt';
import { kioskTopics, sharedSubscription } from '../fleet-protocol/index.js';

/**
 * Whether the broker honours `$share/<group>/...`. Mosquitto, EMQX, VerneMQ and HiveMQ do;
 * the embedded Aedes broker accepts the subscription but never delivers to it, so a ledger
 * that trusted the SUBACK would silently receive nothing. An MQTT 5 CONNACK may say so
 * outright; otherwise one message goes round the broker through a shared subscription of a
 * topic no kiosk uses. The probe topic is a payment/ack topic of a kiosk id that cannot exist
 * (kiosk ids start with a letter or digit), so the fleet identity's ACL already allows it
 * and no kiosk or other fleet consumer ever sees it.
 */
export async function brokerHonoursSharedSubscriptions(
  client: MqttClient,
  connack: IConnackPacket | undefined,
  options: { group: string; topicPrefix: string; timeoutMs: number },
): Promise<boolean> {
  if (connack?.properties?.sharedSubscriptionAvailable === false) return false;
  const probeTopic = kioskTopics(`_probe-${randomBytes(6).toString('hex')}`, options.topicPrefix).paymentAck;
  const filter = sharedSubscription(options.group, probeTopic);
  let onMessage: ((topic: string) => void) | undefined;
  const arrived = new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), options.timeoutMs);
    onMessage = (topic: string) => {
      if (topic !== probeTopic) return;
      clearTimeout(timer);
      resolve(true);
    };
    client.on('message', onMessage);
  });
  try {
    const granted = await client.subscribeAsync(filter, { qos: 0 });
    // 0x80 (128) and above is a refusal, as a broker without shared subscriptions may answer.
    if (granted.some((g) => g.qos >= 128)) return false;
    await client.publishAsync(probeTopic, 'shared-subscription probe', { qos: 0 });
    return await arrived;
  } finally {
    if (onMessage) client.removeListener('message', onMessage);
    await client.unsubscribeAsync(filter).catch(() => undefined);
  }
}
