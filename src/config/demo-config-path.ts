import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ErrorCode, KioskError } from '../../core/errors.js';

/**
 * Absolute path of seeds/demo.yaml. This module runs from src/config/ (tsx, tests) or from
 * dist/src/config/ (built); dist/ mirrors the repo, so the seed sits two or three levels up.
 */
export function embeddedDemoConfigPath(): string {
  const candidates = ['../../seeds/demo.yaml', '../../../seeds/demo.yaml'].map((relative) =>
    fileURLToPath(new URL(relative, import.meta.url)),
  );
  const found = candidates.find((candidate) => existsSync(candidate));
  if (found === undefined) {
    throw new KioskError(
      ErrorCode.ConfigNotFound,
      `embedded demo config not found at ${candidates.join(' or ')}`,
      {
        details: { candidates },
      },
    );
  }
  return found;
}
