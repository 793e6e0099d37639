import { readFileSync } from 'node:fs';

/** The package version, read from package.json whether we run from src/ (tsx) or dist/src/ (node). */
function readVersion(): string {
  for (const relative of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'kioskd' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // not at this depth; try the next
    }
  }
  return '0.0.0-unknown';
}

export const KIOSKD_VERSION = readVersion();
