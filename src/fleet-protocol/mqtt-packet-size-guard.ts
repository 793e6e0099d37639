import type { Duplex } from 'node:stream';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { ErrorCode, KioskError } from '../../core/errors.js';

/**
 * The largest MQTT packet a fleet connection takes, unless configured otherwise. A kiosk's
 * largest legitimate inbound packet is a command (at most fleet.commands.maxPayloadBytes, 16 KiB
 * by default, 1 MiB at most) or a payment ack (~30 KB for a full batch of ids); the ledger's is
 * a payment of a few hundred bytes. The Mosquitto template's max_packet_size is the same.
 */
export const DEFAULT_MAX_PACKET_BYTES = 262_144;

/**
 * Watches the bytes arriving on an MQTT connection and destroys it as soon as a packet's fixed
 * header announces more than `maxPacketBytes`, before the parser has buffered it: mqtt-packet
 * (used by mqtt.js and Aedes alike) collects a whole packet in memory before anyone can look
 * at its size, so a 250 MB publish costs 250 MB per connection (more while it is copied), and
 * MQTT 5's maximumPacketSize is only advice to a broker that honours it. At most the chunk that
 * carried the header (one socket read, ~64 KiB) reaches the parser.
 *
 * It only listens ('data' is emitted to every listener, whoever reads the stream), so the
 * reader, mqtt.js's pipe or Aedes's read() loop, stays as it is.
 */
export function guardMqttPacketSize(
  stream: Duplex,
  maxPacketBytes: number,
  onOversize?: (announcedBytes: number) => void,
): void {
  /** Bytes of the current packet's body still to skip; -1 while reading a fixed header. */
  let bodyLeft = -1;
  /** Position inside the fixed header: 0 = type byte, 1..4 = remaining-length bytes. */
  let headerAt = 0;
  let remaining = 0;
  let multiplier = 1;
  let tripped = false;

  const trip = (announced: number) => {
    tripped = true;
    stream.off('data', onData);
    onOversize?.(announced);
    stream.destroy(
      new KioskError(
        ErrorCode.FleetBadPayload,
        `MQTT packet of ${announced} bytes refused: the limit is ${maxPacketBytes} bytes`,
        { details: { announcedBytes: announced, maxPacketBytes } },
      ),
    );
  };

  const onData = (chunk: Buffer | string) => {
    if (tripped || typeof chunk === 'string') return;
    let at = 0;
    while (at < chunk.length) {
      if (bodyLeft > 0) {
        const skip = Math.min(bodyLeft, chunk.length - at);
        bodyLeft -= skip;
        at += skip;
        if (bodyLeft === 0) bodyLeft = -1;
        continue;
      }
      const byte = chunk[at++] as number;
      if (headerAt === 0) {
        headerAt = 1;
        remaining = 0;
        multiplier = 1;
        continue;
      }
      remaining += (byte & 0x7f) * multiplier;
      multiplier *= 128;
      headerAt += 1;
      if ((byte & 0x80) !== 0 && headerAt <= 4) continue;
      // A fifth length byte is malformed; the parser refuses it, and so does this count.
      const packetBytes = headerAt + remaining + ((byte & 0x80) !== 0 ? Number.POSITIVE_INFINITY : 0);
      headerAt = 0;
      if (packetBytes > maxPacketBytes) {
        trip(packetBytes);
        return;
      }
      bodyLeft = remaining === 0 ? -1 : remaining;
    }
  };
  stream.on('data', onData);
}

/**
 * mqtt.js's connect with the size guard on every stream it builds (each reconnect builds a new
 * one). On MQTT 5 the CONNECT also carries maximumPacketSize, so a broker that honours it
 * (Mosquitto does) drops an oversized message for this client instead of sending it.
 */
export function connectWithPacketLimit(
  url: string,
  options: IClientOptions,
  maxPacketBytes: number,
): MqttClient {
  const withLimit: IClientOptions =
    options.protocolVersion === 5
      ? { ...options, properties: { ...options.properties, maximumPacketSize: maxPacketBytes } }
      : options;
  const client = mqtt.connect(url, { ...withLimit, manualConnect: true });
  // mqtt.js builds each connection's stream through this (typed private) hook and pipes it to
  // its parser in the same tick; no event comes between, so the hook is wrapped. The packet
  // guard tests fail should a new mqtt.js stop calling it.
  const hooked = client as unknown as { streamBuilder: (self: MqttClient) => Duplex };
  const build = hooked.streamBuilder;
  hooked.streamBuilder = (self) => {
    const stream = build(self);
    guardMqttPacketSize(stream, maxPacketBytes);
    return stream;
  };
  if (options.manualConnect !== true) client.connect();
  return client;
}
