import { readConfigDocument } from './config-text.js';
import { parseConfig } from './parse-config.js';
import type { KioskConfig } from './schema.js';

/**
 * Reads, parses and validates a config file; the extension (.yaml, .yml, .json) picks the
 * syntax. Relative paths inside the config stay relative to the daemon's working directory.
 * Throws ConfigNotFound, ConfigUnreadable, ConfigParse (with line:column) or ConfigInvalid.
 */
export function loadConfigFile(path: string): KioskConfig {
  return parseConfig(readConfigDocument(path), path);
}
