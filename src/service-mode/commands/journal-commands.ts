import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { maskAccount } from '../../log.js';
import { argumentError, type ServiceCommand } from '../service-command.js';
import { errorText, ServiceError } from '../service-error.js';

/** The most audit entries a command reads: a day of a busy kiosk fits well inside. */
const MAX_AUDIT_ENTRIES = 20_000;
const EXPORT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const DAY_MS = 24 * 60 * 60 * 1000;

const summaryCommand: ServiceCommand = {
  name: 'summary',
  usage: '',
  summary: "the journal's summary: open transactions, payments, outbox, cashbox counters, conservation",
  needsActive: false,
  maxArgs: 0,
  async run(context) {
    return {
      summary: context.journal.summary(),
      cashbox: context.journal.cashbox.counters('cashAcceptor'),
      conservationViolations: context.journal.checkConservation().map((v) => v.message),
    };
  },
};

const lastPaymentCommand: ServiceCommand = {
  name: 'last-payment',
  usage: '',
  summary: 'the last payment in the journal (the account masked, as `payments` shows it)',
  needsActive: false,
  maxArgs: 0,
  async run(context) {
    const payment = context.journal.payments.last();
    // A console or service screen is no place for a whole phone number.
    return {
      payment:
        payment === null || payment.account === null
          ? payment
          : { ...payment, account: maskAccount(payment.account) },
    };
  },
};

const MAX_PAYMENTS = 100;

/**
 * The last payments, newest first, as a technician checks a customer's claim: when, how much,
 * the account masked as in the logs (the technician matches the last digits the customer
 * says, and a console screen is no place for whole numbers), and what became of the receipt.
 */
const paymentsCommand: ServiceCommand = {
  name: 'payments',
  usage: '[n]',
  summary: `the last n payments, newest first (default 10, at most ${MAX_PAYMENTS}): time, masked account, amount, receipt`,
  needsActive: false,
  maxArgs: 1,
  async run(context, args) {
    const raw = args[0] ?? '10';
    const count = Number(raw);
    if (!/^\d{1,3}$/.test(raw) || count < 1 || count > MAX_PAYMENTS) {
      throw argumentError(
        paymentsCommand,
        `n must be an integer from 1 to ${MAX_PAYMENTS}, got "${raw.slice(0, 20)}"`,
      );
    }
    const payments = context.journal.payments.recent(count).map((payment) => {
      const printed = context.journal.receipts.get(payment.paymentId);
      return {
        paymentId: payment.paymentId,
        seq: payment.seq,
        at: payment.createdAt,
        account: payment.account === null ? null : maskAccount(payment.account),
        amount: payment.amount,
        currency: payment.currency,
        kind: payment.kind,
        receipt: {
          // Whether a receipt was due at the commit; `print` is what the printer made of it.
          due: payment.receipt,
          print: printed === null ? 'none' : printed.state,
          ...(printed?.reason ? { reason: printed.reason } : {}),
          ...(printed === null ? {} : { prints: printed.prints }),
        },
      };
    });
    return { payments };
  },
};

const auditCommand: ServiceCommand = {
  name: 'audit',
  usage: '[count]',
  summary: 'the last audit entries (default 20, at most 500)',
  needsActive: false,
  maxArgs: 1,
  async run(context, args) {
    const raw = args[0] ?? '20';
    const count = Number(raw);
    if (!/^\d+$/.test(raw) || count < 1 || count > 500) {
      throw argumentError(auditCommand, `count must be an integer from 1 to 500, got "${raw.slice(0, 20)}"`);
    }
    return { entries: context.journal.audit.tail(count) };
  },
};

/**
 * The last day's logs for the technician to take away: the journal summary, the conservation
 * check and every audit entry of the last 24 hours, as JSON lines in `<dataDir>/exports/<name>.jsonl`.
 * The audit log is the kiosk's own record of who did what (logins, modes, commands, money events);
 * the daemon's stdout log belongs to journald. An existing file is never overwritten.
 */
const exportCommand: ServiceCommand = {
  name: 'export-logs',
  usage: '<name>',
  summary: "write the last day's audit log and journal summary to <dataDir>/exports/<name>.jsonl",
  needsActive: false,
  maxArgs: 1,
  async run(context, args) {
    const name = args[0] ?? '';
    if (!EXPORT_NAME.test(name)) {
      throw argumentError(
        exportCommand,
        `name must be 1 to 64 of A-Z a-z 0-9 . _ - (no path), got "${name.slice(0, 40)}"`,
      );
    }
    const since = new Date(Date.now() - DAY_MS).toISOString();
    const entries = context.journal.audit.tail(MAX_AUDIT_ENTRIES).filter((entry) => entry.ts >= since);
    const lines = [
      {
        kind: 'export',
        kioskId: context.config.kioskId,
        technician: context.technician,
        since,
        ts: new Date().toISOString(),
      },
      { kind: 'summary', ...context.journal.summary() },
      { kind: 'conservation', violations: context.journal.checkConservation().map((v) => v.message) },
      ...entries.map((entry) => ({ kind: 'audit', ...entry })),
    ];
    const dir = join(context.config.dataDir, 'exports');
    const path = join(dir, `${name}.jsonl`);
    try {
      mkdirSync(dir, { recursive: true, mode: 0o750 });
      writeFileSync(path, `${lines.map((line) => JSON.stringify(line)).join('\n')}\n`, {
        flag: 'wx',
        mode: 0o640,
      });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') throw new ServiceError('exists', `${path} exists already; choose another name`);
      throw new ServiceError('ioFailed', `export to ${path}: ${errorText(error)}`);
    }
    return { path, auditEntries: entries.length, since };
  },
};

export const journalCommands: ServiceCommand[] = [
  summaryCommand,
  lastPaymentCommand,
  paymentsCommand,
  auditCommand,
  exportCommand,
];
