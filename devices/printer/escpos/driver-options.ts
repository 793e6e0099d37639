import { ErrorCode, KioskError } from '../../../core/errors.js';
import { PAPER_COLUMNS, type PaperColumns } from '../printer-document.js';
import type { MechanismGeometry } from './mechanism.js';

export interface EscPosDriverOptions {
  columns: PaperColumns;
  answerTimeoutMs: number;
  statusPollIntervalMs: number;
  jobStallTimeoutMs: number;
  geometry: MechanismGeometry;
  /** Status reads while a job runs (default the poll interval, at most 250 ms). */
  jobStatusIntervalMs?: number;
}

const JOB_STATUS_INTERVAL_MAX_MS = 250;
/** setTimeout fires at once beyond 2^31-1 ms; no wait here comes near a day. */
const MAX_MS = 86_400_000;

function bad(field: string, expected: string, value: unknown): KioskError {
  return new KioskError(
    ErrorCode.ConfigInvalid,
    `escpos driver: ${field}: expected ${expected}, got ${String(value)}`,
    {
      details: { field, value },
    },
  );
}

function positive(field: string, value: unknown, max = MAX_MS): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > max) {
    throw bad(field, `a number above 0 and at most ${max}`, value);
  }
  return value;
}

/**
 * Checks options that reach the driver without the config schema (a test, a bench) and fills
 * the defaults; a KioskError ConfigInvalid names the first bad field.
 */
export function resolveEscPosDriverOptions(options: EscPosDriverOptions): Required<EscPosDriverOptions> {
  if (typeof options !== 'object' || options === null) throw bad('options', 'an object', options);
  if (!(PAPER_COLUMNS as readonly unknown[]).includes(options.columns)) {
    throw bad('columns', PAPER_COLUMNS.join(', '), options.columns);
  }
  const statusPollIntervalMs = positive('statusPollIntervalMs', options.statusPollIntervalMs);
  const g = options.geometry;
  if (typeof g !== 'object' || g === null) throw bad('geometry', 'an object', g);
  positive('geometry.printSpeedMmPerSecond', g.printSpeedMmPerSecond, 100_000);
  for (const field of ['lineHeightMm', 'cutterDistanceMm', 'cutMs'] as const) {
    if (g[field] !== undefined) positive(`geometry.${field}`, g[field], 60_000);
  }
  return {
    columns: options.columns,
    answerTimeoutMs: positive('answerTimeoutMs', options.answerTimeoutMs),
    statusPollIntervalMs,
    jobStallTimeoutMs: positive('jobStallTimeoutMs', options.jobStallTimeoutMs),
    geometry: { ...g },
    jobStatusIntervalMs:
      options.jobStatusIntervalMs === undefined
        ? Math.min(statusPollIntervalMs, JOB_STATUS_INTERVAL_MAX_MS)
        : positive('jobStatusIntervalMs', options.jobStatusIntervalMs),
  };
}
