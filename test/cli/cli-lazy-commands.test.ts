import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/cli-process.js';

/**
 * `kioskd run` loads the modules of the command it runs, not of every command: on the compiled
 * CLI, loading them all (fleet monitor with mqtt.js and the ledger, simulators, JSON Schema)
 * cost ~73 MB RSS at start where `run` alone costs ~65 MB.
 */
const RESOLVE_RECORDER = `
  import { appendFileSync } from 'node:fs';
  let file;
  export function initialize(data) { file = data.file; }
  export async function resolve(specifier, context, next) {
    const resolved = await next(specifier, context);
    appendFileSync(file, resolved.url + '\\n');
    return resolved;
  }
`;

/** Runs `main(argv)` in a fresh process; answers every module URL it resolved. */
async function modulesResolvedBy(argv: string[]): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'kioskd-lazy-cli-'));
  try {
    const record = join(dir, 'resolved.txt');
    const mainUrl = pathToFileURL(join(REPO_ROOT, 'src/cli/main.ts')).href;
    const script = `
      import { register } from 'node:module';
      register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(RESOLVE_RECORDER)}), {
        data: { file: ${JSON.stringify(record)} },
      });
      const { main } = await import(${JSON.stringify(mainUrl)});
      const status = await main(${JSON.stringify(argv)}, { out: () => {}, err: () => {} });
      if (status !== 0) process.exit(10 + status);
    `;
    await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: REPO_ROOT,
      timeout: 20_000,
    });
    return readFileSync(record, 'utf8').split('\n').filter(Boolean);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const inRepo = (urls: string[], folder: string) =>
  urls.filter((url) => url.startsWith(pathToFileURL(join(REPO_ROOT, folder)).href));

describe('kioskd: subcommands load on demand', () => {
  it('`run --help` loads the run command, not the fleet monitor, the simulators or the other commands', async () => {
    const resolved = await modulesResolvedBy(['run', '--help']);
    expect(inRepo(resolved, 'src/cli/commands/')).toEqual([
      pathToFileURL(join(REPO_ROOT, 'src/cli/commands/run.ts')).href,
    ]);
    expect(inRepo(resolved, 'src/fleet/')).toEqual([]);
    // The daemon's registry of simulated devices (an empty map on a kiosk) and the printer's and
    // PIN pad's option schemas (the config checks `simulators.options.*`) are the exceptions:
    // no simulator model, line or control server.
    expect(inRepo(resolved, 'simulators/').sort()).toEqual(
      [
        'simulators/epp/options-schema.ts',
        'simulators/epp/timing.ts',
        'simulators/escpos/options-schema.ts',
        'simulators/escpos/timing.ts',
        'simulators/harness/simulator-registry.ts',
      ].map((file) => pathToFileURL(join(REPO_ROOT, file)).href),
    );
    expect(resolved.filter((url) => /\/node_modules\/(mqtt|aedes)\//.test(url))).toEqual([]);
    // Invariant 3: PIN crypto and the account service (the billing side's HSM role) never load in the daemon.
    expect(inRepo(resolved, 'src/accounts/')).toEqual([]);
    expect(inRepo(resolved, 'simulators/epp/crypto/')).toEqual([]);
  }, 30_000);

  it('`accounts --help` loads the account command, not the daemon', async () => {
    const resolved = await modulesResolvedBy(['accounts', '--help']);
    expect(inRepo(resolved, 'src/cli/commands/')).toEqual([
      pathToFileURL(join(REPO_ROOT, 'src/cli/commands/accounts.ts')).href,
    ]);
    expect(inRepo(resolved, 'src/daemon/')).toEqual([]);
    expect(resolved.filter((url) => /\/node_modules\/(mqtt|aedes)\//.test(url))).toEqual([]);
  }, 30_000);

  it('`journal --help` loads the journal command only', async () => {
    const resolved = await modulesResolvedBy(['journal', '--help']);
    expect(inRepo(resolved, 'src/cli/commands/')).toEqual([
      pathToFileURL(join(REPO_ROOT, 'src/cli/commands/journal.ts')).href,
    ]);
    expect(resolved.filter((url) => /\/node_modules\/(mqtt|aedes)\//.test(url))).toEqual([]);
  }, 30_000);

  it('`--help` lists the commands without loading any of them', async () => {
    const resolved = await modulesResolvedBy(['--help']);
    expect(inRepo(resolved, 'src/cli/commands/')).toEqual([]);
  }, 30_000);
});
