/**
 * A kiosk process for crash tests: opens the journal, finishes what a crash interrupted,
 * starts the REAL fleet link, and makes payments until the outbox holds `paymentsUpTo`. The
 * parent SIGKILLs it at will and starts it again on the same journal and data directory.
 *
 * Run as `node --import tsx test/fleet-e2e/kiosk-process.ts` with KIOSK_PROCESS set to the JSON
 * of KioskProcessSpec. Reports one JSON object per stdout line: {event: "connected", epoch},
 * {event: "made", lastSeq}, {event: "allMade", lastSeq}, then {event: "outbox", pending} whenever
 * the count of unacknowledged payments changes. SIGTERM stops the link and closes the journal.
 */
import { setImmediate as yieldToLink } from 'node:timers/promises';
import type { FleetLinkConfig } from '../../src/fleet-link/index.js';
import { startFleetLink } from '../../src/fleet-link/index.js';
import { Journal } from '../../src/journal/journal.js';
import { silentLogger } from '../../src/log.js';
import { finishInterruptedPayments, makePayment } from './journal-payments.js';

export interface KioskProcessSpec {
  journalPath: string;
  link: FleetLinkConfig;
  /** Make payments until the journal's last seq is this (0: make none). */
  paymentsUpTo: number;
}

function report(event: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

async function main(): Promise<void> {
  const text = process.env['KIOSK_PROCESS'];
  if (!text) throw new Error('KIOSK_PROCESS is not set');
  const spec = JSON.parse(text) as KioskProcessSpec;
  const journal = Journal.open({
    path: spec.journalPath,
    kioskId: spec.link.kioskId,
    logger: silentLogger(),
  });
  finishInterruptedPayments(journal);
  const { link } = startFleetLink({ config: spec.link, journal, logger: silentLogger() });
  link.on('connected', (epoch) => report({ event: 'connected', epoch }));
  let lastSeq = journal.outbox.stats().lastSeq;
  let index = lastSeq;
  while (lastSeq < spec.paymentsUpTo) {
    lastSeq = makePayment(journal, index++);
    link.kick();
    // A kiosk takes a note every few seconds; here a payment every few milliseconds, with the
    // link sending between them, so a SIGKILL lands while payments are being made and sent.
    if (lastSeq % 10 === 0) {
      report({ event: 'made', lastSeq });
      await yieldToLink();
    }
  }
  report({ event: 'allMade', lastSeq });
  let reportedPending = -1;
  const outboxTimer = setInterval(() => {
    const { pending } = journal.outbox.stats();
    if (pending !== reportedPending) report({ event: 'outbox', pending });
    reportedPending = pending;
  }, 50);
  const stop = () => {
    clearInterval(outboxTimer);
    link.stop().finally(() => {
      journal.close();
      process.exit(0);
    });
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`kiosk process failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
