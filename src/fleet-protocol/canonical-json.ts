/**
 * The canonical JSON a command signature covers: object keys sorted by UTF-16 code units, no
 * white space, numbers as JSON.stringify writes them (commands carry integers and strings),
 * strings escaped as JSON.stringify escapes them. This is RFC 8785 (JCS) for the values the
 * envelope can hold; floats that JCS would format differently are refused rather than guessed.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('canonical JSON: numbers must be finite');
    if (!Number.isSafeInteger(value)) throw new TypeError('canonical JSON: only safe integers are signed');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  throw new TypeError(`canonical JSON: cannot encode a ${typeof value}`);
}
