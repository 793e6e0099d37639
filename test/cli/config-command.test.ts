import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { REPO_ROOT } from '../helpers/cli-process.js';

async function runCli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const status = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { status, out, err };
}

describe('kioskd config', () => {
  it.each(['seeds/kiosk.example.yaml', 'seeds/demo.yaml'])('check passes on %s', async (file) => {
    const r = await runCli(['config', 'check', join(REPO_ROOT, file)]);
    expect(r.err).toEqual([]);
    expect(r.status).toBe(0);
    expect(r.out[0]).toMatch(/: ok \(kioskId [A-Za-z0-9_-]+\)$/);
  });

  it('a typo, a wrong type and a missing field give three path-precise lines and exit 1', async () => {
    const file = join(REPO_ROOT, 'test/fixtures/config/three-problems.yaml');
    const r = await runCli(['config', 'check', file]);
    expect(r.status).toBe(1);
    expect(r.err).toHaveLength(3);
    expect(r.err.some((l) => l.includes('log.levle: unknown key') && l.includes('"level"'))).toBe(true);
    expect(r.err.some((l) => l.includes('api.port: expected an integer from 0 to 65535, got "eighty"'))).toBe(
      true,
    );
    expect(r.err.some((l) => l.includes('kioskId: required'))).toBe(true);
    for (const line of r.err) expect(line.startsWith(`${file}: `)).toBe(true);
  });

  it('a missing file and a YAML syntax error exit 1 with one line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kioskd-cli-'));
    const missing = await runCli(['config', 'check', join(dir, 'nope.yaml')]);
    expect(missing.status).toBe(1);
    expect(missing.err).toHaveLength(1);
    expect(missing.err[0]).toContain('nope.yaml');
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'kioskId: a\nlog: [unclosed\n');
    const syntax = await runCli(['config', 'check', broken]);
    expect(syntax.status).toBe(1);
    expect(syntax.err).toHaveLength(1);
    expect(syntax.err[0]).toMatch(/broken\.yaml: \d+:\d+: /);
  });

  it('schema prints a strict JSON Schema', async () => {
    const r = await runCli(['config', 'schema']);
    expect(r.status).toBe(0);
    const schema = JSON.parse(r.out.join('\n')) as Record<string, unknown>;
    expect(schema['additionalProperties']).toBe(false);
    expect(Object.keys(schema['properties'] as object)).toContain('devices');
  });
});
