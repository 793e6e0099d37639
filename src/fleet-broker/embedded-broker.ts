import { createServer, type Server, type Socket } from 'node:net';
import { Aedes, type Client } from 'aedes';
import { ErrorCode, KioskError } from '../../core/errors.js';
import { DEFAULT_MAX_PACKET_BYTES, guardMqttPacketSize } from '../fleet-protocol/mqtt-packet-size-guard.js';
import type { Logger } from '../log.js';
import { BrokerAccess, type BrokerCredentials, type BrokerIdentity } from './broker-access.js';

/**
 * An MQTT broker inside the kioskd process, for `kioskd demo` and the tests: Aedes on a plain
 * loopback TCP listener, MQTT 3.1.1 (and 3.1) only, in-memory, no TLS. Clients log in with the
 * passwords it makes at start and get the Mosquitto template's topic rules (broker-access.ts);
 * packets over the size limit end the connection before they are buffered. It is not a
 * production broker: it holds retained messages and sessions in memory only and does not
 * honour `$share/...` shared subscriptions. A fleet runs Mosquitto or a clustered broker (see
 * docs/fleet-brokers.md).
 */
export interface EmbeddedBrokerOptions {
  /** Loopback only (the config schema refuses anything else): the demo broker is not for a network. */
  host?: string;
  /** 0 picks a free port; the chosen one is in the result. */
  port: number;
  /** The topic prefix the access rules apply to (fleet.topicPrefix). */
  topicPrefix?: string;
  /** The largest packet a client may send, fixed header included. */
  maxPacketBytes?: number;
  /** The logins of an earlier broker, to restart it with the same passwords; new ones by default. */
  access?: BrokerAccess;
  logger: Logger;
}

export interface EmbeddedBroker {
  /** `mqtt://host:port`, what a client config takes as broker url. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Who may log in and what each may do. */
  readonly access: BrokerAccess;
  /** The login of the fleet's tools (ledger, view, cmd): reads every kiosk, sends cmd and payment/ack. */
  readonly fleetCredentials: BrokerCredentials;
  /** The login of kiosk `kioskId`: its own topics only. */
  credentialsFor(kioskId: string): BrokerCredentials;
  /** Disconnects every client and stops listening; resolves when the port is free. */
  close(): Promise<void>;
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => {
      server.off('listening', onListening);
      reject(error);
    };
    const onListening = () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ host, port, exclusive: true });
  });
}

function closeAedes(broker: Aedes): Promise<void> {
  return new Promise((resolve) => broker.close(() => resolve()));
}

export async function startEmbeddedBroker(options: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  const host = options.host ?? '127.0.0.1';
  const { port: requestedPort } = options;
  if (!Number.isInteger(requestedPort) || requestedPort < 0 || requestedPort > 65_535) {
    throw new KioskError(
      ErrorCode.FleetBrokerStart,
      `embedded broker port must be an integer from 0 to 65535, got ${String(requestedPort)}`,
      { details: { port: requestedPort } },
    );
  }
  const logger = options.logger.child({ component: 'embedded-broker' });
  const maxPacketBytes = options.maxPacketBytes ?? DEFAULT_MAX_PACKET_BYTES;
  const access = options.access ?? new BrokerAccess(options.topicPrefix);
  const identities = new WeakMap<Client, BrokerIdentity>();
  const aedes = await Aedes.createBroker({
    authenticate(client, username, password, done) {
      const identity = access.authenticate(username, password);
      if (identity === undefined) {
        logger.warn({ clientId: client.id, username }, 'client refused: not a login of this broker');
        done(Object.assign(new Error('not authorized'), { returnCode: 5 as const }), false);
        return;
      }
      identities.set(client, identity);
      done(null, true);
    },
    authorizePublish(client, packet, done) {
      const identity = client === null ? undefined : identities.get(client);
      if (identity !== undefined && access.mayPublish(identity, packet.topic)) {
        done(null);
        return;
      }
      logger.warn({ clientId: client?.id, topic: packet.topic }, 'publish refused by the topic rules');
      done(new Error(`publish to ${packet.topic} not allowed`));
    },
    authorizeSubscribe(client, subscription, done) {
      const identity = identities.get(client);
      if (identity !== undefined && access.maySubscribe(identity, subscription.topic)) {
        done(null, subscription);
        return;
      }
      logger.warn(
        { clientId: client.id, topic: subscription.topic },
        'subscription refused by the topic rules',
      );
      // null grants 128 (failure) for this filter; the client stays connected.
      done(null, null);
    },
  });
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    aedes.handle(socket);
    guardMqttPacketSize(socket, maxPacketBytes, (announcedBytes) =>
      logger.warn(
        { remote: socket.remoteAddress, announcedBytes, maxPacketBytes },
        'connection closed: MQTT packet over the size limit',
      ),
    );
  });
  aedes.on('client', (client) => logger.debug({ clientId: client.id }, 'client connected'));
  aedes.on('clientDisconnect', (client) => logger.debug({ clientId: client.id }, 'client disconnected'));
  aedes.on('clientError', (client, error) =>
    logger.debug({ clientId: client.id, err: error.message }, 'client error'),
  );
  aedes.on('connectionError', (client, error) =>
    logger.debug({ clientId: client.id, err: error.message }, 'connection refused'),
  );

  let port: number;
  try {
    port = await listen(server, host, requestedPort);
  } catch (cause) {
    await closeAedes(aedes);
    const errno = (cause as NodeJS.ErrnoException).code;
    const why =
      errno === 'EADDRINUSE'
        ? `port ${requestedPort} is already in use (another broker or kioskd demo?)`
        : errno === 'EADDRNOTAVAIL'
          ? `${host} is not an address of this machine`
          : errno === 'EACCES'
            ? `permission denied for port ${requestedPort}`
            : String(errno ?? cause);
    throw new KioskError(ErrorCode.FleetBrokerStart, `embedded broker cannot listen on ${host}: ${why}`, {
      cause,
      details: { host, port: requestedPort, errno },
    });
  }
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const url = `mqtt://${urlHost}:${port}`;
  logger.info({ url }, 'embedded MQTT broker listening (MQTT 3.1.1, demo and tests only)');

  let closing: Promise<void> | undefined;
  return {
    url,
    host,
    port,
    access,
    fleetCredentials: access.fleetCredentials,
    credentialsFor: (kioskId) => access.credentialsFor(kioskId),
    close() {
      closing ??= (async () => {
        const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        await closeAedes(aedes);
        // A socket that never sent CONNECT is not an Aedes client yet; it would hold the port.
        for (const socket of sockets) socket.destroy();
        await serverClosed;
        logger.info({ url }, 'embedded MQTT broker stopped');
      })();
      return closing;
    },
  };
}
