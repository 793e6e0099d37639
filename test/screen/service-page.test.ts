/// <reference lib="dom" />
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { hashServicePassword } from '../../src/security/password-hash.js';
import { CLI_ENTRY, collectOutput, exitOf, REPO_ROOT, waitForJsonLine } from '../helpers/cli-process.js';

/**
 * The technician's service page in a real browser (Debian chromium through playwright-core)
 * against `kioskd demo` as a child process, every device simulated: opened by the hidden
 * gesture, a lockout, a login, an acceptor test note that comes back uncredited and a cash
 * collection with a discrepancy. The screens are photographed in both languages into
 * docs/screens/service-*.png (the README shows them).
 */

const CHROMIUM = '/usr/bin/chromium';
const SCREENS_DIR = join(REPO_ROOT, 'docs', 'screens');
const VIEWPORT = { width: 1080, height: 1920 };
const TECHNICIAN = { technician: 't-001', password: 'demo-tech-2026' };
/** A second technician of this test's own config, to lock out while t-001 stays usable. */
const SECOND = { technician: 't-002', password: 'second-tech-pw' };
/** The service API takes 5 logins at once, then one a second: the test spaces them wider. */
const LOGIN_SPACING_MS = 1_100;

// biome-ignore lint/suspicious/noExplicitAny: API answers of many shapes, each checked by expect()
type Answer = Record<string, any>;

const poll = <T>(probe: () => Promise<T> | T) => expect.poll(probe, { timeout: 15_000, interval: 100 });

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

describe('service page in chromium against kioskd demo', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kioskd-service-page-'));
  let browser: Browser;
  let child: ChildProcess;
  let origin = '';
  let control = '';
  let output: { stdout: string; stderr: string };
  let lastLoginAt = 0;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`missing ${CHROMIUM}: install it with: apt-get install chromium fonts-noto-cjk`);
    }
    mkdirSync(SCREENS_DIR, { recursive: true });
    const demo = parse(readFileSync(join(REPO_ROOT, 'seeds', 'demo.yaml'), 'utf8'));
    const accounts = await freePort();
    demo.api.port = await freePort();
    demo.simulators.controlPort = await freePort();
    demo.simulators.options = { ...demo.simulators.options, id003: { timingPreset: 'fast' } };
    demo.fleet.embeddedBroker.port = 0;
    demo.transaction.accountCheck.url = `http://127.0.0.1:${accounts}/v1/account-check`;
    demo.balanceQuery.accountService.url = `http://127.0.0.1:${accounts}`;
    demo.technicians.push({
      id: SECOND.technician,
      passwordHash: await hashServicePassword(Buffer.from(SECOND.password)),
    });
    writeFileSync(join(dir, 'demo.yaml'), stringify(demo));
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    child = spawn(
      process.execPath,
      ['--import', tsx, CLI_ENTRY, 'demo', '--config', join(dir, 'demo.yaml')],
      {
        cwd: dir,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    output = collectOutput(child);
    const [launched, up] = await Promise.all([
      chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-background-networking', '--disable-component-update'],
      }),
      waitForJsonLine(child, (line) => line['msg'] === 'kioskd up', 60_000),
    ]);
    browser = launched;
    origin = String(up['api']);
    control = `${String(up['simulatorControl'])}/devices`;
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    if (child !== undefined && child.exitCode === null) {
      child.kill('SIGTERM');
      await exitOf(child);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  /** Waits until the service API's login limiter has room again, then notes this login. */
  async function spaceLogin(): Promise<void> {
    const wait = lastLoginAt + LOGIN_SPACING_MS - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    lastLoginAt = Date.now();
  }

  async function openScreen(language = 'zh-CN'): Promise<Page> {
    const page = await browser.newPage({ viewport: VIEWPORT });
    const failures: string[] = [];
    page.on('pageerror', (error) => failures.push(String(error)));
    (page as Page & { failures?: string[] }).failures = failures;
    await page.goto(`${origin}/?lang=${language}`);
    await page.locator('[data-testid="start-top-up"]').waitFor({ timeout: 10_000 });
    return page;
  }

  async function photograph(page: Page, name: string): Promise<void> {
    const toggle = page.locator('#language');
    for (let i = 0; i < 2; i++) {
      const language = await page.evaluate(() => document.documentElement.lang);
      await page.screenshot({ path: join(SCREENS_DIR, `${name}.${language}.png`) });
      await toggle.click();
      const next = language === 'zh-CN' ? 'en' : 'zh-CN';
      await page.waitForFunction((lang) => document.documentElement.lang === lang, next);
      await page.waitForFunction(() => document.body.dataset['connection'] === 'open');
    }
  }

  const view = (page: Page) => page.evaluate(() => document.body.dataset['service'] ?? '');
  const notice = (page: Page) => page.locator('[data-testid="service-notice"]');
  const noticeCode = (page: Page) =>
    notice(page)
      .getAttribute('data-code', { timeout: 1000 })
      .catch(() => null);
  const fact = (page: Page, name: string) => page.locator(`[data-fact="${name}"] dd`).textContent();

  async function pageLogin(page: Page, technician: string, password: string): Promise<void> {
    await page.locator('#service-technician').fill(technician);
    await page.locator('#service-password').fill(password);
    await spaceLogin();
    await page.locator('[data-testid="service-login"]').click();
    await page
      .locator('[data-testid="service-login"]:enabled')
      .or(page.locator('[data-testid="service-exit"]'))
      .waitFor();
  }

  /** The service API as a script would use it: the screen's token and a technician session. */
  async function api(method: string, path: string, body: object, session?: string): Promise<Answer> {
    const token = readFileSync(join(dir, 'var', 'api-token'), 'utf8').trim();
    const response = await fetch(`${origin}/api/v1/service${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        ...(session === undefined ? {} : { 'x-service-session': session }),
      },
      body: JSON.stringify(body),
    });
    return { status: response.status, ...((await response.json()) as Answer) };
  }

  it('opens from the keypad sequence on the number entry and gives the customer screen back', async () => {
    const page = await openScreen();
    await page.locator('[data-testid="start-top-up"]').click();
    await page.waitForFunction(() => document.body.dataset['screen'] === 'topUp.enteringAccount');
    for (const key of ['clear', 'delete', 'clear', 'delete', 'clear']) {
      await page.locator(`.key[data-key="${key}"]`).click();
    }
    await poll(() => view(page)).toBe('login');
    // The number entry it was keyed on is cancelled: the kiosk is free for service mode.
    await poll(async () => {
      const current = (await (await fetch(`${origin}/api/v1/topups/current`)).json()) as Answer;
      return current['state'];
    }).toBe('cancelled');
    await page.locator('[data-testid="service-close"]').click();
    await poll(() => view(page)).toBe('closed');
    expect(await page.locator('#app').isVisible()).toBe(true);
    expect((page as Page & { failures?: string[] }).failures).toEqual([]);
    await page.close();
  }, 30_000);

  it('locks an id, logs in, tests the acceptor without credit and runs a collection with a discrepancy', async () => {
    const page = await openScreen();
    // Five taps in the top-left corner within 3 s.
    for (let i = 0; i < 5; i++) await page.mouse.click(40, 40);
    await poll(() => view(page)).toBe('login');
    await photograph(page, 'service-login');

    // Five wrong passwords lock t-002: the page says so, and until when.
    for (let attempt = 1; attempt <= 5; attempt++) {
      await pageLogin(page, SECOND.technician, 'not-the-password');
      await poll(() => noticeCode(page)).toBe(attempt < 5 ? 'badCredentials' : 'locked');
    }
    expect(await notice(page).textContent()).toMatch(
      /^该工号因多次密码错误已被锁定，\d{4}-\d\d-\d\d \d\d:\d\d:\d\d 之前不能登录。$/,
    );
    await photograph(page, 'service-locked');
    expect(await notice(page).textContent()).toMatch(/^该工号.*锁定/);
    await pageLogin(page, SECOND.technician, SECOND.password);
    await poll(() => noticeCode(page)).toBe('locked');

    // The demo technician is not blocked by the other's lock.
    await pageLogin(page, TECHNICIAN.technician, TECHNICIAN.password);
    await poll(() => view(page)).toBe('menu');
    await poll(() => page.locator('[data-testid="service-status"]').textContent()).toBe(
      '技术员 t-001 · 维护中',
    );
    await photograph(page, 'service-menu');

    // Each device with its status, identity, counters and last faults.
    await page.locator('[data-testid="service-menu-devices"]').click();
    const devices = page.locator('[data-testid="service-devices"] article');
    await poll(() => devices.count()).toBe(3);
    expect(
      await devices.evaluateAll((cards) => cards.map((card) => card.getAttribute('data-device'))),
    ).toEqual(['cashAcceptor', 'printer', 'pinPad']);
    for (const card of await devices.all()) {
      expect(await card.locator('dd').first().textContent()).toBe('online');
      expect(await card.locator('dd').nth(1).textContent()).toContain('firmware');
    }
    await page.locator('[data-testid="service-back"]').click();

    // Acceptor test: the note inserted while the test runs comes back, nothing is credited.
    await page.locator('[data-testid="service-menu-tests"]').click();
    await page.locator('[data-testid="test-acceptor"]').click();
    await page.locator('[data-testid="service-waiting"]').waitFor();
    await poll(async () => {
      const inserted = await fetch(`${control}/id003/control`, {
        method: 'POST',
        body: JSON.stringify({ action: 'note.insert', denomination: 5000 }),
      });
      return inserted.status;
    }).toBe(200);
    await poll(() => noticeCode(page)).toBe('returned');
    expect(await notice(page).textContent()).toBe('测试纸币已退回（¥50.00），未记账。');
    // The PIN pad's keys in clear data entry come back as pressed; the printer prints its page.
    await page.locator('[data-testid="test-pinpad"]').click();
    await poll(async () => {
      const pad = await fetch(`${control}/epp/control`, { method: 'POST', body: '{"action":"state"}' });
      return ((await pad.json()) as Answer)['result']['entry'];
    }).toBe('dataEntry');
    await fetch(`${control}/epp/control`, { method: 'POST', body: '{"action":"keys.press","keys":"4321E"}' });
    await poll(() => notice(page).textContent()).toBe('按键：4321；结束方式：enter');
    await page.locator('[data-testid="test-printer"]').click();
    await poll(() => notice(page).textContent()).toBe('测试页已打印。');
    await page.locator('[data-testid="service-back"]').click();
    await page.locator('[data-testid="service-menu-journal"]').click();
    await poll(() => fact(page, 'creditedNotes')).toBe('0');
    expect(await fact(page, 'payments')).toBe('0');
    expect(await fact(page, 'cashboxValue')).toBe('¥0.00');
    expect(await fact(page, 'conservation')).toBe('一致');

    // A collection: nothing was credited, one 100-yuan note is counted — a discrepancy of +1 note.
    await page.locator('[data-testid="service-back"]').click();
    await page.locator('[data-testid="service-menu-collection"]').click();
    await page.locator('[data-testid="service-collection-start"]').click();
    const table = page.locator('[data-testid="service-collection-table"]');
    await table.waitFor();
    await table.locator('input[data-denomination="10000"]').fill('1');
    await page.locator('[data-testid="service-collection-count"]').click();
    await poll(() => noticeCode(page)).toBe('discrepancy');
    expect(await table.locator('tr[data-denomination="10000"] .difference').textContent()).toBe('+1');
    expect(await table.locator('tr[data-denomination="5000"] .difference').textContent()).toBe('0');
    expect(await fact(page, 'differenceValue')).toBe('+¥100.00');
    await photograph(page, 'service-collection');
    await page.locator('[data-testid="service-collection-receipt"]').click();
    await poll(() => noticeCode(page)).toBe('printed');
    await page.locator('[data-testid="service-collection-end"]').click();
    await poll(() => noticeCode(page)).toBe('ended');

    // Exit: the customer screen is back, the kiosk in service.
    await page.locator('[data-testid="service-back"]').click();
    await page.locator('[data-testid="service-exit"]').click();
    await poll(() => view(page)).toBe('closed');
    await page.locator('[data-testid="start-top-up"]').waitFor();
    expect((page as Page & { failures?: string[] }).failures).toEqual([]);

    // Through the API: no credit in the journal, and the collection's record has the difference.
    await spaceLogin();
    const session = await api('POST', '/session', TECHNICIAN);
    expect(session.status, JSON.stringify(session)).toBe(201);
    const token = String(session['sessionToken']);
    const summary = await api('POST', '/commands', { cmd: 'summary' }, token);
    expect(summary['result']['summary']).toMatchObject({ creditedNotes: 0, payments: 0, unpaidOrphans: 0 });
    expect(summary['result']['conservationViolations']).toEqual([]);
    const collection = await api('POST', '/commands', { cmd: 'collection' }, token);
    expect(collection['result']['open']).toBeNull();
    expect(collection['result']['recent'][0]).toMatchObject({
      state: 'ended',
      expectedValue: 0,
      countedValue: 10000,
      differenceValue: 10000,
      discrepancy: true,
      countedBy: 't-001',
    });
    expect((await api('DELETE', '/session', {}, token))['kioskMode']).toBe('inService');
    await page.close();
  }, 60_000);

  it('answers a locked id with its service code and the lock end', async () => {
    await spaceLogin();
    const locked = await api('POST', '/session', SECOND);
    expect(locked.status).toBe(403);
    expect(locked['error']).toMatchObject({
      serviceCode: 'locked',
      lockedUntil: expect.stringMatching(/Z$/),
    });
    expect(output.stderr).not.toContain(SECOND.password);
  });
});
