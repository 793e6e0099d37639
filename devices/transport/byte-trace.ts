/** Direction of a traced chunk, seen from the host. */
export type TraceDirection = 'rx' | 'tx';

/** One debug log line per chunk when byte tracing is on. */
export interface ByteTraceEntry {
  dir: TraceDirection;
  /** Upper-case hex pairs separated by single spaces, e.g. `FC 05 11 27 56`. */
  hex: string;
  /** Milliseconds since the port opened, to the microsecond, so inter-frame gaps can be read off. */
  t: number;
}

/** Longest chunk written out in full; a runaway stream must not produce megabyte log lines. */
export const TRACE_MAX_BYTES = 512;

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).toUpperCase().padStart(2, '0'));

/**
 * Formats bytes as `FC 05 11 27 56`. Beyond `maxBytes` the rest is summarised as
 * ` …(+N bytes)` so the line still tells how much was cut.
 */
export function hexBytes(bytes: Uint8Array, maxBytes = TRACE_MAX_BYTES): string {
  const shown = Math.min(bytes.length, Math.max(0, Math.floor(maxBytes)));
  const parts = new Array<string>(shown);
  for (let i = 0; i < shown; i++) parts[i] = HEX[bytes[i]!]!;
  const hex = parts.join(' ');
  const cut = bytes.length - shown;
  return cut > 0 ? `${hex}${shown > 0 ? ' ' : ''}…(+${cut} bytes)` : hex;
}

export function traceEntry(dir: TraceDirection, bytes: Uint8Array, sinceOpenMs: number): ByteTraceEntry {
  return { dir, hex: hexBytes(bytes), t: Math.round(sinceOpenMs * 1000) / 1000 };
}
