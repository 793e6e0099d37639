import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { type CST, Lexer, LineCounter, Parser, parseDocument, type Tags, visit, type YAMLError } from 'yaml';
import { ErrorCode, KioskError } from '../../core/errors.js';

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

/** A kiosk config nests about 5 levels; building values recurses once per level. */
export const MAX_CONFIG_DEPTH = 64;

interface ShapeProblem {
  offset: number;
  reason: string;
}

/**
 * Depth and document count, found while the YAML library's own lexer and syntax-tree parser
 * (neither recurses) read the text one token at a time: the parser's stack is the nesting so far,
 * so 50,000 nested brackets stop at level 65. Building values and validating them recurses per
 * level, which is where such a file would otherwise end, as a stack overflow.
 */
function shapeProblem(text: string, lineCounter: LineCounter): ShapeProblem | undefined {
  const parser = new Parser(lineCounter.addNewLine);
  lineCounter.addNewLine(0);
  let documents = 0;
  const count = (tokens: Iterable<CST.Token>): ShapeProblem | undefined => {
    for (const token of tokens) {
      if (token.type !== 'document') continue;
      documents += 1;
      if (documents === 2) {
        return {
          offset: token.offset,
          reason:
            'holds 2 YAML documents; a config is one document (remove the "---" line and what follows it, or split the file)',
        };
      }
    }
    return undefined;
  };
  for (const lexeme of new Lexer().lex(text)) {
    const offset = parser.offset;
    const problem = count(parser.next(lexeme));
    if (problem !== undefined) return problem;
    // The stack holds the document, the collections open around this token and the token itself.
    if (parser.stack.length > MAX_CONFIG_DEPTH + 2) {
      return { offset, reason: `nested more than ${MAX_CONFIG_DEPTH} levels deep` };
    }
  }
  return count(parser.end());
}

/**
 * The value a config text holds: YAML, or JSON (read strictly, with the same duplicate-key
 * check JSON.parse lacks). Throws ConfigParse naming source:line:column on a syntax error.
 */
export function parseConfigText(text: string, format: ConfigFormat, source: string): unknown {
  const lineCounter = new LineCounter();
  const body = text.replace(/^\uFEFF/, '');
  const shapeLines = new LineCounter();
  const shape = shapeProblem(body, shapeLines);
  if (shape !== undefined) {
    const at = shapeLines.linePos(shape.offset);
    throw parseError(source, at.line, at.col, shape.reason);
  }
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

/** Far above any real config; a file past it is not a config, and is never read whole. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

function unreadable(absolute: string, why: string, cause?: unknown, errno?: string): KioskError {
  return new KioskError(ErrorCode.ConfigUnreadable, `cannot read config file ${absolute}: ${why}`, {
    ...(cause === undefined ? {} : { cause }),
    details: { path: absolute, ...(errno === undefined ? {} : { errno }) },
  });
}

/**
 * Opens without blocking (a FIFO would wait for a writer), checks on the open descriptor that it
 * is a regular file within the cap (a symlink to /dev/zero is not), then reads at most cap + 1
 * bytes, so a file that grows after the check is still caught.
 */
function readBounded(absolute: string): string {
  let fd: number;
  try {
    fd = openSync(absolute, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new KioskError(ErrorCode.ConfigNotFound, `config file not found: ${absolute}`, {
        cause,
        details: { path: absolute },
      });
    }
    throw unreadable(absolute, code === 'EACCES' ? 'permission denied' : String(code), cause, code);
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw unreadable(absolute, 'it is a directory', undefined, 'EISDIR');
    if (!stat.isFile()) throw unreadable(absolute, 'not a regular file (a device, pipe or socket)');
    const tooLarge = () =>
      unreadable(absolute, `larger than ${MAX_CONFIG_BYTES / 1024 / 1024} MiB; a config file is a few KB`);
    if (stat.size > MAX_CONFIG_BYTES) throw tooLarge();
    const buffer = Buffer.alloc(MAX_CONFIG_BYTES + 1);
    let length = 0;
    for (;;) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
      if (length > MAX_CONFIG_BYTES) throw tooLarge();
    }
    return buffer.toString('utf8', 0, length);
  } catch (cause) {
    if (cause instanceof KioskError) throw cause;
    const code = (cause as NodeJS.ErrnoException).code;
    throw unreadable(absolute, String(code ?? cause), cause, code);
  } finally {
    closeSync(fd);
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
  const text = readBounded(absolute);
  return parseConfigText(text, format, path);
}
