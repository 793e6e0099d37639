/// <reference lib="dom" />
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DemoKiosk, launchChromium, SCREENS_DIR } from './demo-kiosk.js';

/**
 * The service page's on-screen keyboard in a real browser with touch (chromium through
 * playwright-core) against its own `kioskd demo`: a technician logs in and enters a collection
 * count by tapping its keys only — no page.keyboard, no fill — a wrong password tapped is refused
 * as one typed on a USB keyboard is, and a password's keys never show what was pressed. It
 * photographs the keyboard in portrait and landscape, in both languages, into docs/screens/.
 */

const PORTRAIT = { width: 1080, height: 1920 };
const LANDSCAPE = { width: 1920, height: 1080 };
const TECHNICIAN = { technician: 't-001', password: 'demo-tech-2026' };
/** The service API takes 5 logins at once, then one a second: the test spaces them wider. */
const LOGIN_SPACING_MS = 1_100;

const poll = <T>(probe: () => Promise<T> | T) => expect.poll(probe, { timeout: 15_000, interval: 100 });

describe('service page on-screen keyboard in chromium against kioskd demo', () => {
  const kiosk = new DemoKiosk();
  let browser: Browser;
  let origin = '';
  let lastLoginAt = 0;

  beforeAll(async () => {
    await kiosk.configure();
    const [launched, demo] = await Promise.all([launchChromium(), kiosk.start()]);
    browser = launched;
    origin = demo.origin;
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await kiosk.stop();
  });

  async function spaceLogin(): Promise<void> {
    const wait = lastLoginAt + LOGIN_SPACING_MS - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    lastLoginAt = Date.now();
  }

  /** The customer screen on a touch screen, the service page opened by five corner taps. */
  async function openServiceByTouch(viewport: { width: number; height: number }): Promise<Page> {
    const context = await browser.newContext({ viewport, hasTouch: true });
    const page = await context.newPage();
    const failures: string[] = [];
    page.on('pageerror', (error) => failures.push(String(error)));
    (page as Page & { failures?: string[] }).failures = failures;
    await page.goto(`${origin}/?lang=zh-CN`);
    await page.locator('[data-testid="start-top-up"]').waitFor({ timeout: 10_000 });
    for (let i = 0; i < 5; i++) await page.touchscreen.tap(40, 40);
    await poll(() => view(page)).toBe('login');
    return page;
  }

  const view = (page: Page) => page.evaluate(() => document.body.dataset['service'] ?? '');
  const keyboard = (page: Page) => page.locator('[data-testid="service-keyboard"]');
  const layout = (page: Page) => page.evaluate(() => document.body.dataset['keyboard'] ?? 'none');
  const focused = (page: Page) => page.evaluate(() => document.activeElement?.id ?? '');
  const preview = (page: Page) => page.locator('[data-testid="keyboard-preview"]').textContent();
  const noticeCode = (page: Page) =>
    page
      .locator('[data-testid="service-notice"]')
      .getAttribute('data-code', { timeout: 1000 })
      .catch(() => null);
  const tapKey = (page: Page, key: string) => keyboard(page).locator(`.osk-key[data-key="${key}"]`).tap();

  /** Taps `text` on the on-screen keys: a capital through the caps key, which is then released. */
  async function tapText(page: Page, text: string): Promise<void> {
    for (const char of text) {
      const capital = char !== char.toLowerCase();
      if (capital) await tapKey(page, 'shift');
      await tapKey(page, char.toLowerCase());
      if (capital) await tapKey(page, 'shift');
    }
  }

  /**
   * The field with the focus lies wholly on screen and inside the visible part of its panel, clear
   * of the keyboard (under it in portrait, beside it in landscape).
   */
  async function fieldClearOfKeyboard(page: Page): Promise<boolean> {
    return page.evaluate(() => {
      const f = (document.activeElement as HTMLElement).getBoundingClientRect();
      const k = document.getElementById('service-keyboard')!.getBoundingClientRect();
      const panel = document.querySelector('.service-panel')!.getBoundingClientRect();
      const apart = f.bottom <= k.top || f.right <= k.left;
      const inPanel = f.top >= panel.top && f.bottom <= panel.bottom;
      return apart && inPanel && k.bottom <= window.innerHeight + 1 && k.right <= window.innerWidth + 1;
    });
  }

  /** Every key is at least 96 px high and wholly inside the window. */
  async function keysFit(page: Page): Promise<string[]> {
    return page.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>('#service-keyboard .osk-key')]
        .map((key) => ({ key: key.dataset['key'], box: key.getBoundingClientRect() }))
        .filter(
          ({ box }) =>
            box.height < 96 ||
            box.left < 0 ||
            box.right > window.innerWidth ||
            box.bottom > window.innerHeight,
        )
        .map(
          ({ key, box }) =>
            `${key} ${Math.round(box.width)}×${Math.round(box.height)}@${Math.round(box.top)}`,
        ),
    );
  }

  /** Both languages; `refocus` taps the field again where the redrawn view does not focus one. */
  async function photograph(page: Page, name: string, refocus = async () => {}): Promise<void> {
    for (let i = 0; i < 2; i++) {
      const language = await page.evaluate(() => document.documentElement.lang);
      await page.screenshot({ path: join(SCREENS_DIR, `${name}.${language}.png`) });
      await page.locator('#language').tap();
      const next = language === 'zh-CN' ? 'en' : 'zh-CN';
      await page.waitForFunction((lang) => document.documentElement.lang === lang, next);
      await refocus();
      await keyboard(page).waitFor();
    }
  }

  it('logs in and counts a collection by taps alone; a tapped wrong password is refused as a typed one', async () => {
    const page = await openServiceByTouch(PORTRAIT);
    // The id has the focus and the letter keyboard is up, without a tap on the field.
    await poll(() => layout(page)).toBe('letters');
    expect(await focused(page)).toBe('service-technician');
    expect(await keysFit(page)).toEqual([]);
    expect(await fieldClearOfKeyboard(page)).toBe(true);

    // The id by taps: each key shows what it typed.
    await tapText(page, TECHNICIAN.technician);
    expect(await page.locator('#service-technician').inputValue()).toBe(TECHNICIAN.technician);
    expect(await preview(page)).toBe('1');
    await tapKey(page, 'backspace');
    await tapKey(page, '1');
    expect(await page.locator('#service-technician').inputValue()).toBe(TECHNICIAN.technician);
    await photograph(page, 'service-keyboard');

    // Next: the password, still a password field; its keys show nothing of what they typed.
    await tapKey(page, 'next');
    await poll(() => focused(page)).toBe('service-password');
    expect(await keyboard(page).getAttribute('class')).toContain('secret');
    await tapText(page, 'Wrong-Pass');
    expect(await page.locator('#service-password').getAttribute('type')).toBe('password');
    expect(await page.locator('#service-password').inputValue()).toBe('Wrong-Pass');
    expect(await preview(page)).toBe('●');
    expect(await keyboard(page).textContent()).not.toContain('Wrong');
    // A key held down is not lit in a password field (its place would tell it), as it is elsewhere.
    const held = keyboard(page).locator('.osk-key[data-key="w"]');
    const litWhileHeld = async () => {
      const box = (await held.boundingBox())!;
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.mouse.down();
      const pressed = await held.evaluate((key) => getComputedStyle(key).backgroundColor);
      await page.mouse.up();
      const resting = await held.evaluate((key) => getComputedStyle(key).backgroundColor);
      // The mouse press typed a w: take it out again.
      await tapKey(page, 'backspace');
      return pressed !== resting;
    };
    expect(await litWhileHeld()).toBe(false);
    expect(await page.locator('#service-password').inputValue()).toBe('Wrong-Pass');

    // Done sends the login as Enter would: refused, the id kept, the password to type again.
    await spaceLogin();
    await tapKey(page, 'done');
    await poll(() => noticeCode(page)).toBe('badCredentials');
    const tappedRefusal = await page.locator('[data-testid="service-notice"]').textContent();
    await poll(() => focused(page)).toBe('service-password');
    expect(await page.locator('#service-technician').inputValue()).toBe(TECHNICIAN.technician);
    expect(await page.locator('#service-password').inputValue()).toBe('');

    // The same wrong password from a USB keyboard: the same refusal, word for word.
    await page.evaluate(() => {
      document.querySelector('[data-testid="service-notice"]')?.remove();
    });
    await page.keyboard.type('Wrong-Pass');
    await spaceLogin();
    await page.keyboard.press('Enter');
    await poll(() => noticeCode(page)).toBe('badCredentials');
    expect(await page.locator('[data-testid="service-notice"]').textContent()).toBe(tappedRefusal);

    // Out of the password field the keys light up again under the finger.
    await page.locator('#service-technician').tap();
    await poll(() => keyboard(page).getAttribute('class')).not.toContain('secret');
    expect(await litWhileHeld()).toBe(true);
    await page.locator('#service-technician').evaluate((field: HTMLInputElement) => field.select());
    await tapText(page, TECHNICIAN.technician);
    expect(await page.locator('#service-technician').inputValue()).toBe(TECHNICIAN.technician);

    // The right password, tapped: the menu, and no keyboard on a view without fields.
    await tapKey(page, 'next');
    await poll(() => focused(page)).toBe('service-password');
    await tapText(page, TECHNICIAN.password);
    await spaceLogin();
    await tapKey(page, 'done');
    await poll(() => view(page)).toBe('menu');
    await poll(() => keyboard(page).isHidden()).toBe(true);

    // A collection count by taps: the counts get a keypad of digits only.
    await page.locator('[data-testid="service-menu-collection"]').tap();
    await page.locator('[data-testid="service-collection-start"]').tap();
    const table = page.locator('[data-testid="service-collection-table"]');
    await table.waitFor();
    await table.locator('input[data-denomination="10000"]').tap();
    await poll(() => layout(page)).toBe('keypad');
    expect(await keyboard(page).locator('.osk-key[data-key="a"]').count()).toBe(0);
    expect(await keysFit(page)).toEqual([]);
    expect(await fieldClearOfKeyboard(page)).toBe(true);
    await photograph(page, 'service-keypad', () => table.locator('input[data-denomination="10000"]').tap());
    await tapKey(page, '2');
    await tapKey(page, 'backspace');
    await tapKey(page, '1');
    expect(await table.locator('input[data-denomination="10000"]').inputValue()).toBe('1');
    await tapKey(page, 'done');
    await poll(() => keyboard(page).isHidden()).toBe(true);
    await page.locator('[data-testid="service-collection-count"]').tap();
    await poll(() => noticeCode(page)).toBe('discrepancy');
    expect(await table.locator('tr[data-denomination="10000"] .difference').textContent()).toBe('+1');
    await page.locator('[data-testid="service-collection-end"]').tap();
    await poll(() => noticeCode(page)).toBe('ended');
    await page.locator('[data-testid="service-back"]').tap();
    await page.locator('[data-testid="service-exit"]').tap();
    await poll(() => view(page)).toBe('closed');
    expect((page as Page & { failures?: string[] }).failures).toEqual([]);
    await page.context().close();
  }, 45_000);

  it('fits the keyboard and the field being typed in on a landscape screen', async () => {
    const page = await openServiceByTouch(LANDSCAPE);
    await poll(() => layout(page)).toBe('letters');
    expect(await keysFit(page)).toEqual([]);
    expect(await fieldClearOfKeyboard(page)).toBe(true);
    await tapText(page, 't-0');
    await photograph(page, 'landscape-service-keyboard');
    await tapKey(page, 'next');
    await poll(() => focused(page)).toBe('service-password');
    expect(await fieldClearOfKeyboard(page)).toBe(true);
    await page.locator('[data-testid="service-close"]').tap();
    await poll(() => view(page)).toBe('closed');
    expect((page as Page & { failures?: string[] }).failures).toEqual([]);
    await page.context().close();
  }, 30_000);
});
