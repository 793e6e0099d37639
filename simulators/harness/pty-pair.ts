import { type ChildProcess, spawn } from 'node:child_process';
import { lstat, mkdir, mkdtemp, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ErrorCode, KioskError } from '../../core/errors.js';

/**
 * Two linked pseudo-terminals made by socat: the daemon opens `hostPath` like a real serial
 * port, a simulator serves `devicePath`. Killing socat is the closest a test can get to
 * pulling the cable: both ends hang up and the paths dangle until socat comes back.
 */
export interface PtyPair {
  readonly hostPath: string;
  readonly devicePath: string;
  /** Stops socat (it removes its links) and removes the directory if openPtyPair made it. */
  close(): Promise<void>;
  /** SIGKILLs socat without letting it clean up: the cable is pulled. */
  kill(): void;
  /** Starts a new socat with the same link paths (the cable goes back in); resolves when both exist. */
  restart(): Promise<void>;
}

export interface OpenPtyPairOptions {
  /** Directory for the `host` and `device` links; a fresh temporary one when omitted. */
  dir?: string;
  /** How long socat may take to create both links (default 5000 ms). */
  readyTimeoutMs?: number;
}

const SOCAT = 'socat';
const READY_LINE = 'starting data transfer loop';
/** socat exits at once on SIGTERM; a hung one must not hold up a test's teardown. */
const TERM_GRACE_MS = 1_000;

function missingSocat(): KioskError {
  return new KioskError(ErrorCode.SimToolMissing, 'missing tool: socat (apt-get install socat)', {
    details: { tool: SOCAT, debianPackage: 'socat' },
  });
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

async function unlinkIfPresent(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

class SocatPtyPair implements PtyPair {
  readonly hostPath: string;
  readonly devicePath: string;
  readonly #dir: string;
  readonly #ownsDir: boolean;
  readonly #readyTimeoutMs: number;
  #child: ChildProcess | undefined;
  #closed: Promise<void> | undefined;
  /** Kills socat if the test process dies first: an orphan socat would hold the ptys for ever. */
  readonly #onExit = (): void => {
    this.#child?.kill('SIGKILL');
  };

  constructor(dir: string, ownsDir: boolean, readyTimeoutMs: number) {
    this.#dir = dir;
    this.#ownsDir = ownsDir;
    this.#readyTimeoutMs = readyTimeoutMs;
    this.hostPath = join(dir, 'host');
    this.devicePath = join(dir, 'device');
  }

  async start(): Promise<void> {
    // A SIGKILLed socat leaves its links behind; socat would refuse to replace them.
    await unlinkIfPresent(this.hostPath);
    await unlinkIfPresent(this.devicePath);
    const child = spawn(
      SOCAT,
      ['-d', '-d', `pty,raw,echo=0,link=${this.hostPath}`, `pty,raw,echo=0,link=${this.devicePath}`],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    this.#child = child;
    process.once('exit', this.#onExit);
    await new Promise<void>((resolveReady, rejectReady) => {
      let stderr = '';
      let settled = false;
      const finish = (error?: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error) rejectReady(error);
        else resolveReady();
      };
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        finish(
          new KioskError(
            ErrorCode.SimPtyFailed,
            `socat did not create ${this.hostPath} and ${this.devicePath} within ${this.#readyTimeoutMs} ms`,
            { details: { stderr: stderr.slice(-500) } },
          ),
        );
      }, this.#readyTimeoutMs);
      child.once('error', (error: NodeJS.ErrnoException) => {
        finish(error.code === 'ENOENT' ? missingSocat() : error);
      });
      child.once('exit', (code, signal) => {
        const last = stderr.trim().split('\n').at(-1) ?? '';
        finish(
          new KioskError(
            ErrorCode.SimPtyFailed,
            `socat exited (${signal ?? `code ${code}`}) before the ptys were ready: ${last}`,
            {
              details: { code, signal, stderr: stderr.slice(-500) },
            },
          ),
        );
      });
      child.stderr?.setEncoding('utf8');
      child.stderr?.on('data', (text: string) => {
        // Keep only the tail: socat -d -d is chatty over a long test.
        stderr = (stderr + text).slice(-4096);
        if (!settled && stderr.includes(READY_LINE)) {
          void Promise.all([exists(this.hostPath), exists(this.devicePath)]).then(([host, device]) => {
            if (host && device) finish();
          });
        }
      });
    }).catch((error: unknown) => {
      process.off('exit', this.#onExit);
      this.#child = undefined;
      throw error;
    });
  }

  kill(): void {
    this.#child?.kill('SIGKILL');
  }

  async restart(): Promise<void> {
    if (this.#closed) {
      throw new KioskError(ErrorCode.SimPtyFailed, `pty pair in ${this.#dir} is closed and cannot restart`);
    }
    await this.#stopSocat('SIGKILL');
    await this.start();
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      await this.#stopSocat('SIGTERM');
      await unlinkIfPresent(this.hostPath);
      await unlinkIfPresent(this.devicePath);
      if (this.#ownsDir) await rm(this.#dir, { recursive: true, force: true });
    })();
    return this.#closed;
  }

  async #stopSocat(signal: NodeJS.Signals): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#child = undefined;
    process.off('exit', this.#onExit);
    const done = exited(child);
    child.kill(signal);
    const grace = setTimeout(() => child.kill('SIGKILL'), TERM_GRACE_MS);
    await done;
    clearTimeout(grace);
  }
}

/** Starts socat with two linked ptys and resolves once both link paths exist. */
export async function openPtyPair(options: OpenPtyPairOptions = {}): Promise<PtyPair> {
  const readyTimeoutMs = options.readyTimeoutMs ?? 5_000;
  if (!Number.isFinite(readyTimeoutMs) || readyTimeoutMs <= 0) {
    throw new KioskError(
      ErrorCode.SimPtyFailed,
      `readyTimeoutMs must be a positive number, got ${readyTimeoutMs}`,
    );
  }
  let dir: string;
  let ownsDir: boolean;
  if (options.dir === undefined) {
    dir = await mkdtemp(join(tmpdir(), 'kioskd-pty-'));
    ownsDir = true;
  } else {
    if (typeof options.dir !== 'string' || options.dir === '') {
      throw new KioskError(ErrorCode.SimPtyFailed, 'dir must be a non-empty path');
    }
    dir = resolve(options.dir);
    await mkdir(dir, { recursive: true });
    ownsDir = false;
  }
  const pair = new SocatPtyPair(dir, ownsDir, readyTimeoutMs);
  try {
    await pair.start();
  } catch (error) {
    if (ownsDir) await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return pair;
}
