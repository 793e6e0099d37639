import { join } from 'node:path';
import type { KioskConfig } from '../config/index.js';

/** Where `kioskd diag` connects: the configured path, else `<dataDir>/diag.sock`. */
export function diagSocketPath(config: Pick<KioskConfig, 'diag' | 'dataDir'>): string {
  return config.diag.socketPath ?? join(config.dataDir, 'diag.sock');
}
