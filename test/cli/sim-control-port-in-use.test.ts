import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';

const servers: Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

describe('kioskd sim: the control port in use', () => {
  it('stops with one line naming --control-port and the port, before opening any pty', async () => {
    const server = createServer();
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const err: string[] = [];
    const status = await main(
      ['sim', 'id003', '--pty', '--control-port', String(port), '--log-level', 'error'],
      {
        out: () => {},
        err: (line) => err.push(line),
      },
    );
    expect(status).toBe(1);
    expect(err).toHaveLength(1);
    expect(err[0]).not.toContain('\n');
    expect(err[0]).toContain('--control-port');
    expect(err[0]).toContain(`port ${port}`);
    expect(err[0]).toContain('in use');
  }, 30_000);
});
