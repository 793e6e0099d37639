import { z } from 'zod';
import { intFrom } from '../../core/config-fields.js';
import { isKioskError } from '../../core/errors.js';
import { toPrintableChars } from '../../devices/printer/escpos/codec/printable-text.js';
import type { Language } from '../i18n/messages.js';

/*
 * The `receipts` config section: what a customer receipt says about who runs the kiosk, and
 * how long the customer may reprint it. Names are printed as given, so a name the printer
 * cannot print is refused here rather than turning into "?" on paper.
 */

/** Longest operator or hall name: two lines of the narrowest (32-column) paper in CJK. */
export const MAX_RECEIPT_NAME_LENGTH = 32;
export const MAX_QR_URL_TEMPLATE_LENGTH = 200;
export const MAX_TIME_ZONE_LENGTH = 64;
export const PAYMENT_ID_PLACEHOLDER = '{paymentId}';
export const DEFAULT_RECEIPT_TIME_ZONE = 'Asia/Shanghai';

const NAME_EXPECTATION = `expected 1 to ${MAX_RECEIPT_NAME_LENGTH} characters, not blank`;

/** Why a GBK printer would not print `text` as written, or undefined when it would. */
function unprintableReason(text: string): string | undefined {
  try {
    toPrintableChars(text, 'refuse');
    return undefined;
  } catch (err) {
    if (!isKioskError(err)) throw err;
    const { codePoint, index } = err.details ?? {};
    return `character ${String(codePoint)} at index ${String(index)} is a control character or has no two-byte GB18030 code, so a receipt printer cannot print it`;
  }
}

function receiptName() {
  return z
    .string({ error: NAME_EXPECTATION })
    .max(MAX_RECEIPT_NAME_LENGTH, { error: NAME_EXPECTATION })
    .regex(/\S/, { error: NAME_EXPECTATION })
    .superRefine((text, ctx) => {
      const reason = unprintableReason(text);
      if (reason !== undefined) {
        ctx.addIssue({ code: 'custom', message: `expected printable text: ${reason}`, input: text });
      }
    });
}

/** One name per language the kiosk speaks; `satisfies` makes a new language a compile error here. */
function perLanguage(defaults: Record<Language, string>) {
  return z
    .strictObject({ 'zh-CN': receiptName(), en: receiptName() } satisfies Record<Language, z.ZodType>)
    .default(defaults);
}

const TEMPLATE_EXPECTATION = `expected an https:// URL of at most ${MAX_QR_URL_TEMPLATE_LENGTH} characters holding ${PAYMENT_ID_PLACEHOLDER} exactly once, after the host`;

/** Stands in for the payment id while the template is checked: a real ULID's shape. */
const SAMPLE_PAYMENT_ID = '01JEQ7Z3N8X4V2R6T9W5Y7K3MB';

/** What is wrong with a QR URL template, or undefined when nothing is. */
export function qrUrlTemplateProblem(template: string): string | undefined {
  const count = template.split(PAYMENT_ID_PLACEHOLDER).length - 1;
  if (count === 0) return `it has no ${PAYMENT_ID_PLACEHOLDER}`;
  if (count > 1) return `it has ${PAYMENT_ID_PLACEHOLDER} ${count} times`;
  // Anything else in braces is a placeholder this kiosk would print literally, e.g. {paymentID}.
  if (/[{}]/.test(template.replace(PAYMENT_ID_PLACEHOLDER, ''))) {
    return `braces other than ${PAYMENT_ID_PLACEHOLDER}`;
  }
  // A QR scanner hands the URL to a browser as is: no spaces, and non-ASCII percent-encoded.
  if (!/^[\x21-\x7e]+$/.test(template)) return 'spaces or non-ASCII characters (percent-encode them)';
  let url: URL;
  try {
    url = new URL(fillQrUrlTemplate(template, SAMPLE_PAYMENT_ID));
  } catch {
    return 'not a URL';
  }
  if (url.protocol !== 'https:') return `scheme ${url.protocol.slice(0, -1)}, not https`;
  if (url.username !== '' || url.password !== '') return 'a user name or password';
  if (url.host.toUpperCase().includes(SAMPLE_PAYMENT_ID)) return `${PAYMENT_ID_PLACEHOLDER} in the host`;
  return undefined;
}

/** The template with the payment id put in its placeholder, escaped for a URL. */
export function fillQrUrlTemplate(template: string, paymentId: string): string {
  // A function replacement, so `$&` and the like in the id are never special.
  return template.replace(PAYMENT_ID_PLACEHOLDER, () => encodeURIComponent(paymentId));
}

const qrUrlTemplate = z
  .string({ error: TEMPLATE_EXPECTATION })
  .max(MAX_QR_URL_TEMPLATE_LENGTH, { error: TEMPLATE_EXPECTATION })
  .superRefine((template, ctx) => {
    const problem = qrUrlTemplateProblem(template);
    if (problem !== undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `${TEMPLATE_EXPECTATION} (found ${problem})`,
        input: template,
      });
    }
  });

const TIME_ZONE_EXPECTATION = 'expected an IANA time zone name such as "Asia/Shanghai"';

export function isKnownTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

const timeZone = z
  .string({ error: TIME_ZONE_EXPECTATION })
  .max(MAX_TIME_ZONE_LENGTH, { error: TIME_ZONE_EXPECTATION })
  .refine(isKnownTimeZone, { error: TIME_ZONE_EXPECTATION })
  .default(DEFAULT_RECEIPT_TIME_ZONE);

export const receiptsConfigSchema = z
  .strictObject({
    operatorName: perLanguage({ 'zh-CN': '自助充值服务', en: 'Self-service top-up' }),
    hallName: perLanguage({ 'zh-CN': '自助服务厅', en: 'Self-service hall' }),
    /** Without one, the QR code holds the bare payment id. */
    qrUrlTemplate: qrUrlTemplate.optional(),
    /** How long after the payment the customer may reprint from the screen; technicians any time. */
    reprintWindowSeconds: intFrom(0, 3600).default(300),
    /** Where the receipt's local date and time are reckoned, whatever the host's own zone. */
    timeZone,
  })
  .prefault({});

export type ReceiptsConfig = z.output<typeof receiptsConfigSchema>;
