import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestPki } from './pki.js';

/**
 * A real Mosquitto for integration tests and benchmarks, configured FROM the deployment
 * templates in seeds/mosquitto/ (only paths, ports, persistence and logging are replaced), so
 * the ACL and TLS settings an operator installs are the ones the tests exercise.
 *
 * The broker listens on 127.0.0.1 only. It can be stopped (SIGTERM), killed (SIGKILL) and
 * started again on the same ports, for outage tests.
 */
export const MOSQUITTO_CONF_TEMPLATE = fileURLToPath(
  new URL('../../seeds/mosquitto/mosquitto.conf', import.meta.url),
);
export const MOSQUITTO_ACL_TEMPLATE = fileURLToPath(new URL('../../seeds/mosquitto/acl', import.meta.url));

const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;
const LOG_TAIL_CHARS = 64 * 1024;

export interface MosquittoOptions {
  pki: TestPki;
  /**
   * Adds a plain-TCP listener whose clients log in with these usernames and passwords, under
   * the same ACL (per_listener_settings false). Benchmarks only: it lets hundreds of simulated
   * kiosks connect without hundreds of certificates and TLS handshakes competing with the
   * measured work. A deployment never has it (the template has no plain listener).
   */
  plainUsers?: ReadonlyMap<string, string>;
  /**
   * Other template settings to change, each of which must be in the template once (e.g.
   * `max_keepalive` shortened so a Last Will test need not wait 1.5 × 300 s).
   */
  overrides?: Readonly<Record<string, string>>;
}

export interface MosquittoBroker {
  readonly tlsPort: number;
  /** `mqtts://127.0.0.1:<tlsPort>` */
  readonly tlsUrl: string;
  readonly plainPort: number | undefined;
  readonly plainUrl: string | undefined;
  readonly confPath: string;
  readonly running: boolean;
  /** The broker's process id while it runs (benches read its CPU time from /proc). */
  readonly pid: number | undefined;
  /** Starts it again on the same ports (after stop or kill). */
  start(): Promise<void>;
  /** SIGTERM, and waits for the exit. */
  stop(): Promise<void>;
  /** SIGKILL, and waits for the exit. */
  kill(): Promise<void>;
  /** The tail of the broker's log, for failure messages. */
  log(): string;
  /** Stops it and removes its files. */
  dispose(): Promise<void>;
}

/** The mosquitto binary: on PATH, or where Debian puts it (/usr/sbin is not on every PATH). */
export function mosquittoBinary(): string {
  try {
    return execFileSync('sh', ['-c', 'command -v mosquitto'], { encoding: 'utf8' }).trim();
  } catch {
    if (existsSync('/usr/sbin/mosquitto')) return '/usr/sbin/mosquitto';
    throw new Error('missing tool: mosquitto (apt-get install mosquitto)');
  }
}

export interface RenderedSettings {
  tlsPort: number;
  cafile: string;
  certfile: string;
  keyfile: string;
  aclFile: string;
  passwordFile?: string;
  plainPort?: number;
  overrides?: Readonly<Record<string, string>>;
}

/**
 * The template with test values in place. Each setting it replaces must be in the template
 * exactly once: if the template drifts (a directive renamed or removed), this fails instead
 * of testing something else.
 */
export function renderMosquittoConf(template: string, settings: RenderedSettings): string {
  const replacements = new Map<string, string | null>([
    ['listener', `${settings.tlsPort} 127.0.0.1`],
    ['cafile', settings.cafile],
    ['certfile', settings.certfile],
    ['keyfile', settings.keyfile],
    ['acl_file', settings.aclFile],
    ['persistence', 'false'],
    // Nothing is persisted, and the test's stderr is the log.
    ['persistence_location', null],
    ['autosave_interval', null],
    ['log_dest', 'stderr'],
    ...Object.entries(settings.overrides ?? {}),
  ]);
  const seen = new Map<string, number>();
  const lines: string[] = [];
  for (const line of template.split('\n')) {
    const match = /^\s*([a-z_]+)(\s+.*)?$/.exec(line);
    const key = match?.[1];
    if (key === undefined || !replacements.has(key)) {
      lines.push(line);
      continue;
    }
    seen.set(key, (seen.get(key) ?? 0) + 1);
    const value = replacements.get(key);
    if (value !== null && value !== undefined) lines.push(`${key} ${value}`);
    if (key === 'acl_file' && settings.passwordFile !== undefined) {
      lines.push(`password_file ${settings.passwordFile}`);
    }
  }
  for (const key of replacements.keys()) {
    if (seen.get(key) !== 1) {
      throw new Error(
        `${MOSQUITTO_CONF_TEMPLATE}: expected "${key}" exactly once, found it ${seen.get(key) ?? 0} times`,
      );
    }
  }
  if (settings.plainPort !== undefined) {
    lines.push(
      '',
      '# Benchmarks only: plain TCP, username and password, the same ACL.',
      `listener ${settings.plainPort} 127.0.0.1`,
      'protocol mqtt',
    );
  }
  return `${lines.join('\n')}\n`;
}

/** A Mosquitto 2.0 password file line (PBKDF2-SHA512, 101 rounds: what mosquitto_passwd writes). */
export function passwordFileLine(username: string, password: string): string {
  if (!/^[^:\s]+$/.test(username)) throw new Error(`username "${username}" cannot go in a password file`);
  const salt = randomBytes(12);
  const hash = pbkdf2Sync(password, salt, 101, 64, 'sha512');
  return `${username}:$7$101$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not read the port the OS picked'));
      });
    });
  });
}

function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startMosquitto(options: MosquittoOptions): Promise<MosquittoBroker> {
  const binary = mosquittoBinary();
  const dir = mkdtempSync(join(tmpdir(), 'kioskd-mosquitto-'));
  // Started as root, mosquitto drops to the "mosquitto" user before it reads the ACL and
  // the certificates, as in production: its files must be readable by that user.
  chmodSync(dir, 0o755);
  for (const path of [options.pki.ca, options.pki.server.cert, options.pki.server.key])
    chmodSync(path, 0o644);
  chmodSync(options.pki.dir, 0o755);

  const aclFile = join(dir, 'acl');
  writeFileSync(aclFile, readFileSync(MOSQUITTO_ACL_TEMPLATE), { mode: 0o644 });
  let passwordFile: string | undefined;
  if (options.plainUsers) {
    passwordFile = join(dir, 'passwords');
    const lines = [...options.plainUsers].map(([user, password]) => passwordFileLine(user, password));
    writeFileSync(passwordFile, `${lines.join('\n')}\n`, { mode: 0o644 });
  }
  const confPath = join(dir, 'mosquitto.conf');
  const template = readFileSync(MOSQUITTO_CONF_TEMPLATE, 'utf8');

  let tlsPort = 0;
  let plainPort: number | undefined;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let logTail = '';

  const spawnBroker = async (): Promise<void> => {
    if (child) throw new Error('mosquitto is already running');
    const proc = spawn(binary, ['-c', confPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = proc;
    let exitCode: number | null = null;
    let exitSignal: NodeJS.Signals | null = null;
    let hasExited = false;
    exited = new Promise((resolve) => {
      proc.once('exit', (code, signal) => {
        hasExited = true;
        exitCode = code;
        exitSignal = signal;
        if (child === proc) child = undefined;
        resolve();
      });
    });
    proc.once('error', (error) => {
      logTail += `\nspawn failed: ${error.message}`;
    });
    proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      logTail = (logTail + chunk).slice(-LOG_TAIL_CHARS);
    });
    const deadline = Date.now() + START_TIMEOUT_MS;
    const ports = plainPort === undefined ? [tlsPort] : [tlsPort, plainPort];
    for (;;) {
      if (hasExited) {
        throw new Error(
          `mosquitto exited (code ${exitCode}, signal ${exitSignal}) while starting:\n${logTail.slice(-2000)}`,
        );
      }
      const ready = await Promise.all(ports.map(acceptsConnections));
      if (ready.every(Boolean)) return;
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        await exited;
        throw new Error(`mosquitto did not listen within ${START_TIMEOUT_MS} ms:\n${logTail.slice(-2000)}`);
      }
      await delay(20);
    }
  };

  const writeConf = () =>
    writeFileSync(
      confPath,
      renderMosquittoConf(template, {
        tlsPort,
        cafile: options.pki.ca,
        certfile: options.pki.server.cert,
        keyfile: options.pki.server.key,
        aclFile,
        ...(passwordFile !== undefined ? { passwordFile } : {}),
        ...(plainPort !== undefined ? { plainPort } : {}),
        ...(options.overrides ? { overrides: options.overrides } : {}),
      }),
      { mode: 0o644 },
    );

  // A port found free can be taken by another test before mosquitto binds it: pick again.
  for (let attempt = 1; ; attempt++) {
    tlsPort = await freeLoopbackPort();
    plainPort = options.plainUsers ? await freeLoopbackPort() : undefined;
    writeConf();
    try {
      await spawnBroker();
      break;
    } catch (error) {
      if (attempt >= 3 || !/Address already in use/.test(logTail)) {
        rmSync(dir, { recursive: true, force: true });
        throw error;
      }
    }
  }

  const signal = async (name: NodeJS.Signals): Promise<void> => {
    const running = child;
    if (!running) return;
    running.kill(name);
    const timer = setTimeout(() => running.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  };

  return {
    get tlsPort() {
      return tlsPort;
    },
    get tlsUrl() {
      return `mqtts://127.0.0.1:${tlsPort}`;
    },
    get plainPort() {
      return plainPort;
    },
    get plainUrl() {
      return plainPort === undefined ? undefined : `mqtt://127.0.0.1:${plainPort}`;
    },
    confPath,
    get running() {
      return child !== undefined;
    },
    get pid() {
      return child?.pid;
    },
    async start() {
      // The old socket may linger a moment after a kill; mosquitto sets SO_REUSEADDR, so a
      // short retry covers it.
      const deadline = Date.now() + START_TIMEOUT_MS;
      for (;;) {
        try {
          await spawnBroker();
          return;
        } catch (error) {
          if (Date.now() > deadline || !/Address already in use/.test(logTail)) throw error;
          logTail = '';
          await delay(100);
        }
      }
    },
    stop: () => signal('SIGTERM'),
    kill: () => signal('SIGKILL'),
    log: () => logTail,
    async dispose() {
      await signal('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
