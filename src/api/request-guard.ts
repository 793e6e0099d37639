import type { IncomingMessage } from 'node:http';
import { ErrorCode, KioskError } from '../../core/errors.js';
import { API_TOKEN_FILE, tokenMatches } from './api-token.js';
import { HttpError } from './http-io.js';

/**
 * Who may drive the kiosk API: the screen on this machine and nobody else. A web page the
 * kiosk browser opens can send "simple" cross-site requests (text/plain bodies, no custom
 * headers) and can reach 127.0.0.1 through a rebound DNS name; another local program can send
 * anything. So: the Host must be the API's own address (defeats DNS rebinding), a browser's
 * Origin must be the screen's own, and a state-changing request must carry the per-boot token
 * (which neither a foreign page nor a program without read access to dataDir has) and a JSON
 * body (so it can never be a simple cross-site request).
 *
 * Reads (GET) need no token: the event stream is read with EventSource, which cannot send
 * headers; what they show is masked; and Host and Origin still keep other sites out.
 */

export const STATE_CHANGING_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function refused(status: number, code: ErrorCode, reason: string, headers: Record<string, string> = {}) {
  // The body of a refused request is never read; the connection cannot carry another request.
  return new HttpError(status, new KioskError(code, reason), { connection: 'close', ...headers });
}

/** Shortens and quotes a header value for a reason, so a long or odd one cannot flood the log. */
function quoted(value: string): string {
  return JSON.stringify(value.slice(0, 100));
}

export class RequestGuard {
  readonly #hosts: ReadonlySet<string>;
  readonly #origins: ReadonlySet<string>;
  readonly #token: string;

  /** `hosts`: each `host:port` the API answers as (lower case, IPv6 in brackets). */
  constructor(hosts: readonly string[], token: string) {
    this.#hosts = new Set(hosts.map((h) => h.toLowerCase()));
    this.#origins = new Set([...this.#hosts].map((h) => `http://${h}`));
    this.#token = token;
  }

  /** Host and Origin: checked on every request, before anything is read or routed. */
  checkCaller(req: IncomingMessage): void {
    const host = req.headers.host;
    if (host === undefined || !this.#hosts.has(host.toLowerCase())) {
      throw refused(
        403,
        ErrorCode.ApiForbidden,
        `Host ${host === undefined ? '(none)' : quoted(host)} is not this API's address (expected ${[...this.#hosts].join(' or ')})`,
      );
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !this.#origins.has(origin.toLowerCase())) {
      throw refused(
        403,
        ErrorCode.ApiForbidden,
        `Origin ${quoted(origin)} is not the kiosk screen's (expected ${[...this.#origins].join(' or ')})`,
      );
    }
  }

  /** Token and media type: checked on state-changing requests before their body is read. */
  checkStateChange(req: IncomingMessage): void {
    const authorization = req.headers.authorization;
    const presented = /^Bearer +(\S+) *$/i.exec(authorization ?? '')?.[1];
    if (presented === undefined || !tokenMatches(presented, this.#token)) {
      throw refused(
        401,
        ErrorCode.ApiUnauthorized,
        `${authorization === undefined ? 'no' : 'a wrong'} Authorization: a ${req.method} needs "Bearer <token>" with this boot's token from <dataDir>/${API_TOKEN_FILE}`,
        { 'www-authenticate': 'Bearer realm="kioskd"' },
      );
    }
    const contentType = req.headers['content-type'];
    const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
    if (mediaType !== 'application/json') {
      throw refused(
        415,
        ErrorCode.ApiUnsupportedMediaType,
        `content-type ${contentType === undefined ? '(none)' : quoted(contentType)}: a ${req.method} body must be application/json`,
      );
    }
  }
}
