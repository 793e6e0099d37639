import { request } from 'node:http';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../core/errors.js';
import { EchoModel } from '../../../simulators/echo/echo-model.js';
import { type ControlServer, startControlServer } from '../../../simulators/harness/control-server.js';
import { ManualClock } from '../../../simulators/harness/manual-clock.js';
import { SimulatorHost } from '../../../simulators/harness/simulator-host.js';
import { SimulatorRegistry } from '../../../simulators/harness/simulator-registry.js';
import { createLogger } from '../../../src/log.js';

const servers: ControlServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

function newHost(name?: string) {
  return new SimulatorHost(new EchoModel(), { clock: new ManualClock(), seed: 5, ...(name ? { name } : {}) });
}

async function serve(devices: SimulatorHost | SimulatorRegistry) {
  const server = await startControlServer({ devices });
  servers.push(server);
  return server;
}

interface ReplyBody {
  ok?: boolean;
  error?: { code: number; message: string };
  name?: string;
  model?: { power?: string };
  [key: string]: unknown;
}

interface Reply {
  status: number;
  body: ReplyBody;
}

async function call(url: string, method: string, body?: string): Promise<Reply> {
  const response = await fetch(url, {
    method,
    ...(body === undefined ? {} : { body, headers: { 'content-type': 'application/json' } }),
  });
  return { status: response.status, body: (await response.json()) as ReplyBody };
}

/** Streams a body without a content-length, to exercise the running size check. */
function chunkedPost(url: string, size: number): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'transfer-encoding': 'chunked' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) }),
      );
    });
    req.on('error', reject);
    const piece = Buffer.alloc(8 * 1024, 0x20);
    for (let sent = 0; sent < size; sent += piece.length) req.write(piece);
    req.end();
  });
}

describe('control server for one host', () => {
  it('listens on 127.0.0.1 and serves the snapshot', async () => {
    const host = newHost();
    const { url } = await serve(host);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const reply = await call(`${url}/state`, 'GET');
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual(JSON.parse(JSON.stringify(host.snapshot())));
    expect(reply.body).toMatchObject({ kind: 'echo', cable: 'plugged', model: { power: 'on' } });
  });

  it('applies harness and model actions', async () => {
    const host = newHost();
    const { url } = await serve(host);
    expect(await call(`${url}/control`, 'POST', JSON.stringify({ action: 'cable.unplug' }))).toEqual({
      status: 200,
      body: { ok: true, result: { cable: 'unplugged' } },
    });
    expect(host.cable).toBe('unplugged');
    const line = await call(`${url}/control`, 'POST', JSON.stringify({ action: 'line.set', dropRate: 0.25 }));
    expect(line.body).toMatchObject({ ok: true, result: { line: { dropRate: 0.25 } } });
    const mute = await call(`${url}/control`, 'POST', JSON.stringify({ action: 'mute', on: true }));
    expect(mute.body).toMatchObject({ ok: true, result: { muted: true } });
    expect(host.snapshot()).toMatchObject({
      cable: 'unplugged',
      line: { dropRate: 0.25 },
      model: { muted: true },
    });
  });

  it('answers 400 naming what was wrong, and changes nothing', async () => {
    const host = newHost();
    const { url } = await serve(host);
    const before = (await call(`${url}/state`, 'GET')).body;
    const cases: [string, string][] = [
      ['{"action": "cable.unplug"', 'JSON'],
      ['{"action": "levitate"}', 'levitate'],
      ['{"action": "mute", "on": "loud"}', 'on'],
      ['{"action": "line.set", "corruptRate": 7}', 'corruptRate'],
      ['{"action": "cable.unplug", "force": true}', 'force'],
      ['[1, 2]', 'action'],
      ['', 'JSON'],
    ];
    for (const [body, named] of cases) {
      const reply = await call(`${url}/control`, 'POST', body);
      expect(reply.status, body).toBe(400);
      expect(reply.body.ok).toBe(false);
      expect(reply.body.error!.code).toBe(ErrorCode.SimBadControl);
      expect(reply.body.error!.message).toContain(named);
      expect((await call(`${url}/state`, 'GET')).body).toEqual(before);
    }
  });

  it('answers 404 for other paths and 405 for wrong methods', async () => {
    const { url } = await serve(newHost());
    for (const path of ['/', '/status', '/state/x', '/devices/echo/reset', '/devices/x/y/z']) {
      const reply = await call(`${url}${path}`, 'GET');
      expect(reply.status, path).toBe(404);
      expect(reply.body.error!.code).toBe(ErrorCode.ApiNotFound);
    }
    expect((await call(`${url}/state`, 'POST', '{}')).status).toBe(405);
    expect((await call(`${url}/control`, 'GET')).status).toBe(405);
  });

  it('answers 413 for a body over 64 KiB, declared or streamed, and changes nothing', async () => {
    const host = newHost();
    const { url } = await serve(host);
    const before = JSON.stringify(host.snapshot());
    const big = JSON.stringify({ action: 'mute', on: true, pad: 'x'.repeat(70 * 1024) });
    const declared = await call(`${url}/control`, 'POST', big);
    expect(declared.status).toBe(413);
    expect(declared.body.error!.code).toBe(ErrorCode.SimBadControl);
    const streamed = await chunkedPost(`${url}/control`, 80 * 1024);
    expect(streamed.status).toBe(413);
    expect(JSON.stringify(host.snapshot())).toBe(before);
    // The server is still there for the next request.
    expect((await call(`${url}/state`, 'GET')).status).toBe(200);
  });
});

describe('control server for several hosts', () => {
  it('lists devices and routes by name', async () => {
    const registry = new SimulatorRegistry();
    const left = newHost('left');
    const right = newHost('right');
    registry.register('left', left);
    registry.register('right', right);
    const { url } = await serve(registry);

    expect(await call(`${url}/devices`, 'GET')).toEqual({
      status: 200,
      body: {
        devices: [
          { name: 'left', kind: 'echo', cable: 'plugged' },
          { name: 'right', kind: 'echo', cable: 'plugged' },
        ],
      },
    });
    const reply = await call(`${url}/devices/right/control`, 'POST', '{"action":"power.cut"}');
    expect(reply.body).toMatchObject({ ok: true, result: { power: 'off' } });
    expect((await call(`${url}/devices/right/state`, 'GET')).body.model!.power).toBe('off');
    expect((await call(`${url}/devices/left/state`, 'GET')).body.model!.power).toBe('on');

    const unknown = await call(`${url}/devices/middle/state`, 'GET');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error!.code).toBe(ErrorCode.SimUnknownDevice);
    expect(unknown.body.error!.message).toContain('left');

    // Without a name, several devices are ambiguous.
    const ambiguous = await call(`${url}/state`, 'GET');
    expect(ambiguous.status).toBe(404);
    expect(ambiguous.body.error!.message).toContain('/devices/');
  });

  it('answers a malformed percent-encoding in a device name with 400 naming the path, logging no error', async () => {
    const lines: Array<{ level: number; msg: string }> = [];
    const sink = new PassThrough();
    sink.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line));
    });
    const registry = new SimulatorRegistry();
    registry.register('left', newHost('left'));
    const server = await startControlServer({
      devices: registry,
      logger: createLogger({ level: 'info', destination: sink }),
    });
    servers.push(server);
    const reply = await call(`${server.url}/devices/%E0%A4%A/state`, 'GET');
    expect(reply.status).toBe(400);
    expect(reply.body.error!.code).toBe(ErrorCode.SimBadControl);
    expect(reply.body.error!.message).toContain('/devices/%E0%A4%A/state');
    expect(lines.filter((line) => line.level >= 50)).toEqual([]);
  });

  it('sees devices registered after it started', async () => {
    const registry = new SimulatorRegistry();
    const { url } = await serve(registry);
    expect((await call(`${url}/devices`, 'GET')).body).toEqual({ devices: [] });
    registry.register('late', newHost('late'));
    expect((await call(`${url}/devices/late/state`, 'GET')).status).toBe(200);
    expect((await call(`${url}/state`, 'GET')).body.name).toBe('late');
  });
});
