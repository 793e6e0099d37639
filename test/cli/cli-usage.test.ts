import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { KIOSKD_VERSION } from '../../src/version.js';

async function runCli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const status = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { status, out: out.join('\n'), err };
}

describe('kioskd usage', () => {
  it('prints the package version', async () => {
    const r = await runCli(['--version']);
    expect(r.status).toBe(0);
    expect(r.out).toBe(KIOSKD_VERSION);
    expect(KIOSKD_VERSION).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('lists every command in --help', async () => {
    const r = await runCli(['--help']);
    expect(r.status).toBe(0);
    for (const command of ['run', 'demo', 'config', 'sim'])
      expect(r.out).toMatch(new RegExp(`^  ${command} `, 'm'));
  });

  it.each([
    [['run', '--help']],
    [['demo', '--help']],
    [['config', '--help']],
    [['config', 'check', '--help']],
    [['config', 'schema', '--help']],
    [['sim', '--help']],
  ])('%j prints usage and exits 0', async (args) => {
    const r = await runCli(args);
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/^Usage: kioskd /m);
    expect(r.err).toEqual([]);
  });

  it.each([
    [[], 'missing command'],
    [['frobnicate'], 'unknown command "frobnicate"'],
    [['run'], 'missing --config FILE'],
    [['run', '--config'], "--config <value>' argument missing"],
    [['run', '--cofnig', 'x.yaml'], "'--cofnig'"],
    [['run', '--config', 'a.yaml', 'extra'], 'unexpected argument "extra"'],
    [['config'], 'missing action'],
    [['config', 'lint', 'x'], 'unknown action "lint"'],
    [['config', 'check'], 'missing FILE'],
    [['config', 'check', 'a', 'b'], 'unexpected argument "b"'],
    [['config', 'schema', 'x'], 'unexpected argument "x"'],
    [['sim'], 'missing <device>'],
    [['sim', 'toaster', '--pty'], 'unknown device "toaster"'],
    [['sim', 'echo'], 'exactly one of --pty or --port'],
    [['sim', 'echo', '--pty', '--port', '/dev/ttyUSB1'], 'exactly one of --pty or --port'],
    [['sim', 'echo', '--port', 'ttyUSB1'], '--port expects an absolute serial device path'],
    [
      ['sim', 'echo', '--pty', '--control-port', '99999'],
      '--control-port expects an integer from 0 to 65535',
    ],
    [['sim', 'echo', '--pty', '--log-level', 'loud'], '--log-level expects one of'],
    [['sim', 'id003', '--pty', '--timing', 'warp'], 'timingPreset'],
    [['sim', 'id003', '--pty', '--timing-ms', 'stackingMs'], '--timing-ms expects FIELD=MS'],
    [['sim', 'id003', '--pty', '--timing-ms', 'stakingMs=4'], 'stakingMs'],
  ])('bad usage %j exits 2 with one line naming %s', async (args, fragment) => {
    const r = await runCli(args);
    expect(r.status).toBe(2);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toContain(fragment);
  });
});
