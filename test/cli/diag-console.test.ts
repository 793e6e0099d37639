import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { hashServicePassword } from '../../src/security/password-hash.js';
import { CLI_ENTRY, collectOutput, exitOf, REPO_ROOT, waitForJsonLine } from '../helpers/cli-process.js';

/**
 * `kioskd diag` scripted through its standard input against a real daemon process (`kioskd run`
 * on the demo config with simulated devices, free ports, no fleet), as a technician's script
 * would run it: every answer is one JSON line on stdout.
 */

// biome-ignore lint/suspicious/noExplicitAny: answers of many shapes, each checked by expect()
type Answer = Record<string, any>;

const DEMO_TECHNICIAN = { id: 't-001', password: 'demo-tech-2026' };
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** The diag client as a pipe: lines in, JSON answers out, awaited one command at a time. */
class DiagConsole {
  readonly answers: Answer[] = [];
  #taken = 0;
  #buffer = '';
  readonly output;
  constructor(readonly child: ChildProcess) {
    this.output = collectOutput(child);
    child.stdout!.on('data', (chunk: Buffer | string) => {
      this.#buffer += chunk.toString();
      for (let i = this.#buffer.indexOf('\n'); i >= 0; i = this.#buffer.indexOf('\n')) {
        const line = this.#buffer.slice(0, i);
        this.#buffer = this.#buffer.slice(i + 1);
        if (line.startsWith('{')) this.answers.push(JSON.parse(line) as Answer);
      }
    });
  }
  send(...lines: string[]): void {
    this.child.stdin!.write(`${lines.join('\n')}\n`);
  }
  /** The next answer to `cmd` after those already taken. */
  async answer(cmd: string, timeoutMs = 20_000): Promise<Answer> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.answers.findIndex((a, i) => i >= this.#taken && a['cmd'] === cmd);
      if (index >= 0) {
        this.#taken = index + 1;
        return this.answers[index]!;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `no answer to ${cmd}; stdout:\n${this.output.stdout}\nstderr:\n${this.output.stderr}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
  async run(line: string, timeoutMs?: number): Promise<Answer> {
    this.send(line);
    return this.answer(line.split(' ')[0]!, timeoutMs);
  }
}

async function control(
  url: string,
  body: Record<string, unknown>,
): Promise<{ status: number; body: Answer }> {
  const response = await fetch(url, { method: 'POST', body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Answer };
}

let lastSeen: unknown;

async function retry<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    last = lastSeen;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('kioskd diag against a running daemon', () => {
  it('logs in, locks an id after five wrong passwords, tests each device without moving money, and restores the mode', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kioskd-diag-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const demo = parse(readFileSync(join(REPO_ROOT, 'seeds', 'demo.yaml'), 'utf8'));
    demo.api.port = 0;
    demo.simulators.controlPort = 0;
    demo.simulators.options = { ...demo.simulators.options, id003: { timingPreset: 'fast' } };
    demo.fleet = { enabled: false };
    demo.transaction.accountCheck.enabled = false;
    demo.balanceQuery = { ...demo.balanceQuery, enabled: false };
    // A second technician to lock out, so the demo one stays usable.
    demo.technicians.push({
      id: 't-002',
      passwordHash: await hashServicePassword(Buffer.from('second-tech-pw')),
    });
    writeFileSync(join(dir, 'kiosk.yaml'), stringify(demo));

    const daemon = spawn(process.execPath, ['--import', tsx, CLI_ENTRY, 'run', '--config', 'kiosk.yaml'], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const daemonOutput = collectOutput(daemon);
    cleanups.push(async () => {
      daemon.kill('SIGTERM');
      await exitOf(daemon);
    });
    const up = await waitForJsonLine(daemon, (line) => line['msg'] === 'kioskd up', 60_000);
    const sim = String(up['simulatorControl']);
    expect(daemonOutput.stdout).toContain('diag socket listening');

    const client = spawn(process.execPath, ['--import', tsx, CLI_ENTRY, 'diag', '--config', 'kiosk.yaml'], {
      cwd: dir,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const diag = new DiagConsole(client);
    cleanups.push(async () => {
      client.kill('SIGTERM');
      await exitOf(client);
    });

    // Five wrong passwords lock t-002; then even the right one is refused.
    for (let attempt = 1; attempt <= 5; attempt++) {
      diag.send('login t-002', 'not-the-password');
      const answer = await diag.answer('login');
      expect(answer['ok']).toBe(false);
      expect(answer['error']['code']).toBe(attempt < 5 ? 'badCredentials' : 'locked');
    }
    diag.send('login t-002', 'second-tech-pw');
    expect((await diag.answer('login'))['error']).toMatchObject({
      code: 'locked',
      message: expect.stringContaining('locked until'),
    });
    expect((await diag.run('devices'))['error']['code']).toBe('noSession');

    // The demo technician enters service mode: the kiosk goes to maintenance.
    expect((await diag.run('status'))['result']).toEqual({ kioskMode: 'inService', serviceMode: 'off' });
    diag.send('login t-001', DEMO_TECHNICIAN.password);
    expect(await diag.answer('login')).toMatchObject({
      ok: true,
      result: { technician: 't-001', kioskMode: 'maintenance', serviceMode: 'active' },
    });
    expect(diag.output.stdout).not.toContain(DEMO_TECHNICIAN.password);

    const devices = (await diag.run('devices'))['result']['devices'] as Answer[];
    expect(devices.map((d) => d['device'])).toEqual(['cashAcceptor', 'printer', 'pinPad']);
    for (const device of devices) {
      expect(device['status']['state']).toBe('online');
      expect(typeof device['identity']['firmware']).toBe('string');
      expect(Object.keys(device['counters']).length).toBeGreaterThan(0);
      expect(Array.isArray(device['lastFaults'])).toBe(true);
    }

    // Acceptor: the note inserted during the test comes back; nothing is credited or paid.
    diag.send('test-acceptor 30');
    const acceptorControl = `${sim}/devices/id003/control`;
    await retry('the acceptor to draw the test note in', async () => {
      const inserted = await control(acceptorControl, { action: 'note.insert', denomination: 5000 });
      return inserted.status === 200 ? true : undefined;
    });
    expect(await diag.answer('test-acceptor')).toMatchObject({
      ok: true,
      result: { outcome: 'returned', denomination: 5000 },
    });
    const summary = (await diag.run('summary'))['result'];
    expect(summary['summary']).toMatchObject({
      creditedNotes: 0,
      payments: 0,
      unpaidOrphans: 0,
      pendingIntents: 0,
      openTransactions: 0,
    });
    expect(summary['cashbox']).toMatchObject({ totalCount: 0, totalValue: 0 });
    expect(summary['conservationViolations']).toEqual([]);

    // Printer: the test page is on the virtual paper.
    expect(await diag.run('test-printer')).toMatchObject({ ok: true, result: { cut: true } });
    const paper = await control(`${sim}/devices/escpos/control`, { action: 'paper.receipts' });
    const lastReceipt = JSON.stringify(paper.body['result']['receipts'].at(-1));
    expect(lastReceipt).toContain('PRINTER TEST PAGE');
    expect(lastReceipt).toContain('technician t-001');

    // PIN pad: keys in clear data entry come back as typed.
    diag.send('test-pinpad 30');
    const padControl = `${sim}/devices/epp/control`;
    await retry('the pad to start the data entry', async () => {
      const state = await control(padControl, { action: 'state' });
      lastSeen = { state: state.body, answers: diag.answers.slice(-2) };
      return state.body['result']['entry'] !== 'idle' ? true : undefined;
    });
    await control(padControl, { action: 'keys.press', keys: '4321E' });
    expect(await diag.answer('test-pinpad')).toMatchObject({
      ok: true,
      result: { keys: '4321', completion: 'enter' },
    });

    // A cash collection: nothing was credited in this run, one 100-yuan note is counted — a
    // discrepancy of +10000 fen, recorded exactly, on the slip, and the counters start again.
    const started = await diag.run('collection-start');
    expect(started).toMatchObject({ ok: true, result: { state: 'started', expectedValue: 0 } });
    expect((await diag.run('collection-count 10000=x'))['error']['code']).toBe('badArgs');
    expect(await diag.run('collection-count 10000=1')).toMatchObject({
      ok: true,
      result: { state: 'counted', countedValue: 10000, differenceValue: 10000, discrepancy: true },
    });
    expect(await diag.run('collection-receipt')).toMatchObject({ ok: true, result: { printed: true } });
    const collectionId = started['result']['collectionId'] as string;
    const ended = await diag.run('collection-end');
    expect(ended).toMatchObject({
      ok: true,
      result: { collection: { collectionId, state: 'ended', seq: 1 } },
    });
    expect((await diag.run('collection'))['result']).toMatchObject({
      open: null,
      recent: [{ collectionId, differenceValue: 10000 }],
    });
    expect((await diag.run('collection-end'))['error']['code']).toBe('notFound');

    // Exit restores the mode before (in service).
    expect(await diag.run('exit')).toMatchObject({
      ok: true,
      result: { kioskMode: 'inService', serviceMode: 'off' },
    });

    // Out of service chosen in service mode is where the kiosk goes on exit; then back in.
    diag.send('login t-001', DEMO_TECHNICIAN.password);
    expect((await diag.answer('login'))['ok']).toBe(true);
    expect(await diag.run('mode outOfService')).toMatchObject({
      ok: true,
      result: { afterServiceMode: 'outOfService', now: 'maintenance' },
    });
    expect((await diag.run('exit'))['result']).toMatchObject({ kioskMode: 'outOfService' });
    diag.send('login t-001', DEMO_TECHNICIAN.password);
    expect((await diag.answer('login'))['ok']).toBe(true);
    expect((await diag.run('mode inService'))['ok']).toBe(true);
    expect((await diag.run('exit'))['result']).toMatchObject({ kioskMode: 'inService' });

    // Every attempt and action is in the audit trail with the technician's id. The socket allows
    // 10 requests at once then 5 a second; this script has used its burst, so it lets it refill.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    diag.send('login t-001', DEMO_TECHNICIAN.password);
    await diag.answer('login');
    const audit = ((await diag.run('audit 100'))['result']['entries'] as Answer[]).map((e) =>
      `${e['actor']} ${e['action']} ${e['details']['outcome'] ?? ''}`.trim(),
    );
    expect(audit.filter((line) => line.startsWith('technician:t-002'))).toEqual([
      ...Array(4).fill('technician:t-002 service.login wrongPassword'),
      'technician:t-002 service.login wrongPasswordLocked',
      'technician:t-002 service.login locked',
    ]);
    for (const action of [
      'test-acceptor',
      'test-printer',
      'test-pinpad',
      'mode',
      'devices',
      'collection-end',
    ]) {
      expect(audit).toContain(`technician:t-001 service.${action} ok`);
    }

    client.stdin!.end();
    expect((await exitOf(client)).code).toBe(1); // the refused logins and the noSession count as failures
  }, 120_000);
});
