import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const SYSTEMD_UNIT = fileURLToPath(new URL('../seeds/systemd/kioskd.service', import.meta.url));

/**
 * The environment the shipped systemd unit gives the daemon (its `Environment=` lines: node
 * flags, malloc arenas): a bench that runs the daemon measures it as a kiosk runs it, and names them.
 */
export function unitEnvironment(
  unitText: string = readFileSync(SYSTEMD_UNIT, 'utf8'),
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const raw of unitText.split('\n')) {
    const match = /^Environment=(["']?)([A-Za-z_][A-Za-z0-9_]*)=(.*?)\1$/.exec(raw.trim());
    if (match) env[match[2]!] = match[3]!;
  }
  return env;
}

/** `KEY=value ...` for a bench's figures, or `none`. */
export function describeEnvironment(env: Record<string, string>): string {
  return (
    Object.entries(env)
      .map(([key, value]) => `${key}=${value}`)
      .join(' ') || 'none'
  );
}
