import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { expectationFor, problemLines } from '../../src/config/problem-lines.js';
import {
  fillQrUrlTemplate,
  MAX_QR_URL_TEMPLATE_LENGTH,
  MAX_RECEIPT_NAME_LENGTH,
  receiptsConfigSchema,
} from '../../src/receipts/receipt-config.js';

/** The fragment where the lead puts it, parsed the way parseConfig parses the whole file. */
const section = z.strictObject({ receipts: receiptsConfigSchema });

function parse(receipts: unknown) {
  return section.safeParse({ receipts }, { reportInput: true, error: expectationFor });
}

/** The operator's problem lines for `receipts`; fails the test if the fragment accepts it. */
function problemsOf(receipts: unknown): string[] {
  const result = parse(receipts);
  if (result.success) throw new Error(`expected ${JSON.stringify(receipts)} to be refused`);
  return problemLines(result.error.issues, section, { receipts });
}

const names = { 'zh-CN': '华南移动', en: 'South China Mobile' };

describe('receipts config fragment', () => {
  it('needs nothing: a missing section gets every default', () => {
    const result = parse(undefined);
    expect(result.success).toBe(true);
    expect(result.data?.receipts).toEqual({
      operatorName: { 'zh-CN': '自助充值服务', en: 'Self-service top-up' },
      hallName: { 'zh-CN': '自助服务厅', en: 'Self-service hall' },
      reprintWindowSeconds: 300,
      timeZone: 'Asia/Shanghai',
    });
    expect(parse({}).data?.receipts).toEqual(result.data?.receipts);
  });

  it('keeps what is given', () => {
    const given = {
      operatorName: names,
      hallName: { 'zh-CN': '天河营业厅', en: 'Tianhe Hall' },
      qrUrlTemplate: 'https://pay.example.cn/r/{paymentId}?src=kiosk',
      reprintWindowSeconds: 0,
      timeZone: 'Asia/Urumqi',
    };
    expect(parse(given).data?.receipts).toEqual(given);
    expect(parse({ reprintWindowSeconds: 3600 }).data?.receipts.reprintWindowSeconds).toBe(3600);
  });

  it('refuses an unknown key, naming it and the nearest known one', () => {
    expect(problemsOf({ timezone: 'UTC' })).toEqual([
      'receipts.timezone: unknown key (did you mean "timeZone"?)',
    ]);
    expect(problemsOf({ operatorName: { ...names, fr: 'x' } })).toEqual([
      'receipts.operatorName.fr: unknown key (expected one of "zh-CN", "en")',
    ]);
  });

  it('refuses a name missing a language, blank, too long, or not printable, with its path', () => {
    expect(problemsOf({ operatorName: { 'zh-CN': '华南移动' } })).toEqual([
      'receipts.operatorName.en: required, got nothing',
    ]);
    const expectation = `expected 1 to ${MAX_RECEIPT_NAME_LENGTH} characters, not blank`;
    expect(problemsOf({ hallName: { ...names, en: '  ' } })).toEqual([
      `receipts.hallName.en: ${expectation}, got "  "`,
    ]);
    expect(problemsOf({ hallName: { ...names, 'zh-CN': '' } })).toEqual([
      `receipts.hallName.zh-CN: ${expectation}, got ""`,
    ]);
    const long = '营'.repeat(MAX_RECEIPT_NAME_LENGTH + 1);
    expect(problemsOf({ operatorName: { ...names, 'zh-CN': long } })).toEqual([
      `receipts.operatorName.zh-CN: ${expectation}, got "${long}"`,
    ]);
    expect(problemsOf({ operatorName: { ...names, en: 42 } })).toEqual([
      `receipts.operatorName.en: ${expectation}, got 42`,
    ]);
    // 😀 and 𠀀 (CJK extension B) need four GB18030 bytes; a tab is a control character.
    for (const [name, codePoint, index] of [
      ['Mobile 😀', 'U+1F600', 7],
      ['𠀀营业厅', 'U+20000', 0],
      ['Hall\t1', 'U+0009', 4],
    ] as const) {
      expect(problemsOf({ hallName: { ...names, en: name } })).toEqual([
        `receipts.hallName.en: expected printable text: character ${codePoint} at index ${index} is a control character or has no two-byte GB18030 code, so a receipt printer cannot print it, got ${JSON.stringify(name)}`,
      ]);
    }
  });

  it('accepts ¥ in a name, since the printer prints it as ￥', () => {
    expect(parse({ operatorName: { ...names, en: 'Top-up ¥' } }).success).toBe(true);
  });

  describe('qrUrlTemplate', () => {
    const expectation = `expected an https:// URL of at most ${MAX_QR_URL_TEMPLATE_LENGTH} characters holding {paymentId} exactly once, after the host`;
    const refusal = (template: unknown) => problemsOf({ qrUrlTemplate: template });

    it('refuses a template without the placeholder or with it twice', () => {
      expect(refusal('https://pay.example.cn/r/')).toEqual([
        `receipts.qrUrlTemplate: ${expectation} (found it has no {paymentId}), got "https://pay.example.cn/r/"`,
      ]);
      expect(refusal('https://pay.example.cn/r/{paymentId}/{paymentId}')).toEqual([
        `receipts.qrUrlTemplate: ${expectation} (found it has {paymentId} 2 times), got "https://pay.example.cn/r/{paymentId}/{paymentId}"`,
      ]);
    });

    it('refuses a misspelt placeholder beside the real one', () => {
      expect(refusal('https://pay.example.cn/r/{paymentId}?k={kioskId}')[0]).toContain(
        '(found braces other than {paymentId})',
      );
    });

    it('refuses anything but https, credentials, the id in the host, spaces and non-ASCII', () => {
      const found = (template: string) => /\(found (.*)\), got/.exec(refusal(template)[0]!)?.[1];
      expect(found('http://pay.example.cn/r/{paymentId}')).toBe('scheme http, not https');
      expect(found('ftp://pay.example.cn/{paymentId}')).toBe('scheme ftp, not https');
      expect(found('https://user:pw@pay.example.cn/{paymentId}')).toBe('a user name or password');
      expect(found('https://{paymentId}.pay.example.cn/')).toBe('{paymentId} in the host');
      expect(found('https://pay.example.cn/r /{paymentId}')).toBe(
        'spaces or non-ASCII characters (percent-encode them)',
      );
      expect(found('https://pay.example.cn/充值/{paymentId}')).toBe(
        'spaces or non-ASCII characters (percent-encode them)',
      );
      expect(found('{paymentId}')).toBe('not a URL');
    });

    it('refuses one longer than the bound, and a non-string', () => {
      const long = `https://pay.example.cn/${'a'.repeat(MAX_QR_URL_TEMPLATE_LENGTH)}/{paymentId}`;
      expect(refusal(long)[0]).toMatch(/^receipts\.qrUrlTemplate: expected an https:\/\/ URL of at most 200/);
      expect(refusal(7)).toEqual([`receipts.qrUrlTemplate: ${expectation}, got 7`]);
    });

    it('fills the placeholder with the id escaped for a URL, taking $ patterns literally', () => {
      expect(fillQrUrlTemplate('https://p.example/{paymentId}?x=1', '01JEQ7Z3N8')).toBe(
        'https://p.example/01JEQ7Z3N8?x=1',
      );
      expect(fillQrUrlTemplate('https://p.example/{paymentId}', 'a/b$&c d')).toBe(
        'https://p.example/a%2Fb%24%26c%20d',
      );
    });
  });

  it('refuses a reprint window outside 0–3600 s or not an integer', () => {
    for (const value of [-1, 3601, 1.5, '300']) {
      expect(problemsOf({ reprintWindowSeconds: value })).toEqual([
        `receipts.reprintWindowSeconds: expected an integer from 0 to 3600, got ${JSON.stringify(value)}`,
      ]);
    }
  });

  it('refuses a time zone Intl does not know', () => {
    const expectation = 'expected an IANA time zone name such as "Asia/Shanghai"';
    for (const value of ['Asia/Beijing', 'CST+8', '', 'Mars/Olympus']) {
      expect(problemsOf({ timeZone: value })).toEqual([
        `receipts.timeZone: ${expectation}, got ${JSON.stringify(value)}`,
      ]);
    }
    expect(problemsOf({ timeZone: 8 })).toEqual([`receipts.timeZone: ${expectation}, got 8`]);
    expect(problemsOf({ timeZone: `Asia/${'x'.repeat(64)}` })[0]).toMatch(
      /^receipts\.timeZone: expected an IANA time zone name/,
    );
    expect(parse({ timeZone: 'UTC' }).success).toBe(true);
    expect(parse({ timeZone: 'America/New_York' }).success).toBe(true);
  });

  it('reports every bad field at once, each on its own path', () => {
    expect(
      problemsOf({
        reprintWindowSeconds: 9999,
        timeZone: 'Mars/Olympus',
        qrUrlTemplate: 'https://x.cn/',
      }).map((line) => line.split(':')[0]),
    ).toEqual(['receipts.reprintWindowSeconds', 'receipts.timeZone', 'receipts.qrUrlTemplate']);
  });
});
