import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCode, KioskError } from '../../core/errors.js';

/**
 * The customer screen: the kiosk browser opens `/` on the kiosk API's own server, so the page is
 * same-origin with the API and gets this boot's token in a meta element (docs/kiosk-api.md, "How
 * the screen gets the token"). The page's files are plain ES modules and CSS, read once at start
 * and served from memory: nothing is built, nothing is fetched from outside the kiosk.
 */

/** Files of the page: names only, no folders, no dots but the extension's. */
const ASSET_NAME = /^[a-z0-9-]+\.(js|css|svg)$/;
const CONTENT_TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
};
const TOKEN_PLACEHOLDER = '{{KIOSK_API_TOKEN}}';
const TIMEOUTS_PLACEHOLDER = '{{KIOSK_SCREEN_TIMEOUTS}}';

/** No inline script, no outside resource, no framing, no form posting anywhere. */
export const SCREEN_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The daemon's own customer timers, so the page can count down what the daemon will do. */
export interface ScreenTimeouts {
  accountEntryMs: number;
  idleCompleteMs: number;
}

type RouteHandler = (ctx: { res: ServerResponse }) => void;
export interface ScreenRoute {
  path: string | RegExp;
  methods: Record<string, RouteHandler>;
}

/** src/screen/page from src/screen (tsx, tests) or from dist/src/screen (built). */
export function screenPageDir(): string {
  const candidates = ['./page/', '../../../src/screen/page/'].map((relative) =>
    fileURLToPath(new URL(relative, import.meta.url)),
  );
  const found = candidates.find((candidate) => existsSync(join(candidate, 'index.html')));
  if (found === undefined) {
    throw new KioskError(ErrorCode.ConfigNotFound, `screen page not found at ${candidates.join(' or ')}`, {
      details: { candidates },
    });
  }
  return found;
}

function send(res: ServerResponse, body: string | Buffer, contentType: string): void {
  res.writeHead(200, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    'content-security-policy': SCREEN_CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    // The token changes every boot and the page changes with the daemon: never cache either.
    'cache-control': 'no-store',
  });
  res.end(body);
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function screenRoutes(input: { token: string; timeouts: ScreenTimeouts }): ScreenRoute[] {
  const dir = screenPageDir();
  const template = readFileSync(join(dir, 'index.html'), 'utf8');
  if (!template.includes(TOKEN_PLACEHOLDER)) {
    throw new KioskError(ErrorCode.ConfigInvalid, `${join(dir, 'index.html')} lacks ${TOKEN_PLACEHOLDER}`);
  }
  const page = template
    .replace(TOKEN_PLACEHOLDER, escapeAttribute(input.token))
    .replace(TIMEOUTS_PLACEHOLDER, escapeAttribute(JSON.stringify(input.timeouts)));
  const assets = new Map<string, { body: Buffer; type: string }>();
  for (const name of readdirSync(dir)) {
    const match = ASSET_NAME.exec(name);
    if (match === null) continue;
    assets.set(name, { body: readFileSync(join(dir, name)), type: CONTENT_TYPES[match[1]!]! });
  }
  const showPage: RouteHandler = ({ res }) => send(res, page, 'text/html; charset=utf-8');
  return [
    { path: '/', methods: { GET: showPage } },
    { path: '/index.html', methods: { GET: showPage } },
    {
      path: /^\/screen\/[^/]+$/,
      methods: {
        GET: ({ res }) => {
          // The route matched the path; the name is looked up, never joined into a file path.
          const name = (res.req.url ?? '').split('?')[0]!.slice('/screen/'.length);
          const asset = assets.get(name);
          if (asset === undefined) {
            throw new KioskError(
              ErrorCode.ApiNotFound,
              `no screen file ${JSON.stringify(name.slice(0, 64))}`,
              {
                details: { messageCode: 'notFound' },
              },
            );
          }
          send(res, asset.body, asset.type);
        },
      },
    },
  ];
}
