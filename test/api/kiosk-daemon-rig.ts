import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type KioskConfigInput, parseConfig } from '../../src/config/index.js';
import { type Daemon, startDaemon } from '../../src/daemon/daemon.js';
import { type Logger, silentLogger } from '../../src/log.js';

/** A JSON body from the API; the tests' assertions are what check its shape. */
// biome-ignore lint/suspicious/noExplicitAny: bodies of many shapes, each checked by expect()
export type Json = any;

/**
 * The real daemon wiring in-process (journal, in-process ID-003 simulator on fast timing,
 * SerialTransport, Id003Driver, JournalCashIn, top-up service, kiosk API) for API tests that
 * talk to it over real HTTP, as the screen does.
 */
export interface KioskRig {
  daemon: Daemon;
  api: string;
  dir: string;
  /** The per-boot token the daemon wrote to `<dataDir>/api-token`, as the screen has it. */
  token(): string;
  /**
   * A request as the screen makes it: JSON body, and the token on every request unless `token`
   * says otherwise (`null`: none; a string: that one instead).
   */
  request(
    method: string,
    path: string,
    init?: { body?: string | object; headers?: Record<string, string>; token?: string | null },
  ): Promise<{ status: number; body: Json; headers: Headers }>;
  insertNote(denomination: number, extra?: Record<string, unknown>): Promise<void>;
  /** Inserts a note until it is credited and the top-up's total is `expectedTotal`. */
  creditNote(denomination: number, expectedTotal: number): Promise<Json>;
  ledger(): Promise<Array<{ noteId: string; denomination: number }>>;
  waitForTopUp(predicate: (view: Json) => boolean, timeoutMs?: number): Promise<Json>;
  /** Stops the daemon; the data directory stays unless `removeData`. */
  stop(options?: { removeData?: boolean }): Promise<void>;
}

export async function waitUntil<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  what: string,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function startKioskRig(
  overrides: Partial<KioskConfigInput> = {},
  existingDir?: string,
  options: { logger?: Logger } = {},
): Promise<KioskRig> {
  const dir = existingDir ?? mkdtempSync(join(tmpdir(), 'kioskd-api-'));
  const config = parseConfig(
    {
      kioskId: 'api-test-1',
      dataDir: join(dir, 'var'),
      devices: { cashAcceptor: { port: 'sim:id003', pollIntervalMs: 100 } },
      simulators: { controlPort: 0, options: { id003: { timingPreset: 'fast' } } },
      api: { port: 0 },
      fleet: { enabled: false },
      ...overrides,
    },
    'api test',
  );
  const daemon = await startDaemon({
    config,
    configPath: 'api test',
    logger: options.logger ?? silentLogger(),
  });
  const api = `${daemon.apiUrl}/api/v1`;
  const control = `${daemon.simulatorControlUrl}/devices/id003/control`;

  const tokenPath = join(config.dataDir, 'api-token');
  const token = (): string => (existsSync(tokenPath) ? readFileSync(tokenPath, 'utf8').trim() : '');
  const request: KioskRig['request'] = async (method, path, init = {}) => {
    const bearer = init.token === undefined ? token() : init.token;
    const body =
      init.body === undefined
        ? undefined
        : typeof init.body === 'string'
          ? init.body
          : JSON.stringify(init.body);
    const response = await fetch(`${api}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(bearer === null || bearer === '' ? {} : { authorization: `Bearer ${bearer}` }),
        ...init.headers,
      },
      ...(body === undefined ? {} : { body }),
    });
    const text = await response.text();
    return {
      status: response.status,
      body: text === '' ? null : JSON.parse(text),
      headers: response.headers,
    };
  };

  const rig: KioskRig = {
    daemon,
    api,
    dir,
    token,
    request,
    async insertNote(denomination, extra = {}) {
      // Like a customer, wait for the slot: the unit draws nothing in while it finishes a note.
      let last = '';
      await waitUntil(
        async () => {
          const response = await fetch(control, {
            method: 'POST',
            body: JSON.stringify({ action: 'note.insert', denomination, ...extra }),
          });
          if (response.status === 200) return true;
          last = `HTTP ${response.status} ${await response.text()}`;
          if (!last.includes('not drawn in')) throw new Error(`note.insert: ${last}`);
          return undefined;
        },
        'the acceptor to draw in a note',
        3_000,
      ).catch((error: Error) => {
        throw new Error(`${error.message} (last answer: ${last})`);
      });
    },
    async creditNote(denomination, expectedTotal) {
      // On a loaded machine the fast simulator's 200 ms escrow timeout can hand a note back
      // before the decision arrives; like a customer, put it in again (a returned note is never
      // counted, and the tests compare the cashbox ledger, so a double count would show).
      for (let attempt = 1; ; attempt++) {
        await rig.insertNote(denomination);
        try {
          return await rig.waitForTopUp((v) => v.total === expectedTotal && !v.noteInProgress, 2_500);
        } catch (error) {
          const view = (await request('GET', '/topups/current')).body;
          if (attempt >= 3 || view.total !== expectedTotal - denomination || view.noteInProgress) throw error;
          console.warn(
            `note of ${denomination} came back (${JSON.stringify(view.message)}); inserting it again`,
          );
        }
      }
    },
    async ledger() {
      const response = await fetch(control, { method: 'POST', body: JSON.stringify({ action: 'ledger' }) });
      return ((await response.json()) as { result: Array<{ noteId: string; denomination: number }> }).result;
    },
    async waitForTopUp(predicate, timeoutMs = 5_000) {
      let last: unknown;
      try {
        return await waitUntil(
          async () => {
            const { status, body } = await request('GET', '/topups/current');
            last = body;
            return status === 200 && predicate(body) ? body : undefined;
          },
          'the current top-up',
          timeoutMs,
        );
      } catch (error) {
        throw new Error(`${(error as Error).message}; last seen: ${JSON.stringify(last)}`);
      }
    },
    async stop({ removeData = true } = {}) {
      await daemon.stop();
      if (removeData) rmSync(dir, { recursive: true, force: true });
    },
  };
  await waitUntil(
    async () => {
      const { body } = await request('GET', '/state');
      return body.kiosk.mode === 'inService' ? true : undefined;
    },
    'the kiosk to be in service',
    10_000,
  );
  return rig;
}

/** Reads an SSE response into parsed events as they arrive. */
export function readEvents(response: Response): {
  events: Array<{ type: string; data: Json }>;
  comments: string[];
  close(): void;
} {
  const events: Array<{ type: string; data: Json }> = [];
  const comments: string[] = [];
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let closed = false;
  void (async () => {
    while (!closed) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (block.startsWith(':')) {
          comments.push(block.slice(1).trim());
          continue;
        }
        const type = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
        const data = /^data: (.*)$/m.exec(block)?.[1] ?? 'null';
        events.push({ type, data: JSON.parse(data) });
      }
    }
  })();
  return {
    events,
    comments,
    close() {
      closed = true;
      void reader.cancel().catch(() => {});
    },
  };
}
