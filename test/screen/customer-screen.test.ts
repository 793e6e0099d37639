/// <reference lib="dom" />
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DemoKiosk, launchChromium, SCREENS_DIR } from './demo-kiosk.js';

/**
 * The customer screen in a real browser (Debian chromium through playwright-core) against
 * `kioskd demo` run as a child process, every device simulated: the customer taps the page,
 * notes go in and PIN keys are pressed through the simulators' control channel. Each screen is
 * photographed in both languages into docs/screens/ (the README shows them).
 */

const ACCOUNT = '13800138000';
const PASSWORD = '246810';
const VIEWPORT = { width: 1080, height: 1920 };

/** The demo's acceptor runs at real-device speed: a note takes a few seconds to be credited. */
const poll = <T>(probe: () => Promise<T> | T) => expect.poll(probe, { timeout: 15_000, interval: 100 });

describe('customer screen in chromium against kioskd demo', () => {
  let browser: Browser;
  const kiosk = new DemoKiosk();

  beforeAll(async () => {
    mkdirSync(SCREENS_DIR, { recursive: true });
    await kiosk.configure();
    const [launched] = await Promise.all([launchChromium(), kiosk.start()]);
    browser = launched;
  }, 90_000);

  // A failed test must not leave its customer on the kiosk for the next one.
  afterEach(async () => {
    if (kiosk.current === undefined) return;
    const token = readFileSync(join(kiosk.dir, 'var', 'api-token'), 'utf8').trim();
    for (const path of ['/api/v1/topups/current/cancel', '/api/v1/balance-queries/current/cancel']) {
      await fetch(`${kiosk.current.origin}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: '{}',
      });
    }
  });

  afterAll(async () => {
    await browser?.close();
    await kiosk.stop();
    rmSync(kiosk.dir, { recursive: true, force: true });
  });

  /** A fresh page that records every text the DOM ever held, to prove what it never showed. */
  async function openScreen(language = 'zh-CN'): Promise<Page> {
    const page = await browser.newPage({ viewport: VIEWPORT });
    const failures: string[] = [];
    page.on('pageerror', (error) => {
      failures.push(String(error));
    });
    page.on('console', (message) => {
      if (message.type() === 'error') failures.push(message.text());
    });
    (page as Page & { failures?: string[] }).failures = failures;
    await page.addInitScript(() => {
      const seen: string[] = [];
      (window as unknown as { domTexts: string[] }).domTexts = seen;
      new MutationObserver(() => seen.push(document.documentElement.outerHTML)).observe(document, {
        subtree: true,
        childList: true,
        characterData: true,
        attributes: true,
      });
    });
    await page.goto(`${kiosk.current!.origin}/?lang=${language}`);
    try {
      // The last customer's payment stays on screen until tapped away or timed out.
      const start = page.locator('[data-testid="start-top-up"]');
      await start.or(page.locator('[data-testid="finish"]')).waitFor({ timeout: 10_000 });
      if (!(await start.isVisible())) await page.locator('[data-testid="finish"]').click();
      await start.waitFor({ timeout: 5_000 });
    } catch (error) {
      throw new Error(
        `the attract screen did not show: ${failures.join('; ')} (${String(error).split('\n')[0]})`,
      );
    }
    return page;
  }

  /** The current screen in zh-CN and en, as docs/screens/<name>.<lang>.png. */
  async function photograph(page: Page, name: string): Promise<void> {
    const toggle = page.locator('#language');
    for (let i = 0; i < 2; i++) {
      const language = await page.evaluate(() => document.documentElement.lang);
      await page.waitForTimeout(450); // the note's drop-in animation (0.35 s) ends
      await page.screenshot({ path: join(SCREENS_DIR, `${name}.${language}.png`) });
      await toggle.click();
      const next = language === 'zh-CN' ? 'en' : 'zh-CN';
      await page.waitForFunction((lang) => document.documentElement.lang === lang, next);
      await page.waitForFunction(() => document.body.dataset['connection'] === 'open');
    }
  }

  async function typeNumber(page: Page, digits: string): Promise<void> {
    for (const digit of digits) await page.locator(`.key[data-key="${digit}"]`).click({ timeout: 3000 });
  }

  async function screen(page: Page): Promise<string> {
    return page.evaluate(() => document.body.dataset['screen'] ?? '');
  }

  async function waitForScreen(page: Page, name: string, timeout = 10_000): Promise<void> {
    await page.waitForFunction((n) => document.body.dataset['screen'] === n, name, { timeout });
  }

  it('serves the page with the token and a strict CSP, and its files only by name', async () => {
    const origin = kiosk.current!.origin;
    const response = await fetch(`${origin}/`);
    expect(response.status).toBe(200);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    const html = await response.text();
    const token = readFileSync(join(kiosk.dir, 'var', 'api-token'), 'utf8').trim();
    expect(html).toContain(`<meta name="kiosk-api-token" content="${token}">`);
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)/);
    expect(html).not.toMatch(/https?:\/\//);
    expect((await fetch(`${origin}/screen/main.js`)).headers.get('content-type')).toContain('javascript');
    expect((await fetch(`${origin}/screen/..%2Fscreen-routes.ts`)).status).toBe(404);
    expect((await fetch(`${origin}/screen/index.html`)).status).toBe(404);
  });

  it('tops up by tapping the keypad and inserting notes', async () => {
    const page = await openScreen();
    await photograph(page, 'attract');
    await page.locator('[data-testid="start-top-up"]').click();
    await waitForScreen(page, 'topUp.enteringAccount');
    // Validated as typed: a second digit of 2 cannot start a CN mobile number.
    await typeNumber(page, '12');
    await expect
      .poll(() => page.locator('[data-testid="number-hint"]').textContent())
      .toBe('第二位应为 3 至 9');
    expect(await page.locator('[data-testid="next"]').isDisabled()).toBe(true);
    await page.locator('.key[data-key="clear"]').click();
    await typeNumber(page, ACCOUNT);
    expect(await page.locator('[data-testid="number"]').textContent()).toBe('138 0013 8000');
    await photograph(page, 'number');
    await page.locator('[data-testid="next"]').click();
    await waitForScreen(page, 'topUp.insertingCash');
    await expect
      .poll(
        async () => {
          const chips = await page.locator('[data-testid="denominations"] .note-chip').count();
          if (chips === 6) return chips;
          const r = await fetch(`${kiosk.current!.origin}/api/v1/topups/current`);
          return `${chips} ${await r.text()}`;
        },
        { timeout: 15_000 },
      )
      .toBe(6);
    await kiosk.insertNote(5000);
    await poll(() => page.locator('[data-testid="total"]').textContent()).toBe('¥50.00');
    await kiosk.insertNote(1000);
    await poll(() => page.locator('[data-testid="total"]').textContent()).toBe('¥60.00');
    expect(await page.locator('[data-testid="note-stack"] li').allTextContents()).toEqual([
      '¥50.00',
      '¥10.00',
    ]);
    expect(await page.locator('[data-testid="remaining"]').textContent()).toContain('¥1940.00');
    await photograph(page, 'notes');
    await page.locator('[data-testid="confirm"]').click();
    await waitForScreen(page, 'topUp.done', 15_000);
    const paymentId = await page.locator('[data-testid="payment-id"]').textContent();
    expect(paymentId).toMatch(/^[0-9A-Z]{26}$/);
    expect(await page.locator('[data-testid="amount"]').textContent()).toBe('¥60.00');
    expect(await page.locator('[data-testid="receipt-status"]').textContent()).toBe('请取走凭条');
    await photograph(page, 'done');
    await page.locator('[data-testid="finish"]').click();
    await waitForScreen(page, 'idle');
    expect((page as Page & { failures?: string[] }).failures).toEqual([]);
    await page.close();
  }, 60_000);

  it('asks the balance with the PIN on the pad and shows dots, never digits', async () => {
    const page = await openScreen('en');
    await page.locator('[data-testid="start-balance"]').click();
    await waitForScreen(page, 'balance.enteringAccount');
    await typeNumber(page, ACCOUNT);
    await page.locator('[data-testid="next"]').click();
    await waitForScreen(page, 'balance.enteringPin');
    // The pad takes keys once its PIN entry has started (the daemon starts it after the account).
    await poll(
      async () => ((await kiosk.control('epp', { action: 'state' })) as { entry: string }).entry,
    ).toBe('pinEntry');
    await kiosk.control('epp', { action: 'keys.press', keys: PASSWORD.slice(0, 4) });
    await poll(() => page.locator('[data-testid="pin-dots"] .filled').count()).toBe(4);
    expect(await page.locator('[data-testid="pin-dots"]').textContent()).toBe('●●●●○○');
    await photograph(page, 'pin');
    await kiosk.control('epp', { action: 'keys.press', keys: `${PASSWORD.slice(4)}E` });
    await waitForScreen(page, 'balance.showingBalance', 15_000);
    expect(await page.locator('[data-testid="balance"]').textContent()).toMatch(/^¥\d+\.\d\d$/);
    await photograph(page, 'balance');
    const seen = await page.evaluate(() => (window as unknown as { domTexts: string[] }).domTexts);
    expect(seen.length).toBeGreaterThan(10);
    for (const html of seen) {
      // The password's first digits, in any rendering: what a shoulder-surfer could read.
      expect(html.replace(/\s+/g, '')).not.toContain(PASSWORD.slice(0, 3));
    }
    // One Done ends the query and the attract screen is back, no "query ended" screen between.
    await page.locator('[data-testid="finish"]').click();
    await waitForScreen(page, 'idle');
    expect(await page.locator('[data-testid="finish"]').count()).toBe(0);

    // An end the customer did not ask for (cancel on the PIN pad) still has its screen.
    await page.locator('[data-testid="start-balance"]').click();
    await waitForScreen(page, 'balance.enteringAccount');
    await typeNumber(page, ACCOUNT);
    await page.locator('[data-testid="next"]').click();
    await waitForScreen(page, 'balance.enteringPin');
    await poll(
      async () => ((await kiosk.control('epp', { action: 'state' })) as { entry: string }).entry,
    ).toBe('pinEntry');
    await kiosk.control('epp', { action: 'keys.press', keys: 'C' });
    await waitForScreen(page, 'balance.ended', 15_000);
    await page.locator('[data-testid="finish"]').click();
    await waitForScreen(page, 'idle');
    await page.close();
  }, 60_000);

  it('tells the customer before and after paying that no receipt can be printed', async () => {
    await kiosk.control('escpos', { action: 'paper.out' });
    try {
      const page = await openScreen();
      await page.locator('[data-testid="start-top-up"]').click();
      await typeNumber(page, ACCOUNT);
      await page.locator('[data-testid="next"]').click();
      await waitForScreen(page, 'topUp.insertingCash');
      await page.locator('[data-testid="no-receipt-ahead"]').waitFor();
      await kiosk.insertNote(2000);
      await poll(() => page.locator('[data-testid="total"]').textContent()).toBe('¥20.00');
      await photograph(page, 'no-receipt-ahead');
      await page.locator('[data-testid="confirm"]').click();
      await waitForScreen(page, 'topUp.done', 15_000);
      expect(await page.locator('[data-testid="receipt-status"]').textContent()).toBe(
        '未能打印凭条：请记下此交易编号',
      );
      expect(await page.locator('[data-testid="payment-id"]').textContent()).toMatch(/^[0-9A-Z]{26}$/);
      await photograph(page, 'no-receipt');
      await page.close();
    } finally {
      await kiosk.control('escpos', { action: 'paper.load' });
    }
  }, 60_000);

  it('comes back by itself after the daemon is killed and shows the recovered top-up', async () => {
    const page = await openScreen();
    await page.locator('[data-testid="start-top-up"]').click();
    await typeNumber(page, ACCOUNT);
    await page.locator('[data-testid="next"]').click();
    await waitForScreen(page, 'topUp.insertingCash');
    await kiosk.insertNote(10000);
    await poll(() => page.locator('[data-testid="total"]').textContent()).toBe('¥100.00');
    await kiosk.stop('SIGKILL');
    await page.waitForFunction(() => document.body.dataset['connection'] === 'lost');
    // Only in the page's language: the toggle would wait for a stream that is not there.
    await page.screenshot({ path: join(SCREENS_DIR, 'reconnecting.zh-CN.png') });
    await kiosk.start();
    await page.waitForFunction(() => document.body.dataset['connection'] === 'open', undefined, {
      timeout: 20_000,
    });
    // The interrupted top-up completes as a partial payment at start (docs/recovery.md).
    await waitForScreen(page, 'topUp.done', 15_000).catch(async (error) => {
      throw new Error(`screen ${await screen(page)}: ${String(error).split('\n')[0]}`);
    });
    expect(await page.locator('[data-testid="amount"]').textContent()).toBe('¥100.00');
    expect(await page.locator('[data-testid="payment-id"]').textContent()).toMatch(/^[0-9A-Z]{26}$/);
    expect(await screen(page)).toBe('topUp.done');
    await page.close();
  }, 90_000);
});
