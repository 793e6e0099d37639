import { createHash, timingSafeEqual } from 'node:crypto';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { ErrorCode, KioskError } from '../../core/errors.js';
import { readBoundedBody } from '../../core/read-bounded-body.js';
import { listenRefusal } from '../http/listen-refusal.js';
import type { Logger } from '../log.js';
import { type RateLimit, RateLimiter } from '../security/rate-limiter.js';
import type { AccountService } from './account-service.js';
import { badField, readAccount, readBalanceQuery, readCredit } from './api-requests.js';

/**
 * The account service's HTTP JSON API (the contract in docs/account-service.md):
 *   POST /v1/balance-queries   {account, format, pinBlock, ksn} → balance | wrongPin | locked | unknownAccount
 *   GET  /v1/account-check?account=N → {ok: true, dailyTotalSoFar} or 404
 *   POST /v1/credits           {paymentId, account, amountFen} → {credited}
 * Every request is rate-limited per client address (credits apart from the kiosks' queries)
 * before anything else, then authenticated
 * (Bearer token), then its body read up to MAX_BODY_BYTES. Logs name the route, the status and
 * the time, never a body: PIN blocks and KSNs are never written anywhere.
 */

export const MAX_BODY_BYTES = 4096;

export interface AccountHttpApiOptions {
  service: AccountService;
  host: string;
  port: number;
  token: string;
  /**
   * false: GET /v1/account-check answers without a token (the daemon's account check sends
   * none); it tells only whether a number exists and its day's credits.
   */
  accountCheckNeedsToken: boolean;
  /** Balance queries and account checks. */
  rateLimit: RateLimit;
  /** Credits, which come from the fleet ledger alone and in bursts. */
  creditRateLimit: RateLimit;
  tls?: { cert: Buffer; key: Buffer } | undefined;
  /** The config field that chose the address, for a refused listen (default listen.port). */
  listenField?: string;
  logger: Logger;
}

export interface AccountHttpApi {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

class HttpRefusal extends Error {
  constructor(
    readonly status: number,
    readonly error: KioskError,
    readonly headers: Record<string, string> = {},
  ) {
    super(error.message);
  }
}

function refusal(status: number, code: ErrorCode, message: string, headers: Record<string, string> = {}) {
  return new HttpRefusal(status, new KioskError(code, message), headers);
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

export async function startAccountHttpApi(options: AccountHttpApiOptions): Promise<AccountHttpApi> {
  const { service, logger: parent } = options;
  const logger = parent.child({ component: 'account-api' });
  const limiter = new RateLimiter(options.rateLimit);
  const creditLimiter = new RateLimiter(options.creditRateLimit);
  const tokenDigest = digest(options.token);

  const authenticate = (req: IncomingMessage) => {
    const presented = /^Bearer +(\S+) *$/i.exec(req.headers.authorization ?? '')?.[1];
    if (presented === undefined || !timingSafeEqual(digest(presented), tokenDigest)) {
      throw refusal(
        401,
        ErrorCode.ApiUnauthorized,
        `${req.headers.authorization === undefined ? 'no' : 'a wrong'} Authorization: expected "Bearer <token>" with the service's token`,
        { 'www-authenticate': 'Bearer realm="kioskd-accounts"' },
      );
    }
  };

  const readJson = async (req: IncomingMessage): Promise<unknown> => {
    const type = req.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/json') {
      throw refusal(
        415,
        ErrorCode.ApiUnsupportedMediaType,
        'content-type: a POST body must be application/json',
      );
    }
    const text = await readBoundedBody(req, MAX_BODY_BYTES, () =>
      refusal(413, ErrorCode.ApiBodyTooLarge, `request body exceeds ${MAX_BODY_BYTES} bytes`, {
        connection: 'close',
      }),
    );
    try {
      return JSON.parse(text);
    } catch {
      throw badField('(body)', 'not valid JSON');
    }
  };

  const route = async (req: IncomingMessage, url: URL): Promise<{ status: number; body: unknown }> => {
    const path = url.pathname;
    const known = ['/v1/balance-queries', '/v1/account-check', '/v1/credits'];
    if (!known.includes(path)) throw refusal(404, ErrorCode.ApiNotFound, `no route ${path.slice(0, 100)}`);
    const method = path === '/v1/account-check' ? 'GET' : 'POST';
    if (req.method !== method) {
      throw refusal(405, ErrorCode.ApiMethodNotAllowed, `${path} takes ${method} only`, { allow: method });
    }
    if (path !== '/v1/account-check' || options.accountCheckNeedsToken) authenticate(req);
    if (path === '/v1/account-check') {
      for (const key of url.searchParams.keys()) {
        if (key !== 'account') throw badField(key.slice(0, 40), 'unknown query parameter (expected account)');
      }
      const account = readAccount(url.searchParams.get('account') ?? undefined);
      const check = service.accountCheck(account);
      if (check === undefined) throw refusal(404, ErrorCode.ApiNotFound, 'account: no such account');
      return { status: 200, body: check };
    }
    const body = await readJson(req);
    if (path === '/v1/credits') {
      const credit = readCredit(body);
      const result = service.credit(credit.paymentId, credit.account, credit.amountFen);
      if ('unknownAccount' in result) throw refusal(404, ErrorCode.ApiNotFound, 'account: no such account');
      return { status: 200, body: { credited: result.credited } };
    }
    const query = readBalanceQuery(body);
    let answer: Awaited<ReturnType<AccountService['balanceQuery']>>;
    try {
      answer = await service.balanceQuery(query);
    } finally {
      // The body's text cannot be wiped; the bytes decoded from it can.
      query.pinBlock.fill(0);
      query.ksn.fill(0);
    }
    if (answer.result === 'malformed') {
      throw badField(
        answer.field,
        'this PIN block and KSN were not made by a pad holding our keys for this account',
      );
    }
    return { status: 200, body: answer };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const started = process.hrtime.bigint();
    const url = new URL(req.url ?? '/', 'http://accounts');
    let status = 500;
    try {
      const client = req.socket.remoteAddress ?? 'unknown';
      const wait = (url.pathname === '/v1/credits' ? creditLimiter : limiter).take(client);
      if (wait > 0) {
        throw refusal(429, ErrorCode.ApiBadRequest, 'too many requests: slow down', {
          'retry-after': String(Math.ceil(wait / 1000)),
        });
      }
      const answer = await route(req, url);
      status = answer.status;
      sendJson(res, status, answer.body);
    } catch (error) {
      const known =
        error instanceof HttpRefusal
          ? error
          : error instanceof KioskError && error.code === ErrorCode.ApiBadRequest
            ? new HttpRefusal(400, error)
            : undefined;
      if (known === undefined)
        logger.error({ err: error instanceof Error ? error.message : String(error) }, 'request failed');
      const answer = known ?? refusal(500, ErrorCode.ApiInternal, 'the account service failed to answer');
      status = answer.status;
      const field = answer.error.details?.['field'];
      // An unread body must not be taken for the next request on this connection.
      if (!req.readableEnded) req.resume();
      sendJson(
        res,
        status,
        {
          error: {
            code: answer.error.code,
            message: answer.error.message,
            ...(field === undefined ? {} : { field }),
          },
        },
        answer.headers,
      );
    } finally {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      logger.info(
        { method: req.method, path: url.pathname.slice(0, 100), status, ms: Math.round(ms) },
        'request',
      );
    }
  };

  const listener = (req: IncomingMessage, res: ServerResponse) => void handle(req, res);
  const server: Server = options.tls
    ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, listener)
    : createHttpServer(listener);
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  server.maxHeadersCount = 50;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) =>
      reject(
        listenRefusal(error, {
          field: options.listenField ?? 'listen.port',
          host: options.host,
          port: options.port,
        }),
      ),
    );
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  const url = `${options.tls ? 'https' : 'http'}://${host}:${port}`;
  logger.info({ url }, 'account service listening');
  return {
    url,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
