import { ErrorCode, KioskError } from '../../core/errors.js';

/** One formatter per zone: building one costs far more than formatting with it. */
const formatters = new Map<string, Intl.DateTimeFormat>();
/** Zones come from config, a handful at most; the bound only guards against a caller's loop. */
const MAX_CACHED_ZONES = 16;

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    try {
      formatter = new Intl.DateTimeFormat('en-US', {
        timeZone,
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
        hourCycle: 'h23',
        numberingSystem: 'latn',
      });
    } catch (err) {
      throw new KioskError(
        ErrorCode.DeviceBadArgument,
        `receipt: unknown time zone ${JSON.stringify(timeZone)}`,
        {
          cause: err,
          details: { timeZone },
        },
      );
    }
    if (formatters.size >= MAX_CACHED_ZONES) formatters.clear();
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/**
 * An instant with its offset: without one, Date.parse reads the host's own zone, and the
 * receipt would depend on where it was printed.
 */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;

/** Milliseconds since the epoch of an ISO 8601 instant with its offset; refuses anything else, naming `what`. */
export function instantMs(instant: string, what: string): number {
  const ms = typeof instant === 'string' && ISO_INSTANT.test(instant) ? Date.parse(instant) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new KioskError(
      ErrorCode.DeviceBadArgument,
      `receipt: ${what} must be an ISO 8601 date and time with its offset (Z or ±hh:mm), got ${JSON.stringify(String(instant).slice(0, 64))}`,
      { details: { [what]: String(instant).slice(0, 64) } },
    );
  }
  return ms;
}

/**
 * An ISO 8601 instant as the local wall-clock time in `timeZone`, `2026-12-05 09:41:07`: the
 * same in every language, since digits in this order read the same to everyone.
 */
export function localTimeText(instant: string, timeZone: string, what = 'time'): string {
  const ms = instantMs(instant, what);
  const parts: Record<string, string> = {};
  for (const part of formatterFor(timeZone).formatToParts(ms)) parts[part.type] = part.value;
  const year = (parts['year'] ?? '').padStart(4, '0');
  return `${year}-${parts['month']}-${parts['day']} ${parts['hour']}:${parts['minute']}:${parts['second']}`;
}
