/// <reference lib="dom" />
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DemoKiosk, launchChromium, SCREENS_DIR } from './demo-kiosk.js';

/**
 * The customer screen's other states in a real browser against `kioskd demo`: out of service
 * (the acceptor's power or cable gone, a technician's choice) in customer words, the time-out
 * countdown, every main screen in landscape 1920×1080, and "reconnecting" in English. Each is
 * photographed in both languages into docs/screens/ (the README shows them).
 */

const ACCOUNT = '13800138000';
const PASSWORD = '246810';
const PORTRAIT = { width: 1080, height: 1920 };
const LANDSCAPE = { width: 1920, height: 1080 };
/** The test's own number-entry time-out: short enough to watch it run out, long enough to type. */
const ACCOUNT_ENTRY_MS = 15_000;
const TECHNICIAN = { technician: 't-001', password: 'demo-tech-2026' };

/** Device words a customer should never be shown on a closed kiosk... */
const DEVICE_WORDS =
  /acceptor|id003|escpos|online|offline|power|cable|error|fault|device|收钞|故障|错误|代码/i;
/** ...nor codes: SHOUTED_NAMES, camelCase states, numbers. */
const CODES = /\b[A-Z_]{3,}\b|\b[a-z]+[A-Z]\w*\b|\d{3,}/;

const poll = <T>(probe: () => Promise<T> | T, timeout = 15_000) =>
  expect.poll(probe, { timeout, interval: 100 });

describe('customer screen: out of service, time-outs, landscape', () => {
  let browser: Browser;
  const kiosk = new DemoKiosk();

  beforeAll(async () => {
    mkdirSync(SCREENS_DIR, { recursive: true });
    await kiosk.configure((config) => {
      config['transaction']!['accountEntryTimeoutMs'] = ACCOUNT_ENTRY_MS;
      // The acceptor at test speed: these tests are about the screen, not the unit's mechanics.
      config['simulators']!['options'] = { id003: { timingPreset: 'fast' } };
    });
    const [launched] = await Promise.all([launchChromium(), kiosk.start()]);
    browser = launched;
  }, 90_000);

  // A failed test must not leave its customer, or a dead acceptor, for the next one.
  afterEach(async () => {
    if (kiosk.current === undefined) return;
    for (const path of ['/topups/current/cancel', '/balance-queries/current/cancel']) await api('POST', path);
    await kiosk.control('id003', { action: 'power.on' }).catch(() => {});
    await kiosk.control('id003', { action: 'cable.plug' }).catch(() => {});
  });

  afterAll(async () => {
    await browser?.close();
    await kiosk.stop();
    rmSync(kiosk.dir, { recursive: true, force: true });
  });

  async function api(
    method: string,
    path: string,
    body: object = {},
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${kiosk.current!.origin}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${kiosk.token()}`, 'content-type': 'application/json', ...headers },
      body: method === 'GET' ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json().catch(() => ({}))) as never };
  }

  async function openScreen(viewport: { width: number; height: number }, language = 'zh-CN') {
    const page = await browser.newPage({ viewport });
    const failures: string[] = [];
    page.on('pageerror', (error) => {
      failures.push(String(error));
    });
    page.on('console', (message) => {
      if (message.type() === 'error') failures.push(message.text());
    });
    await page.goto(`${kiosk.current!.origin}/?lang=${language}`);
    // The last customer's payment may still be on screen until tapped away.
    const start = page.locator('[data-testid="start-top-up"]');
    await start.or(page.locator('[data-testid="finish"]')).waitFor({ timeout: 15_000 });
    if (!(await start.isVisible())) await page.locator('[data-testid="finish"]').click();
    await start.waitFor({ timeout: 5_000 });
    return { page, failures };
  }

  /**
   * The current screen in zh-CN and en as docs/screens/<name>.<lang>.png; `check` runs in each
   * language before its picture, so what is photographed is also what is asserted.
   */
  async function photograph(page: Page, name: string, check?: (language: string) => Promise<void>) {
    const toggle = page.locator('#language');
    for (let i = 0; i < 2; i++) {
      const language = await page.evaluate(() => document.documentElement.lang);
      await check?.(language);
      await page.waitForTimeout(450); // the note's drop-in animation (0.35 s) ends
      await page.screenshot({ path: join(SCREENS_DIR, `${name}.${language}.png`) });
      await toggle.click();
      const next = language === 'zh-CN' ? 'en' : 'zh-CN';
      await page.waitForFunction((lang) => document.documentElement.lang === lang, next);
      await page.waitForFunction(() => document.body.dataset['connection'] === 'open');
    }
  }

  async function waitForScreen(page: Page, name: string, timeout = 15_000): Promise<void> {
    await page
      .waitForFunction((n) => document.body.dataset['screen'] === n, name, { timeout })
      .catch(async (error) => {
        const now = await page.evaluate(() => document.body.dataset['screen']);
        throw new Error(`screen ${now}, not ${name}: ${String(error).split('\n')[0]}`);
      });
  }

  async function typeNumber(page: Page, digits: string): Promise<void> {
    for (const digit of digits) await page.locator(`.key[data-key="${digit}"]`).click({ timeout: 3000 });
  }

  /**
   * What does not fit the screen: a horizontal scroll, a panel whose content needs scrolling,
   * any of `selectors` missing or not wholly inside the viewport, nor any button or the
   * countdown where the screen has them.
   */
  async function misfits(page: Page, selectors: string[] = []): Promise<string[]> {
    return page.evaluate((wanted) => {
      const problems: string[] = [];
      const width = window.innerWidth;
      const height = window.innerHeight;
      const root = document.documentElement;
      if (root.scrollWidth > width) problems.push(`page scrolls sideways (${root.scrollWidth} > ${width})`);
      if (root.scrollHeight > height) problems.push(`page scrolls down (${root.scrollHeight} > ${height})`);
      for (const panel of document.querySelectorAll<HTMLElement>('.panel')) {
        if (panel.scrollHeight > panel.clientHeight + 1)
          problems.push(`panel needs scrolling (${panel.scrollHeight} > ${panel.clientHeight})`);
        if (panel.scrollWidth > panel.clientWidth + 1)
          problems.push(`panel scrolls sideways (${panel.scrollWidth} > ${panel.clientWidth})`);
      }
      for (const selector of [...wanted, 'button', '#countdown']) {
        const found = [...document.querySelectorAll<HTMLElement>(selector)];
        if (found.length === 0 && wanted.includes(selector)) problems.push(`${selector} is not there`);
        for (const element of found) {
          if (element.hidden) continue;
          const box = element.getBoundingClientRect();
          if (box.width === 0 || box.height === 0) problems.push(`${selector} has no size`);
          if (box.left < 0 || box.top < 0 || box.right > width || box.bottom > height)
            problems.push(
              `${selector} "${element.textContent?.slice(0, 20)}" is cut off at ${Math.round(box.left)},${Math.round(box.top)}–${Math.round(box.right)},${Math.round(box.bottom)}`,
            );
        }
      }
      return problems;
    }, selectors);
  }

  function expectCustomerWords(text: string): void {
    expect(text).not.toMatch(DEVICE_WORDS);
    expect(text).not.toMatch(CODES);
  }

  async function countdownSeconds(page: Page): Promise<number> {
    const text = await page.locator('#countdown').textContent({ timeout: 3000 });
    const seconds = /(\d+)/.exec(text ?? '');
    if (seconds === null) throw new Error(`the countdown shows no number: "${text}"`);
    return Number(seconds[1]);
  }

  it('says why it is closed in customer words (acceptor unpowered or unplugged, a technician) and comes back', async () => {
    const { page, failures } = await openScreen(PORTRAIT);
    const closedText = () =>
      page
        .locator('#app h1, #app p')
        .allTextContents()
        .then((texts) => texts.join('\n'));
    const reason = () => page.locator('[data-testid="closed-reason"]').textContent();

    await kiosk.control('id003', { action: 'power.cut' });
    await waitForScreen(page, 'kiosk.outOfService', 20_000);
    expect(await reason()).toBe('本机暂时无法收取纸币。');
    await photograph(page, 'out-of-service', async (language) => {
      expect(await reason()).toBe(
        language === 'en' ? 'This kiosk cannot take notes right now.' : '本机暂时无法收取纸币。',
      );
      expectCustomerWords(await closedText());
      expect(await misfits(page, ['[data-testid="closed-reason"]'])).toEqual([]);
    });
    await kiosk.control('id003', { action: 'power.on' });
    await waitForScreen(page, 'idle', 20_000);

    await kiosk.control('id003', { action: 'cable.unplug' });
    await waitForScreen(page, 'kiosk.outOfService', 20_000);
    expect(await reason()).toBe('本机暂时无法收取纸币。');
    expectCustomerWords(await closedText());
    await kiosk.control('id003', { action: 'cable.plug' });
    await waitForScreen(page, 'idle', 20_000);

    // A technician logs in (the kiosk goes into maintenance), takes it out of service, leaves.
    const login = await api('POST', '/service/session', TECHNICIAN);
    expect(login.status, JSON.stringify(login.body)).toBe(201);
    const session = { 'x-service-session': String(login.body['sessionToken']) };
    await waitForScreen(page, 'kiosk.maintenance');
    await photograph(page, 'maintenance', async (language) => {
      expect(await reason()).toBe(
        language === 'en' ? 'A technician is working on this kiosk.' : '工作人员正在维护本机。',
      );
      expectCustomerWords(await closedText());
    });
    // `mode` runs once service mode is active (the kiosk reached maintenance).
    await poll(
      async () =>
        (await api('POST', '/service/commands', { cmd: 'mode', args: ['outOfService'] }, session)).status,
    ).toBe(200);
    expect((await api('DELETE', '/service/session', {}, session)).status).toBe(200);
    await waitForScreen(page, 'kiosk.outOfService');
    expect(await reason()).toBe('本机暂停营业。');
    expectCustomerWords(await closedText());
    expect(await page.locator('[data-testid="start-top-up"]').count()).toBe(0);

    const again = await api('POST', '/service/session', TECHNICIAN);
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    const second = { 'x-service-session': String(again.body['sessionToken']) };
    await poll(
      async () =>
        (await api('POST', '/service/commands', { cmd: 'mode', args: ['inService'] }, second)).status,
    ).toBe(200);
    expect((await api('DELETE', '/service/session', {}, second)).status).toBe(200);
    await waitForScreen(page, 'idle');
    expect(failures).toEqual([]);
    await page.close();
  }, 90_000);

  it('counts the number entry down on screen and returns to attract when it runs out', async () => {
    const { page, failures } = await openScreen(PORTRAIT, 'en');
    await page.locator('[data-testid="start-top-up"]').click();
    await waitForScreen(page, 'topUp.enteringAccount');
    await typeNumber(page, '138');
    await page.locator('#countdown').waitFor({ state: 'visible' });
    const first = await countdownSeconds(page);
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThanOrEqual(ACCOUNT_ENTRY_MS / 1000);
    await photograph(page, 'timeout', async (language) => {
      expect(await page.locator('#countdown').textContent()).toMatch(
        language === 'en' ? /^Ends by itself in \d+ s$/ : /^\d+ 秒后自动结束$/,
      );
    });
    // It counts down, through the language toggles too: it is the daemon's timer, not the page's.
    await poll(() => countdownSeconds(page)).toBeLessThan(first);
    // The daemon cancels the top-up it timed out; nothing was taken, and the page goes back.
    await waitForScreen(page, 'topUp.cancelled', ACCOUNT_ENTRY_MS + 10_000);
    const cancelled = await api('GET', '/topups/current');
    expect(cancelled.body).toMatchObject({ state: 'cancelled', total: 0, notes: [] });
    await page.locator('#countdown').waitFor({ state: 'visible' });
    expect(await page.locator('#countdown').textContent()).toMatch(/^Back to the start in \d+ s$/);
    await waitForScreen(page, 'idle', 20_000);
    expect(failures).toEqual([]);
    await page.close();
  }, 90_000);

  it('fits every main screen in landscape 1920×1080', async () => {
    const { page, failures } = await openScreen(LANDSCAPE);
    const fits = async (selectors: string[] = []) => expect(await misfits(page, selectors)).toEqual([]);

    await photograph(page, 'landscape-attract', () => fits(['[data-testid="start-balance"]']));
    await page.locator('[data-testid="start-top-up"]').click();
    await waitForScreen(page, 'topUp.enteringAccount');
    await typeNumber(page, ACCOUNT);
    await photograph(page, 'landscape-number', () => fits(['.key', '[data-testid="number"]']));
    await page.locator('[data-testid="next"]').click();
    await waitForScreen(page, 'topUp.insertingCash');
    await poll(() => page.locator('[data-testid="denominations"] .note-chip').count()).toBe(6);
    // Before any note the daemon's no-cash time-out runs (as long as the number entry's), shown too.
    expect(await page.locator('#countdown').textContent()).toMatch(/^\d+ 秒后自动结束$/);
    expect(await countdownSeconds(page)).toBeLessThanOrEqual(ACCOUNT_ENTRY_MS / 1000);
    await kiosk.insertNote(5000);
    await poll(() => page.locator('[data-testid="total"]').textContent()).toBe('¥50.00');
    await kiosk.insertNote(2000);
    await poll(() => page.locator('[data-testid="total"]').textContent()).toBe('¥70.00');
    expect(await page.locator('#countdown').textContent()).toMatch(/^\d+ 秒后自动完成充值$/);
    await photograph(page, 'landscape-notes', () =>
      fits(['[data-testid="total"]', '[data-testid="remaining"]', '.note-chip', '.stacked-note']),
    );
    await page.locator('[data-testid="confirm"]').click();
    await waitForScreen(page, 'topUp.done', 20_000);
    await photograph(page, 'landscape-done', () =>
      fits(['[data-testid="amount"]', '[data-testid="payment-id"]', '[data-testid="receipt-status"]']),
    );
    await page.locator('[data-testid="finish"]').click();
    await waitForScreen(page, 'idle');

    await page.locator('[data-testid="start-balance"]').click();
    await waitForScreen(page, 'balance.enteringAccount');
    await typeNumber(page, ACCOUNT);
    await page.locator('[data-testid="next"]').click();
    await waitForScreen(page, 'balance.enteringPin');
    await poll(
      async () => ((await kiosk.control('epp', { action: 'state' })) as { entry: string }).entry,
    ).toBe('pinEntry');
    await kiosk.control('epp', { action: 'keys.press', keys: PASSWORD.slice(0, 4) });
    await poll(() => page.locator('[data-testid="pin-dots"] .filled').count()).toBe(4);
    await photograph(page, 'landscape-pin', () => fits(['[data-testid="pin-dots"]']));
    await kiosk.control('epp', { action: 'keys.press', keys: `${PASSWORD.slice(4)}E` });
    await waitForScreen(page, 'balance.showingBalance', 20_000);
    await photograph(page, 'landscape-balance', () => fits(['[data-testid="balance"]']));
    await page.locator('[data-testid="finish"]').click();
    // One Done ends the query and gives the attract screen back: no "query ended" screen between.
    await waitForScreen(page, 'idle');
    expect(await page.locator('[data-testid="finish"]').count()).toBe(0);

    await kiosk.control('id003', { action: 'power.cut' });
    await waitForScreen(page, 'kiosk.outOfService', 20_000);
    await photograph(page, 'landscape-out-of-service', () => fits(['[data-testid="closed-reason"]']));
    await kiosk.control('id003', { action: 'power.on' });
    await waitForScreen(page, 'idle', 20_000);
    expect(failures).toEqual([]);
    await page.close();
  }, 120_000);

  // Last: it kills the daemon, which nothing after it needs.
  it('says in English that it is reconnecting while the daemon is gone', async () => {
    const { page } = await openScreen(PORTRAIT, 'en');
    await page.locator('[data-testid="start-top-up"]').click();
    await typeNumber(page, ACCOUNT);
    await page.locator('[data-testid="next"]').click();
    await waitForScreen(page, 'topUp.insertingCash');
    await kiosk.insertNote(10000);
    await poll(() => page.locator('[data-testid="total"]').textContent()).toBe('¥100.00');
    await kiosk.stop('SIGKILL');
    await page.waitForFunction(() => document.body.dataset['connection'] === 'lost');
    expect(await page.locator('#connection').textContent()).toBe('Connection lost, reconnecting…');
    // Only in the page's language: the toggle would wait for a stream that is not there.
    await page.screenshot({ path: join(SCREENS_DIR, 'reconnecting.en.png') });
    await page.close();
  }, 60_000);
});
