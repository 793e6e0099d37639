import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCode, isKioskError } from '../../core/errors.js';
import { main } from '../../src/cli/main.js';
import { parseConfig } from '../../src/config/index.js';

async function runCli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const status = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { status, out, err };
}

describe('the embedded broker is for the demo on one machine', () => {
  it('kioskd run refuses fleet.broker.url embedded with one line, before starting anything', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kioskd-run-embedded-'));
    const file = join(dir, 'kiosk.yaml');
    writeFileSync(
      file,
      `kioskId: k-1\ndataDir: ${join(dir, 'data')}\nfleet:\n  enabled: true\n  broker:\n    url: embedded\n`,
    );
    const r = await runCli(['run', '--config', file]);
    expect(r.status).toBe(1);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toContain('fleet.broker.url');
    expect(r.err[0]).toContain('kioskd demo');
  });

  it('kioskd config check passes such a file and says that only kioskd demo runs it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kioskd-check-embedded-'));
    const file = join(dir, 'kiosk.yaml');
    writeFileSync(file, 'kioskId: k-1\nfleet:\n  broker:\n    url: embedded\n');
    const r = await runCli(['config', 'check', file]);
    expect(r.status).toBe(0);
    expect(r.out).toEqual([
      `${file}: ok (kioskId k-1)`,
      `${file}: fleet.broker.url is "embedded": kioskd demo runs this file, kioskd run refuses it`,
    ]);
  });

  it.each(['0.0.0.0', '192.168.1.10', '::', 'example.com'])(
    'the schema refuses fleet.embeddedBroker.host %s, naming the path and the value',
    (host) => {
      let error: unknown;
      try {
        parseConfig({ kioskId: 'k-1', fleet: { embeddedBroker: { host } } }, 'test');
      } catch (caught) {
        error = caught;
      }
      expect(isKioskError(error, ErrorCode.ConfigInvalid)).toBe(true);
      const problems = (error as { details: { problems: string[] } }).details.problems;
      expect(problems).toHaveLength(1);
      expect(problems[0]).toContain('fleet.embeddedBroker.host');
      expect(problems[0]).toContain('loopback');
      expect(problems[0]).toContain(JSON.stringify(host));
    },
  );

  it.each(['127.0.0.1', '::1', 'localhost'])('the schema takes the loopback host %s', (host) => {
    const config = parseConfig({ kioskId: 'k-1', fleet: { embeddedBroker: { host } } }, 'test');
    expect(config.fleet.embeddedBroker.host).toBe(host);
  });
});
