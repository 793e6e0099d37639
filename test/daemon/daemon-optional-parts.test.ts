import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { type KioskConfigInput, parseConfig } from '../../src/config/index.js';
import { startDaemon } from '../../src/daemon/daemon.js';
import { silentLogger } from '../../src/log.js';
import { REPO_ROOT } from '../helpers/cli-process.js';

/**
 * The daemon loads what only some configs use (simulators, native serial bindings, MQTT, the
 * embedded broker) when the config asks for it: each costs megabytes of resident memory a
 * field kiosk would otherwise carry for nothing. And the simulated line's wire time comes
 * from the config.
 */
const OPTIONAL_PACKAGES = ['mqtt', 'aedes', '@serialport/bindings-cpp'] as const;

function configIn(dir: string, overrides: Partial<KioskConfigInput> = {}): KioskConfigInput {
  return {
    kioskId: 'lazy-1',
    dataDir: join(dir, 'var'),
    devices: { cashAcceptor: { port: 'sim:id003', pollIntervalMs: 100 } },
    simulators: { controlPort: 0, options: { id003: { timingPreset: 'fast' } } },
    api: { port: 0 },
    fleet: { enabled: false },
    ...overrides,
  };
}

/** Records every module the process resolves, ESM and CommonJS packages alike, into a file. */
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

/** Starts and stops the daemon in a fresh process; answers which optional packages it loaded. */
async function packagesLoadedBy(config: KioskConfigInput, dir: string): Promise<string[]> {
  const url = (path: string) => JSON.stringify(pathToFileURL(join(REPO_ROOT, path)).href);
  const record = join(dir, 'resolved.txt');
  const script = `
    import { register } from 'node:module';
    register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(RESOLVE_RECORDER)}), {
      data: { file: ${JSON.stringify(record)} },
    });
    const { startDaemon } = await import(${url('src/daemon/daemon.ts')});
    const { parseConfig } = await import(${url('src/config/index.ts')});
    const { silentLogger } = await import(${url('src/log.ts')});
    const config = parseConfig(${JSON.stringify(config)}, 'lazy test');
    const daemon = await startDaemon({ config, configPath: 'lazy test', logger: silentLogger() });
    await daemon.stop();
  `;
  await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: REPO_ROOT,
    timeout: 20_000,
  });
  const resolved = readFileSync(record, 'utf8');
  return OPTIONAL_PACKAGES.filter((name) => resolved.includes(`/node_modules/${name}/`));
}

describe('daemon: optional parts', () => {
  it('loads neither MQTT, Aedes nor the native serial bindings for a simulated acceptor without a fleet', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kioskd-lazy-'));
    try {
      expect(await packagesLoadedBy(configIn(dir), dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it('loads MQTT and Aedes when the fleet runs on the embedded broker', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kioskd-lazy-'));
    try {
      const loaded = await packagesLoadedBy(
        configIn(dir, { fleet: { enabled: true, embeddedBroker: { port: 0 } } }),
        dir,
      );
      expect(loaded).toEqual(['mqtt', 'aedes']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it('gives the simulated line the configured wire time and the model the rest of its options', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kioskd-lazy-'));
    const config = parseConfig(
      configIn(dir, {
        simulators: {
          controlPort: 0,
          options: { id003: { timingPreset: 'fast', wireTime: false, timing: { stackingMs: 4 } } },
        },
      }),
      'test',
    );
    const daemon = await startDaemon({ config, configPath: 'test', logger: silentLogger() });
    try {
      expect(daemon.simulators.get('id003')?.snapshot().line.wireTime).toBe(false);
    } finally {
      await daemon.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    const paced = parseConfig(configIn(dir), 'test');
    const second = await startDaemon({ config: paced, configPath: 'test', logger: silentLogger() });
    try {
      expect(second.simulators.get('id003')?.snapshot().line.wireTime).toBe(true);
    } finally {
      await second.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
