import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI_ENTRY = fileURLToPath(new URL('../../src/cli/bin.ts', import.meta.url));

export type JsonLine = Record<string, unknown>;

interface Waiter {
  predicate: (line: JsonLine) => boolean;
  resolve: (line: JsonLine) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** Lines of stderr kept for a failure message: enough to see why a process died. */
const STDERR_TAIL = 40;

/**
 * A `kioskd` child process whose stdout is JSON lines (pino logs, the simulator's ready line).
 * Every line goes to the listeners as it arrives, which is what lets the crash harness time a
 * SIGKILL a few milliseconds after the daemon logged a step of a note's life.
 */
export class JsonLineProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly #listeners = new Set<(line: JsonLine) => void>();
  readonly #waiters = new Set<Waiter>();
  readonly #stderr: string[] = [];
  #exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  constructor(args: string[], options: { env?: NodeJS.ProcessEnv } = {}) {
    this.child = spawn(process.execPath, ['--import', 'tsx', CLI_ENTRY, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.#exit = { code, signal };
        for (const waiter of this.#waiters) {
          clearTimeout(waiter.timer);
          waiter.reject(
            new Error(
              `kioskd ${args[0]} exited (${signal ?? code}) before the awaited line; stderr:\n${this.stderrTail()}`,
            ),
          );
        }
        this.#waiters.clear();
        resolve({ code, signal });
      });
    });
    createInterface({ input: this.child.stdout! }).on('line', (text) => this.#onLine(text));
    createInterface({ input: this.child.stderr! }).on('line', (text) => {
      this.#stderr.push(text);
      if (this.#stderr.length > STDERR_TAIL) this.#stderr.shift();
    });
  }

  get running(): boolean {
    return this.#exit === undefined;
  }

  onLine(listener: (line: JsonLine) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  waitFor(what: string, predicate: (line: JsonLine) => boolean, timeoutMs: number): Promise<JsonLine> {
    if (this.#exit) return Promise.reject(new Error(`kioskd exited before ${what}`));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        predicate,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#waiters.delete(waiter);
          reject(new Error(`no ${what} within ${timeoutMs} ms; stderr:\n${this.stderrTail()}`));
        }, timeoutMs),
      };
      this.#waiters.add(waiter);
    });
  }

  stderrTail(): string {
    return this.#stderr.join('\n');
  }

  /** SIGKILL: no handler runs, nothing is flushed or closed. */
  async kill(): Promise<void> {
    if (this.#exit) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  async stop(): Promise<void> {
    if (this.#exit) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await this.exited;
    clearTimeout(timer);
  }

  #onLine(text: string): void {
    if (!text.startsWith('{')) return;
    let line: JsonLine;
    try {
      line = JSON.parse(text) as JsonLine;
    } catch {
      return;
    }
    for (const listener of this.#listeners) listener(line);
    for (const waiter of this.#waiters) {
      if (!waiter.predicate(line)) continue;
      clearTimeout(waiter.timer);
      this.#waiters.delete(waiter);
      waiter.resolve(line);
    }
  }
}
