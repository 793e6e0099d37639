import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { LineCounter, parseDocument, type Tags, visit, type YAMLError } from 'yaml';
import { ErrorCode, KioskError } from '../errors.js';

export type ConfigFormat = 'yaml' | 'json';

/**
 * YAML 1.2 reads an unquoted 0x61 as the number 97 and 0o7 as 7. Nothing in the config is
 * written in hex or octal, but the acceptor's escrow codes ("0x61") are keys that operators
 * write unquoted, so those two forms stay text.
 */
function withoutHexAndOctal(tags: Tags): Tags {
  return tags.filter(
    (tag) =>
      typeof tag === 'string' ||
      !(
        tag.tag === 'tag:yaml.org,2002:int' &&
        'format' in tag &&
        (tag.format === 'HEX' || tag.format === 'OCT')
      ),
  );
}

/** `problems` holds the line without the file name, as ConfigInvalid's do, for callers that prefix it. */
function parseError(source: string, line: number, column: number, reason: string): KioskError {
  return new KioskError(ErrorCode.ConfigParse, `${source}:${line}:${column}: ${reason}`, {
    details: { source, line, column, reason, problems: [`${line}:${column}: ${reason}`] },
  });
}

const KEY_AT = /^(?:"((?:[^"\\]|\\.)*)"|'((?:[^']|'')*)'|([^:,{}[\]\n]+?))\s*:/;

function reasonOf(error: YAMLError, text: string): string {
  if (error.code === 'DUPLICATE_KEY') {
    const match = KEY_AT.exec(text.slice(error.pos[0]));
    const key = match?.[1] ?? match?.[2] ?? match?.[3];
    return key === undefined ? 'duplicate key' : `duplicate key ${JSON.stringify(key)}`;
  }
  const unquoted =
    error.code === 'TAG_RESOLVE_FAILED' && /^Unresolved plain scalar (".*?")/.exec(error.message);
  if (unquoted) return `expected a JSON value (text goes in double quotes), got ${unquoted[1]}`;
  const first = error.message.split('\n', 1)[0] ?? error.message;
  return first.replace(/ at line \d+, column \d+:?$/, '');
}

/**
 * The value a config text holds: YAML, or JSON (read strictly, with the same duplicate-key
 * check JSON.parse lacks). Throws ConfigParse naming source:line:column on a syntax error.
 */
export function parseConfigText(text: string, format: ConfigFormat, source: string): unknown {
  const lineCounter = new LineCounter();
  const body = text.replace(/^\uFEFF/, '');
  const doc = parseDocument(body, {
    lineCounter,
    prettyErrors: true,
    uniqueKeys: true,
    ...(format === 'json' ? { schema: 'json' as const } : { customTags: withoutHexAndOctal }),
  });
  const [first] = doc.errors;
  if (first !== undefined) {
    const at = first.linePos?.[0] ?? lineCounter.linePos(first.pos[0]);
    throw parseError(source, at.line, at.col, reasonOf(first, body));
  }
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (cause) {
    // Alias trouble surfaces only when values are built; point at the offending alias.
    let at = { line: 1, col: 1 };
    let reason = cause instanceof Error ? cause.message : String(cause);
    visit(doc, {
      Alias(_key, node) {
        if (node.resolve(doc) === undefined && node.range) {
          at = lineCounter.linePos(node.range[0]);
          reason = `alias *${node.source} refers to no anchor defined before it`;
          return visit.BREAK;
        }
        return undefined;
      },
    });
    throw parseError(source, at.line, at.col, reason);
  }
}

const FORMAT_BY_EXTENSION: Record<string, ConfigFormat> = {
  '.yaml': 'yaml',
  '.yml': 'yaml',
  '.json': 'json',
};

/**
 * A config file's document before any schema: the extension picks the syntax. Every config
 * file kioskd reads (the kiosk's, the fleet tools') goes through here, so all report a missing,
 * unreadable or malformed file alike. Throws ConfigNotFound, ConfigUnreadable or ConfigParse.
 */
export function readConfigDocument(path: string): unknown {
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
  return parseConfigText(text, format, path);
}
