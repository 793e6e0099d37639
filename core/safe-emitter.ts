import type { EventEmitter } from 'node:events';

/** Where a failing listener is reported: the project's Logger fits, and so does a test's recorder. */
export interface ListenerFailureLog {
  error(obj: object, msg: string): void;
}

/**
 * Emits `event` by calling each listener on its own. A listener that throws is logged and must
 * neither starve the listeners after it nor unwind into the emitter's caller (a stream's read
 * path, a driver's poll loop); an async listener's rejection is logged rather than left to
 * surface as an unhandled rejection.
 */
export function emitSafely<T extends Record<keyof T, unknown[]>, K extends keyof T & (string | symbol)>(
  emitter: EventEmitter<T>,
  log: ListenerFailureLog,
  /** Names the emitter in the log line: `<who> listener threw`. */
  who: string,
  event: K,
  ...args: T[K]
): void {
  const listeners = (emitter as unknown as EventEmitter).rawListeners(event) as ((...a: T[K]) => unknown)[];
  for (const listener of listeners) {
    try {
      const result = listener.apply(emitter, args);
      if (result instanceof Promise) {
        result.catch((error: unknown) => log.error({ err: error, event }, `${who} listener failed`));
      }
    } catch (error) {
      log.error({ err: error, event }, `${who} listener threw`);
    }
  }
}
