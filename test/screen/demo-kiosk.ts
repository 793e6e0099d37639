import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { parse, stringify } from 'yaml';
import { CLI_ENTRY, collectOutput, exitOf, REPO_ROOT, waitForJsonLine } from '../helpers/cli-process.js';

/**
 * The rig the browser tests of the customer screen share: `kioskd demo` run as a child process
 * on a copy of seeds/demo.yaml with free ports, its simulators' control channel, and Debian's
 * chromium driven through playwright-core.
 */

export const CHROMIUM = '/usr/bin/chromium';
export const SCREENS_DIR = join(REPO_ROOT, 'docs', 'screens');

/** One line naming what to install when the browser is missing: the tests never skip. */
export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`missing ${CHROMIUM}: install it with: apt-get install chromium fonts-noto-cjk`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-background-networking', '--disable-component-update'],
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

export interface Demo {
  child: ChildProcess;
  origin: string;
  control: string;
  output: { stdout: string; stderr: string };
}

/** `kioskd demo` on the demo config with fixed free ports (a restart keeps the page's origin). */
export class DemoKiosk {
  readonly dir = mkdtempSync(join(tmpdir(), 'kioskd-screen-'));
  current: Demo | undefined;

  /** `adjust` changes the test's own copy of the demo config (e.g. shorter time-outs). */
  async configure(
    adjust: (config: Record<string, Record<string, unknown>>) => void = () => {},
  ): Promise<void> {
    const demo = parse(readFileSync(join(REPO_ROOT, 'seeds', 'demo.yaml'), 'utf8'));
    const accounts = await freePort();
    demo.api.port = await freePort();
    demo.simulators.controlPort = await freePort();
    demo.fleet.embeddedBroker.port = 0;
    demo.transaction.accountCheck.url = `http://127.0.0.1:${accounts}/v1/account-check`;
    demo.balanceQuery.accountService.url = `http://127.0.0.1:${accounts}`;
    adjust(demo);
    writeFileSync(join(this.dir, 'demo.yaml'), stringify(demo));
  }

  async start(): Promise<Demo> {
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const child = spawn(
      process.execPath,
      ['--import', tsx, CLI_ENTRY, 'demo', '--config', join(this.dir, 'demo.yaml')],
      { cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const output = collectOutput(child);
    const up = await waitForJsonLine(child, (line) => line['msg'] === 'kioskd up', 60_000);
    this.current = {
      child,
      origin: String(up['api']),
      control: `${String(up['simulatorControl'])}/devices`,
      output,
    };
    return this.current;
  }

  /** This boot's API token, as the daemon wrote it for the screen. */
  token(): string {
    return readFileSync(join(this.dir, 'var', 'api-token'), 'utf8').trim();
  }

  async control(device: string, body: object): Promise<unknown> {
    const response = await fetch(`${this.current!.control}/${device}/control`, {
      method: 'POST',
      body: JSON.stringify(body),
    });
    const text = await response.text();
    if (response.status !== 200) throw new Error(`${device} ${JSON.stringify(body)}: ${text}`);
    return JSON.parse(text).result;
  }

  /** Inserts a note, retrying while the acceptor still holds the one before. */
  async insertNote(denomination: number): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await this.control('id003', { action: 'note.insert', denomination });
        return;
      } catch (error) {
        if (!String(error).includes('not drawn in') || Date.now() > deadline) throw error;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.current?.child;
    this.current = undefined;
    if (child === undefined || child.exitCode !== null) return;
    child.kill(signal);
    await exitOf(child);
  }
}
