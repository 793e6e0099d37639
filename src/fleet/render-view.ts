import type { FleetSnapshot, KioskView } from './fleet-state.js';

/**
 * The live view as text: a header, then one line per kiosk (sorted by id) with its state,
 * mode, devices, cashbox fill, last payment and open alerts, then one line per kiosk whose
 * epoch the view would not take on its word. Pure, so it is tested as text; the terminal loop
 * only adds the cursor movements.
 */

/** Currencies whose minor unit is not a hundredth (ISO 4217 exponent 0). */
const NO_MINOR_UNIT = new Set(['JPY', 'KRW', 'VND', 'CLP', 'ISK']);

/** An amount in minor units as a decimal, with integer arithmetic only (never a float). */
export function formatAmount(minor: number, currency: string): string {
  if (NO_MINOR_UNIT.has(currency)) return `${minor} ${currency}`;
  const sign = minor < 0 ? '-' : '';
  const abs = Math.abs(minor);
  return `${sign}${Math.trunc(abs / 100)}.${String(abs % 100).padStart(2, '0')} ${currency}`;
}

/** "42s", "5m", "3h", "2d" ago; "-" when never. */
export function formatAge(ts: string | null, now: Date): string {
  if (ts === null) return '-';
  const seconds = Math.max(0, Math.round((now.getTime() - Date.parse(ts)) / 1000));
  if (seconds < 90) return `${seconds}s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)}m`;
  if (seconds < 36 * 3600) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86_400)}d`;
}

const DEVICE_ABBREVIATIONS: Record<string, string> = { cashAcceptor: 'acc', printer: 'prn', pinPad: 'pin' };

function devicesCell(kiosk: KioskView): string {
  const entries = Object.entries(kiosk.devices).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (entries.length === 0) return '-';
  return entries
    .map(
      ([name, status]) =>
        `${DEVICE_ABBREVIATIONS[name] ?? name}:${status.state}${status.action ? `/${status.action}` : ''}`,
    )
    .join(' ');
}

function cashboxCell(kiosk: KioskView): string {
  const boxes = Object.values(kiosk.cashbox);
  if (boxes.length === 0) return '-';
  return boxes
    .map((box) => {
      const fill = box.fill === null ? `${box.notes} notes` : `${Math.round(box.fill * 100)}% (${box.notes})`;
      return box.accuracy === 'accurate' ? fill : `${fill} ${box.accuracy}`;
    })
    .join(' ');
}

function paymentCell(kiosk: KioskView, now: Date): string {
  const p = kiosk.lastPayment;
  if (p === null) return '-';
  return `#${p.seq} ${formatAmount(p.amount, p.currency)} ${formatAge(p.ts, now)} ago`;
}

function alertsCell(kiosk: KioskView): string {
  if (kiosk.openAlerts.length === 0 && kiosk.omittedAlerts === 0) return '-';
  const listed = kiosk.openAlerts.map(
    (a) => `${a.kind}(${DEVICE_ABBREVIATIONS[a.device] ?? a.device})/${a.action}`,
  );
  if (kiosk.omittedAlerts > 0) listed.push(`+${kiosk.omittedAlerts} older`);
  return listed.join(', ');
}

/** An epoch cell ends in "!" while the kiosk has an epoch warning (explained under the table). */
function epochCell(kiosk: KioskView): string {
  if (kiosk.epoch === null) return '-';
  return kiosk.epochWarning === null ? String(kiosk.epoch) : `${kiosk.epoch}!`;
}

function epochWarningLine(kiosk: KioskView, now: Date): string | undefined {
  const w = kiosk.epochWarning;
  if (w === null) return undefined;
  const age = formatAge(w.ts, now);
  return w.adopted
    ? `${kiosk.kioskId}: epoch moved from ${w.believedEpoch} to ${w.claimedEpoch}, ${age} ago, on a second message of it; check the kiosk's fleet-epoch.json`
    : `${kiosk.kioskId}: ignored a ${w.kind} claiming epoch ${w.claimedEpoch} (believed ${w.believedEpoch}), ${age} ago; a jump that far is not a reconnect`;
}

const COLUMNS = [
  'KIOSK',
  'STATE',
  'MODE',
  'EPOCH',
  'SEEN',
  'DEVICES',
  'CASHBOX',
  'LAST PAYMENT',
  'ALERTS',
] as const;

export interface RenderOptions {
  now: Date;
  /** Terminal width; longer lines are cut with "…". Unlimited when absent. */
  width?: number | undefined;
  /** Shown in the header, e.g. "connected to mqtt://127.0.0.1:1883". */
  connection?: string | undefined;
}

function cut(line: string, width: number | undefined): string {
  if (width === undefined || line.length <= width) return line;
  return width <= 1 ? line.slice(0, width) : `${line.slice(0, width - 1)}…`;
}

export function renderFleetTable(snapshot: FleetSnapshot, options: RenderOptions): string[] {
  const { now } = options;
  const online = snapshot.kiosks.filter((k) => k.state === 'online').length;
  const alerts = snapshot.kiosks.reduce((sum, k) => sum + k.openAlerts.length + k.omittedAlerts, 0);
  const header = [
    `kioskd fleet view  ${snapshot.at}`,
    `${snapshot.kiosks.length} kiosks, ${online} online, ${alerts} open alerts`,
    options.connection,
    snapshot.invalidMessages > 0 ? `${snapshot.invalidMessages} invalid messages ignored` : undefined,
  ]
    .filter((part) => part !== undefined)
    .join('  |  ');
  const rows = snapshot.kiosks.map((k) => [
    k.kioskId,
    k.state,
    k.mode ?? '-',
    epochCell(k),
    formatAge(k.lastSeenAt, now),
    devicesCell(k),
    cashboxCell(k),
    paymentCell(k, now),
    alertsCell(k),
  ]);
  const table = [[...COLUMNS], ...rows];
  const widths = COLUMNS.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  const lines = table.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
  if (rows.length === 0) lines.push('(no kiosk has reported yet)');
  const warnings = snapshot.kiosks.map((k) => epochWarningLine(k, now)).filter((line) => line !== undefined);
  if (warnings.length > 0) lines.push('', ...warnings);
  return [header, '', ...lines].map((line) => cut(line, options.width));
}

/** Cursor home, the lines each followed by clear-to-end-of-line, then clear to the end of the screen. */
export function inPlaceFrame(lines: readonly string[]): string {
  return `\x1b[H${lines.map((line) => `${line}\x1b[K`).join('\n')}\n\x1b[J`;
}
