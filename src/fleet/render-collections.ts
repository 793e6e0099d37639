import type { StoredCollection } from './ledger-store.js';

/** Fen as yuan with two decimals and a sign when asked: 150000 → "1500.00". */
function yuan(fen: number, signed = false): string {
  const sign = fen < 0 ? '-' : signed && fen > 0 ? '+' : '';
  const abs = Math.abs(fen);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

const HEADERS = [
  'ended (UTC)',
  'kiosk',
  'seq',
  'collection',
  'technician',
  'expected',
  'counted',
  'difference',
  '',
];

/**
 * The ledger's cash collections as a plain table, one line each (newest first as given), with
 * the lines of every discrepancy per denomination under it: what an operator reconciling
 * cashboxes against the bank's count reads.
 */
export function renderCollectionsTable(collections: readonly StoredCollection[]): string {
  if (collections.length === 0) return 'no cash collections in the ledger';
  const rows = collections.map((c) => [
    c.endedAt.replace('T', ' ').slice(0, 19),
    c.kioskId,
    String(c.seq),
    c.collectionId,
    c.technician,
    yuan(c.expectedValue),
    yuan(c.countedValue),
    yuan(c.difference, true),
    c.discrepancy ? 'DISCREPANCY' : 'ok',
  ]);
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i >= 5 && i <= 7 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const out = [line(HEADERS)];
  collections.forEach((c, i) => {
    out.push(line(rows[i]!));
    for (const d of c.denominations.filter((n) => n.difference !== 0)) {
      const note = d.denomination === 0 ? 'unknown note' : `${yuan(d.denomination)} note`;
      out.push(
        `    ${note}: expected ${d.expected}, counted ${d.counted} (${d.difference > 0 ? '+' : ''}${d.difference})`,
      );
    }
  });
  return out.join('\n');
}
