import { type Logger, pino } from 'pino';

/**
 * The logger every layer takes. Only its type and a silent instance live here, so devices,
 * machines and simulators can log without importing the daemon: the daemon's own logger, with
 * its redaction of PIN blocks, keys and account numbers, is built in src/log.ts.
 */
export type { Logger } from 'pino';

/** A logger that writes nothing, for library code used outside the daemon (benchmarks, tests). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
