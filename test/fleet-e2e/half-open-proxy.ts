import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';

/**
 * A TCP relay to the broker that turns a client's disappearance into a half-open connection:
 * when the client's side closes (its process was SIGKILLed), the broker's side stays open and
 * silent, as when a kiosk loses power or its uplink and no FIN ever reaches the broker. The
 * broker then notices only at its keepalive timeout, and publishes the Will late. TLS passes
 * through untouched (the relay only copies bytes).
 */
export interface HalfOpenProxy {
  port: number;
  /** Broker-side sockets still open whose client is gone. */
  readonly dangling: number;
  close(): Promise<void>;
}

export async function startHalfOpenProxy(brokerPort: number): Promise<HalfOpenProxy> {
  const upstreams = new Set<Socket>();
  let dangling = 0;
  const server: Server = createServer((client) => {
    const upstream = tcpConnect({ host: '127.0.0.1', port: brokerPort });
    upstreams.add(upstream);
    client.on('data', (chunk) => upstream.write(chunk));
    upstream.on('data', (chunk) => {
      if (!client.destroyed) client.write(chunk);
    });
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
    client.once('close', () => {
      if (!upstream.destroyed) dangling++;
    });
    upstream.once('close', () => {
      upstreams.delete(upstream);
      if (client.destroyed) dangling--;
      else client.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  return {
    port: address.port,
    get dangling() {
      return dangling;
    },
    async close() {
      for (const socket of upstreams) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
