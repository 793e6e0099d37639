import { statSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { MAX_DIAG_LINE_BYTES } from '../../src/service-mode/diag-request.js';
import { type DiagServer, startDiagServer } from '../../src/service-mode/diag-server.js';
import { GOOD_PASSWORD, type ServiceFixture, serviceFixture } from './service-fixtures.js';

// biome-ignore lint/suspicious/noExplicitAny: replies of many shapes, each checked by expect()
type Reply = Record<string, any>;

/** A raw client on the socket: lines out, JSON lines in. */
class RawClient {
  readonly replies: Reply[] = [];
  #buffer = '';
  #waiters: Array<() => void> = [];
  constructor(readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.#buffer += chunk;
      for (let i = this.#buffer.indexOf('\n'); i >= 0; i = this.#buffer.indexOf('\n')) {
        this.replies.push(JSON.parse(this.#buffer.slice(0, i)) as Reply);
        this.#buffer = this.#buffer.slice(i + 1);
      }
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }
  static async open(path: string): Promise<RawClient> {
    const socket = connect(path);
    await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    return new RawClient(socket);
  }
  /** Sends raw bytes and resolves with the next reply that is not an event. */
  async send(raw: string): Promise<Reply> {
    const seen = this.replies.length;
    this.socket.write(raw);
    const deadline = Date.now() + 5_000;
    for (;;) {
      const reply = this.replies.slice(seen).find((r) => !('event' in r));
      if (reply !== undefined) {
        this.replies.splice(this.replies.indexOf(reply), 1);
        return reply;
      }
      if (Date.now() > deadline) throw new Error(`no reply to ${raw.slice(0, 80)}`);
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }
  request(body: Record<string, unknown>): Promise<Reply> {
    return this.send(`${JSON.stringify(body)}\n`);
  }
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function diagRig(): Promise<{ fixture: ServiceFixture; server: DiagServer; client: RawClient }> {
  const fixture = await serviceFixture();
  cleanups.push(() => fixture.close());
  const server = await startDiagServer({
    path: join(fixture.dir, 'diag.sock'),
    group: 'kioskd-no-such-group',
    service: fixture.service,
    logger: silentLogger(),
  });
  cleanups.push(() => server.close());
  const client = await RawClient.open(server.path);
  cleanups.push(() => {
    client.socket.destroy();
  });
  return { fixture, server, client };
}

/** What a refusal must leave alone: the journal's audit trail and the kiosk's mode. */
function untouched(fixture: ServiceFixture) {
  return {
    audit: fixture.journal.summary().auditEntries,
    mode: fixture.ports.mode,
    calls: [...fixture.ports.calls],
  };
}

describe('kioskd diag socket', () => {
  it('is a socket of mode 0660', async () => {
    const { server } = await diagRig();
    const stat = statSync(server.path);
    expect(stat.isSocket()).toBe(true);
    expect(stat.mode & 0o777).toBe(0o660);
  });

  it('refuses bad requests with a clear error and changes nothing, and the connection goes on', async () => {
    const { fixture, client } = await diagRig();
    const before = untouched(fixture);
    expect(await client.send(`${'x'.repeat(MAX_DIAG_LINE_BYTES + 10)}\n`)).toMatchObject({
      ok: false,
      error: { code: 'tooLong' },
    });
    // A line longer than the bound that arrives in pieces is refused once and dropped to its newline.
    const refusedPieces = client.send('{"cmd":"status",'.padEnd(MAX_DIAG_LINE_BYTES + 100, ' '));
    expect(await refusedPieces).toMatchObject({ ok: false, error: { code: 'tooLong' } });
    client.socket.write(`${' '.repeat(5000)}"junk":1}\n`);
    expect(await client.send('{not json\n')).toMatchObject({ ok: false, error: { code: 'badJson' } });
    expect(await client.request({ id: 3, cmd: 'status', extra: true })).toMatchObject({
      id: 3,
      ok: false,
      error: { code: 'badRequest', message: expect.stringContaining('extra') },
    });
    expect(await client.request({ id: 4, cmd: 'status', password: 'x' })).toMatchObject({
      ok: false,
      error: { code: 'badRequest', message: 'password: only a login carries one' },
    });
    expect(await client.request({ id: 5, cmd: 'test-printer' })).toMatchObject({
      id: 5,
      ok: false,
      error: { code: 'noSession' },
    });
    expect(await client.request({ id: 6, cmd: 'login', args: ['t-001'] })).toMatchObject({
      ok: false,
      error: { code: 'badArgs' },
    });
    expect(untouched(fixture)).toEqual(before);
    // Still usable after all that.
    expect(await client.request({ id: 7, cmd: 'status' })).toEqual({
      id: 7,
      ok: true,
      result: { kioskMode: 'inService', serviceMode: 'off' },
    });
  });

  it('refuses an unknown command in a session, audited, with the mode unchanged', async () => {
    const { fixture, client } = await diagRig();
    expect(
      await client.request({ id: 1, cmd: 'login', args: ['t-001'], password: GOOD_PASSWORD }),
    ).toMatchObject({
      ok: true,
      result: { technician: 't-001', serviceMode: 'active' },
    });
    const before = untouched(fixture);
    expect(await client.request({ id: 2, cmd: 'format-disk' })).toMatchObject({
      ok: false,
      error: { code: 'unknownCommand', message: expect.stringContaining('format-disk') },
    });
    expect(await client.request({ id: 3, cmd: 'mode', args: ['inService', 'now'] })).toMatchObject({
      ok: false,
      error: { code: 'badArgs' },
    });
    expect(fixture.ports.mode).toBe(before.mode);
    expect(fixture.ports.calls).toEqual(before.calls);
  });

  it('rate-limits a flood before parsing it', async () => {
    const { client } = await diagRig();
    client.socket.write('{"cmd":"status"}\n'.repeat(40));
    await new Promise((resolve) => setTimeout(resolve, 500));
    const limited = client.replies.filter((r) => r.error?.code === 'rateLimited' || r.error?.code === 'busy');
    expect(limited.length).toBeGreaterThan(20);
    expect(client.replies.filter((r) => r.ok === true).length).toBeLessThanOrEqual(12);
  });

  it('ends the session when the console disconnects, restoring the mode', async () => {
    const { fixture, client } = await diagRig();
    fixture.ports.mode = 'outOfService';
    await client.request({ id: 1, cmd: 'login', args: ['t-001'], password: GOOD_PASSWORD });
    expect(fixture.ports.mode).toBe('maintenance');
    client.socket.destroy();
    const deadline = Date.now() + 2_000;
    while (fixture.service.session !== undefined && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    expect(fixture.service.session).toBeUndefined();
    expect(fixture.ports.mode).toBe('outOfService');
    expect(fixture.journal.audit.tail(1)[0]).toMatchObject({
      action: 'service.exit',
      details: { reason: 'disconnected' },
    });
  });
});
