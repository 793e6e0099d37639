import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { main } from '../../src/cli/main.js';

/*
 * Every port the daemon listens on, when taken by another program, stops start-up with one line
 * naming the port and the config field that chose it: no stack, exit 1. `demo --config` runs the
 * same start-up as `run` and also allows the embedded broker.
 */
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

async function occupiedPort(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => server.close());
  return (server.address() as { port: number }).port;
}

function configFile(settings: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'kioskd-port-in-use-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'kiosk.yaml');
  writeFileSync(
    file,
    stringify({
      kioskId: 'k-ports',
      dataDir: join(dir, 'var'),
      api: { port: 0 },
      simulators: { controlPort: 0, options: { id003: { timingPreset: 'fast' } } },
      fleet: { enabled: false },
      log: { level: 'error' },
      ...settings,
    }),
  );
  return file;
}

async function runCli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const status = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { status, out, err };
}

describe('kioskd run: a port in use', () => {
  it('names the simulator control port and simulators.controlPort in one line', async () => {
    const port = await occupiedPort();
    const r = await runCli(['demo', '--config', configFile({ simulators: { controlPort: port } })]);
    expect(r.status).toBe(1);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).not.toContain('\n');
    expect(r.err[0]).toContain('simulators.controlPort');
    expect(r.err[0]).toContain(`port ${port}`);
    expect(r.err[0]).toContain('in use');
  }, 30_000);

  it('names the kiosk API port and api.port in one line', async () => {
    const port = await occupiedPort();
    const r = await runCli(['demo', '--config', configFile({ api: { port } })]);
    expect(r.status).toBe(1);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toContain('api.port');
    expect(r.err[0]).toContain(`port ${port}`);
    expect(r.err[0]).toContain('in use');
  }, 30_000);

  it('names the embedded broker port and fleet.embeddedBroker.port in one line', async () => {
    const port = await occupiedPort();
    const r = await runCli([
      'demo',
      '--config',
      configFile({ fleet: { enabled: true, broker: { url: 'embedded' }, embeddedBroker: { port } } }),
    ]);
    expect(r.status).toBe(1);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toContain('fleet.embeddedBroker.port');
    expect(r.err[0]).toContain(`port ${port}`);
    expect(r.err[0]).toContain('in use');
  }, 30_000);
});
