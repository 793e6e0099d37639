import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { CLI_ENTRY, collectOutput, exitOf, REPO_ROOT, waitForJsonLine } from '../helpers/cli-process.js';

/**
 * The README's top-up by hand, run as written (issue 10, F13): its shell block is taken from
 * README.md and run with bash against `kioskd demo`, started on the demo config with free ports
 * and its data in a scratch directory. The block reads its addresses from API, SIM, BROKER and
 * KIOSKD when they are set, which is all this test changes.
 */

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** The README's shell block that confirms a top-up. */
function readmeTopUpBlock(): string {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const block = blocks.find((b) => b.includes('/topups/current/confirm'));
  if (block === undefined) throw new Error('README.md has no sh block with the top-up sequence');
  return block;
}

/** The README's balance query, run after the top-up in the same shell (it reuses its variables). */
function readmeBalanceQueryBlock(): string {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const block = blocks.find((b) => b.includes('/balance-queries/current/account'));
  if (block === undefined) throw new Error('README.md has no sh block with the balance query');
  return block;
}

function runBash(script: string, cwd: string, env: Record<string, string>, timeoutMs: number) {
  const child = spawn('bash', ['-c', script], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = collectOutput(child);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return exitOf(child).then((exit) => {
    clearTimeout(timer);
    return { ...exit, ...output };
  });
}

describe("README's top-up sequence", () => {
  it('runs as pasted against the demo and confirms a payment', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kioskd-readme-'));
    dirs.push(dir);
    const demo = parse(readFileSync(join(REPO_ROOT, 'seeds', 'demo.yaml'), 'utf8'));
    demo.api.port = 0;
    demo.simulators.controlPort = 0;
    demo.fleet.embeddedBroker.port = 0;
    writeFileSync(join(dir, 'demo.yaml'), stringify(demo));
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const kioskd = ['--import', tsx, CLI_ENTRY];
    // In the scratch directory, as a user runs `npm start` in theirs: data under ./var.
    const daemon = spawn(process.execPath, [...kioskd, 'demo', '--config', join(dir, 'demo.yaml')], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const daemonOutput = collectOutput(daemon);
    try {
      const up = await waitForJsonLine(daemon, (line) => line['msg'] === 'kioskd up', 60_000);
      const broker = daemonOutput.stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .find((line) => String(line['msg']).startsWith('embedded MQTT broker listening'));
      expect(broker, 'the embedded broker logs its address').toBeDefined();

      const result = await runBash(
        `${readmeTopUpBlock()}\n${readmeBalanceQueryBlock()}`,
        dir,
        {
          API: `${String(up['api'])}/api/v1`,
          SIM: `${String(up['simulatorControl'])}/devices/id003/control`,
          BROKER: String(broker!['url']),
          KIOSKD: [process.execPath, ...kioskd].join(' '),
        },
        90_000,
      );
      // curl prints each answer without a newline: one answer per line again.
      const answers = result.stdout
        .replace(/\}(?=\{|event:)/g, '}\n')
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      const confirmed = answers.find((a) => a['state'] === 'done');
      expect(confirmed, `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`).toBeDefined();
      expect(confirmed).toMatchObject({ total: 5000, kind: 'complete' });
      expect(String(confirmed!['paymentId'])).toMatch(/^[0-9A-Z]{26}$/);
      // Every API answer was a success: no refusal on the way.
      expect(answers.filter((a) => 'error' in a)).toEqual([]);
      // The balance query: shown, with a count of digits and no digit of the password.
      const balance = answers.find((a) => a['state'] === 'showingBalance');
      expect(balance, `stdout:\n${result.stdout}`).toMatchObject({ digitsEntered: 6 });
      expect(Number.isSafeInteger(balance!['balanceFen'])).toBe(true);
      expect(result.stdout).not.toContain('246810');
      // The SSE stream's snapshot, then what the fleet sees.
      expect(result.stdout).toContain('event: snapshot');
      expect(result.stdout).toContain('demo-0001');
    } finally {
      daemon.kill('SIGTERM');
      await exitOf(daemon);
    }
  }, 180_000);
});
