import { type LoggerOptions, pino } from 'pino';
import type { Logger } from '../core/logger.js';

export { type Logger, silentLogger } from '../core/logger.js';

/**
 * Paths that never reach a log line in clear: PIN blocks and key material at any level.
 * DESIGN.md invariant 3 says a PIN block is never logged; keys follow the same rule.
 */
export const SECRET_PATHS = [
  'pinBlock',
  '*.pinBlock',
  '*.*.pinBlock',
  // The KSN names the pad's DUKPT key; DESIGN.md invariant 3 keeps it out of logs beside the block.
  'ksn',
  '*.ksn',
  '*.*.ksn',
  'key',
  '*.key',
  'keys',
  '*.keys',
  'bdk',
  '*.bdk',
  'ipek',
  '*.ipek',
  'privateKey',
  '*.privateKey',
  'password',
  '*.password',
];

/** Account numbers are masked at info level and above; a debug log shows them whole for a technician. */
export const ACCOUNT_PATHS = ['account', '*.account', 'accountNumber', '*.accountNumber'];

export function maskAccount(value: unknown): unknown {
  if (typeof value !== 'string' || value.length < 7) return typeof value === 'string' ? '****' : value;
  return `${value.slice(0, 3)}${'*'.repeat(value.length - 7)}${value.slice(-4)}`;
}

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

export interface CreateLoggerOptions {
  level?: LogLevel;
  name?: string;
  /** Where JSON lines go; stdout by default. Tests pass a stream to read them back. */
  destination?: NodeJS.WritableStream;
}

export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  const verbose = level === 'debug' || level === 'trace';
  const config: LoggerOptions = {
    level,
    base: { name: options.name ?? 'kioskd', pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: verbose ? SECRET_PATHS : [...SECRET_PATHS, ...ACCOUNT_PATHS],
      censor: (value: unknown, path: string[]) =>
        ACCOUNT_PATHS.some((p) => p.split('.').at(-1) === path.at(-1)) ? maskAccount(value) : '[redacted]',
    },
  };
  return options.destination ? pino(config, options.destination) : pino(config);
}
