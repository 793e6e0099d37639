import type { StoredServiceEvent } from './ledger-store.js';

const HEADERS = ['at (UTC)', 'kiosk', 'technician', 'action', 'args', 'outcome', 'error'];
/** A command's words can be long (a collection's counts); the table shows their start. */
const MAX_ARGS_TEXT = 60;

/**
 * The ledger's service events as a plain table, one line each, in the order given (newest
 * first): who did what on which kiosk, and how it ended, for an operator checking a visit.
 */
export function renderEventsTable(events: readonly StoredServiceEvent[]): string {
  if (events.length === 0) return 'no service events in the ledger';
  const rows = events.map((e) => {
    const args = e.args.join(' ');
    return [
      e.ts.replace('T', ' ').slice(0, 19),
      e.kioskId,
      e.technician,
      e.action,
      args.length > MAX_ARGS_TEXT ? `${args.slice(0, MAX_ARGS_TEXT - 1)}…` : args,
      e.outcome,
      e.error ?? '',
    ];
  });
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(HEADERS), ...rows.map(line)].join('\n');
}
