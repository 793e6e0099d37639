import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { ErrorCode, KioskError } from '../errors.js';
import { type ConfigFormat, parseConfigText } from './config-text.js';
import { parseConfig } from './parse-config.js';
import type { KioskConfig } from './schema.js';

const FORMAT_BY_EXTENSION: Record<string, ConfigFormat> = {
  '.yaml': 'yaml',
  '.yml': 'yaml',
  '.json': 'json',
};

/**
 * Reads, parses and validates a config file; the extension (.yaml, .yml, .json) picks the
 * syntax. Relative paths inside the config stay relative to the daemon's working directory.
 * Throws ConfigNotFound, ConfigUnreadable, ConfigParse (with line:column) or ConfigInvalid.
 */
export function loadConfigFile(path: string): KioskConfig {
  const absolute = resolve(path);
  const extension = extname(absolute).toLowerCase();
  const format = FORMAT_BY_EXTENSION[extension];
  if (format === undefined) {
    const reason = `expected a .yaml, .yml or .json file, got ${extension ? `a "${extension}" file` : 'no extension'}`;
    throw new KioskError(ErrorCode.ConfigParse, `${path}: ${reason}`, {
      details: { source: path, path: absolute, problems: [reason] },
    });
  }
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new KioskError(ErrorCode.ConfigNotFound, `config file not found: ${absolute}`, {
        cause,
        details: { path: absolute },
      });
    }
    const why =
      code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : String(code);
    throw new KioskError(ErrorCode.ConfigUnreadable, `cannot read config file ${absolute}: ${why}`, {
      cause,
      details: { path: absolute, errno: code },
    });
  }
  return parseConfig(parseConfigText(text, format, path), path);
}
