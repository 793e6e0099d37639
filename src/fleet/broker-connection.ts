import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { IClientOptions, MqttClient } from 'mqtt';
import { ErrorCode, KioskError } from '../../core/errors.js';
import { fleetMqttTuning } from '../fleet-protocol/index.js';
import {
  connectWithPacketLimit,
  DEFAULT_MAX_PACKET_BYTES,
} from '../fleet-protocol/mqtt-packet-size-guard.js';
import { brokerUrlSchema } from './fleet-config.js';

/**
 * How a fleet tool (ledger, live view, command sender) reaches the broker as the fleet
 * identity. With Mosquitto and the seeds' ACL that identity is a client certificate whose CN
 * is "fleet"; user name and password are for brokers that authenticate that way instead.
 */
export interface FleetBrokerSettings {
  url: string;
  /** 4 = MQTT 3.1.1 (what the embedded demo broker speaks), 5 = MQTT 5. */
  protocolVersion: 4 | 5;
  clientId?: string | undefined;
  /** PEM files: the CA that signed the broker's certificate, and the fleet's client certificate and key. */
  ca?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
  username?: string | undefined;
  password?: string | undefined;
  /** The largest packet taken from the broker (default DEFAULT_MAX_PACKET_BYTES); a larger one ends the connection. */
  maxPacketBytes?: number | undefined;
}

/** Checks what a fleet tool was given before any connection is tried; throws FleetConnect naming the field. */
export function assertBrokerSettings(settings: FleetBrokerSettings): void {
  if (!brokerUrlSchema.safeParse(settings.url).success) {
    throw new KioskError(
      ErrorCode.FleetConnect,
      `broker url: expected mqtt://host:port or mqtts://host:port, got ${JSON.stringify(settings.url)}`,
      { details: { field: 'url' } },
    );
  }
  if (settings.protocolVersion !== 4 && settings.protocolVersion !== 5) {
    throw new KioskError(
      ErrorCode.FleetConnect,
      `broker protocolVersion: expected 4 (MQTT 3.1.1) or 5, got ${String(settings.protocolVersion)}`,
      { details: { field: 'protocolVersion' } },
    );
  }
  if ((settings.cert === undefined) !== (settings.key === undefined)) {
    throw new KioskError(ErrorCode.FleetConnect, 'broker cert and key go together: give both or neither', {
      details: { field: settings.cert === undefined ? 'cert' : 'key' },
    });
  }
}

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(resolve(path));
  } catch (cause) {
    const errno = (cause as NodeJS.ErrnoException).code;
    throw new KioskError(
      ErrorCode.FleetConnect,
      `cannot read the ${what} ${path}: ${String(errno ?? cause)}`,
      {
        cause,
        details: { path, errno },
      },
    );
  }
}

/**
 * mqtt.js options for a fleet tool. The session is clean and nothing is stored across
 * restarts: kiosks resend every payment until the ledger acknowledges it, so the ledger
 * needs no broker-side session, and a view rebuilds itself from retained statuses.
 */
export function fleetClientOptions(
  settings: FleetBrokerSettings,
  role: string,
  extra: { reconnectPeriodMs: number; connectTimeoutMs: number },
): IClientOptions {
  assertBrokerSettings(settings);
  const clientId =
    settings.clientId ?? `fleet-${role}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  return {
    protocolVersion: settings.protocolVersion,
    clientId,
    clean: true,
    keepalive: 30,
    reconnectPeriod: extra.reconnectPeriodMs,
    connectTimeout: extra.connectTimeoutMs,
    queueQoSZero: false,
    resubscribe: true,
    ...fleetMqttTuning(),
    ...(settings.ca !== undefined ? { ca: readPem(settings.ca, 'broker CA file') } : {}),
    ...(settings.cert !== undefined ? { cert: readPem(settings.cert, 'client certificate file') } : {}),
    ...(settings.key !== undefined ? { key: readPem(settings.key, 'client key file') } : {}),
    ...(settings.username !== undefined ? { username: settings.username } : {}),
    ...(settings.password !== undefined ? { password: settings.password } : {}),
  };
}

/**
 * Connects a fleet tool with `fleetClientOptions`'s options: the packet size limit is
 * announced on MQTT 5 and enforced on the socket before a packet is buffered, so a 250 MB
 * publish to a topic the tool reads costs it one socket read, not 250 MB.
 */
export function connectFleetClient(settings: FleetBrokerSettings, options: IClientOptions): MqttClient {
  return connectWithPacketLimit(settings.url, options, settings.maxPacketBytes ?? DEFAULT_MAX_PACKET_BYTES);
}

/**
 * Turns Nagle's algorithm off on a connected client's socket. A fleet tool's traffic is small
 * packets answered by small packets (a PUBACK, a payment ack): with Nagle on, each one that
 * follows an unacknowledged segment waits out the peer's delayed ACK (tens of ms), which
 * paces a whole exchange. mqtt.js builds a new socket for every reconnect, so call this on
 * every 'connect'.
 */
export function disableNagle(client: MqttClient): void {
  (client.stream as { setNoDelay?: (noDelay: boolean) => void } | undefined)?.setNoDelay?.(true);
}

/** CONNACK return codes (3.1.1) and reason codes (5) worth a sentence to an operator. */
function refusalHint(code: unknown, protocolVersion: 4 | 5): string {
  switch (code) {
    case 1:
    case 132:
      return protocolVersion === 5
        ? 'the broker refused MQTT 5 (the embedded demo broker speaks only 3.1.1: use protocol version 4)'
        : 'the broker refused MQTT 3.1.1';
    case 2:
    case 133:
      return 'the broker rejected the client id';
    case 4:
    case 134:
      return 'bad user name or password';
    case 5:
    case 135:
      return 'not authorized (check the client certificate and the broker ACL)';
    default:
      return '';
  }
}

export function connectError(settings: FleetBrokerSettings, cause: unknown): KioskError {
  const code = (cause as { code?: unknown } | null)?.code;
  const hint = refusalHint(code, settings.protocolVersion);
  const message = cause instanceof Error ? cause.message : String(cause);
  return new KioskError(
    ErrorCode.FleetConnect,
    `cannot connect to the broker ${settings.url}: ${hint || message}`,
    { cause, details: { url: settings.url, protocolVersion: settings.protocolVersion, code } },
  );
}

/** True for a refusal that retrying cannot fix (wrong protocol, credentials, authorization). */
export function isPermanentRefusal(cause: unknown): boolean {
  const code = (cause as { code?: unknown } | null)?.code;
  return typeof code === 'number' && [1, 2, 4, 5, 132, 133, 134, 135].includes(code);
}

/**
 * One connection attempt for a short-lived tool (`fleet view`, `fleet cmd`): resolves once
 * connected, or throws FleetConnect saying why, instead of retrying forever. The caller owns
 * the client from then on, including an 'error' listener.
 */
export function connectOnce(
  settings: FleetBrokerSettings,
  role: string,
  connectTimeoutMs: number,
): Promise<MqttClient> {
  const options = fleetClientOptions(settings, role, { reconnectPeriodMs: 0, connectTimeoutMs });
  return new Promise((resolvePromise, reject) => {
    const client = connectFleetClient(settings, options);
    const timer = setTimeout(
      () => fail(new Error(`no CONNACK within ${connectTimeoutMs} ms`)),
      connectTimeoutMs,
    );
    let settled = false;
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.removeAllListeners('connect');
      client.end(true);
      reject(connectError(settings, error));
    };
    client.once('connect', () => {
      settled = true;
      clearTimeout(timer);
      client.removeListener('error', fail);
      client.removeListener('close', onClose);
      resolvePromise(client);
    });
    const onClose = () => fail(new Error('connection closed before CONNACK'));
    client.once('error', fail);
    client.once('close', onClose);
  });
}
