import { isLanguage, LANGUAGES } from '../../i18n/messages.js';
import { argumentError, type ServiceCommand } from '../service-command.js';
import { errorText, ServiceError } from '../service-error.js';

const PAYMENT_ID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/**
 * A technician's reprint of any payment's receipt (a customer's complaint days later): no
 * window and no count limit as on the screen, but each one is journaled as a reprint with the
 * technician as its actor, and audited.
 */
const reprintCommand: ServiceCommand = {
  name: 'reprint',
  usage: `<paymentId> [${LANGUAGES.join('|')}]`,
  summary: "reprint a payment's receipt, marked as a reprint",
  needsActive: true,
  maxArgs: 2,
  async run(context, args) {
    const paymentId = args[0] ?? '';
    if (!PAYMENT_ID.test(paymentId))
      throw argumentError(
        reprintCommand,
        `"${paymentId.slice(0, 40)}" is not a payment id (26 characters, ULID)`,
      );
    const language = args[1] ?? 'zh-CN';
    if (!isLanguage(language))
      throw argumentError(reprintCommand, `language must be one of ${LANGUAGES.join(', ')}`);
    const receipts = context.receipts;
    if (receipts === undefined) throw new ServiceError('noDevice', 'no printer is enabled on this kiosk');
    try {
      context.journal.payments.get(paymentId);
    } catch (error) {
      throw new ServiceError('notFound', `payment ${paymentId}: ${errorText(error)}`);
    }
    const record = await receipts.print({
      paymentId,
      language,
      reprint: true,
      actor: `technician:${context.technician}`,
    });
    if (record.state !== 'printed') {
      throw new ServiceError('printFailed', `reprint of ${paymentId}: ${record.reason ?? record.state}`);
    }
    return record;
  },
};

export const receiptCommands: ServiceCommand[] = [reprintCommand];
