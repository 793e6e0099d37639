import { createServer, type Server, type Socket } from 'node:net';
import { Aedes } from 'aedes';
import { ErrorCode, KioskError } from '../../core/errors.js';
import type { Logger } from '../log.js';

/**
 * An MQTT broker inside the kioskd process, for `kioskd demo` and the tests: Aedes on a plain
 * TCP listener, MQTT 3.1.1 (and 3.1) only, in-memory, no authentication, no TLS. It is not a
 * production broker: it holds retained messages and sessions in memory only, does not honour
 * `$share/...` shared subscriptions, and has no ACL. A fleet runs Mosquitto or a clustered
 * broker (see docs/fleet-brokers.md).
 */
export interface EmbeddedBrokerOptions {
  /** Loopback by default: the demo broker must not be reachable from the network. */
  host?: string;
  /** 0 picks a free port; the chosen one is in the result. */
  port: number;
  logger: Logger;
}

export interface EmbeddedBroker {
  /** `mqtt://host:port`, what a client config takes as broker url. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
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
  const aedes = await Aedes.createBroker();
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    aedes.handle(socket);
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
