import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ErrorCode, isKioskError, KioskError } from '../../core/errors.js';
import type { BalanceQueries } from '../balance-query/balance-query-service.js';
import type { KioskConfig } from '../config/index.js';
import { chooseLanguage, isLanguage, LANGUAGES, type Language, type MessageCode } from '../i18n/messages.js';
import type { Logger } from '../log.js';
import { screenRoutes } from '../screen/screen-routes.js';
import { serviceApiRoutes } from '../service-mode/service-api-routes.js';
import type { ServiceMode } from '../service-mode/service-mode.js';
import type { KioskService } from '../topup/top-up-view.js';
import { writeApiToken } from './api-token.js';
import { balanceQueryRoutes } from './balance-query-routes.js';
import { openEventStream } from './event-stream.js';
import { HttpError, readJsonBody, sendJson, statusFor } from './http-io.js';
import { renderError, renderState, renderTopUp } from './render.js';
import { RequestGuard, STATE_CHANGING_METHODS } from './request-guard.js';
import { accountBody, emptyBody, parseBody } from './request-schemas.js';

export interface KioskApi {
  /** e.g. http://127.0.0.1:40123 */
  readonly url: string;
  /**
   * This boot's token for state-changing requests, also in `<dataDir>/api-token`: what the
   * screen page served by the daemon is given, so the screen can drive the API.
   */
  readonly token: string;
  close(): Promise<void>;
}

/** The API is for the screen on this machine and nobody else. */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);
/** ULIDs, as the journal makes them. */
const TX_ID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const PREFIX = '/api/v1';
const CLOSE_GRACE_MS = 300;

interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  language: Language;
}

type Handler = (ctx: RequestContext) => Promise<void> | void;

function notFound(what: string): KioskError {
  return new KioskError(ErrorCode.ApiNotFound, what, { details: { messageCode: 'notFound' } });
}

export async function startKioskApi(input: {
  service: KioskService;
  /** The balance query, when the kiosk offers it (config and a PIN pad). */
  balanceQueries?: BalanceQueries;
  /** Technicians' service mode, for the service page (src/service-mode/service-api-routes.ts). */
  serviceMode?: ServiceMode;
  config: KioskConfig;
  logger: Logger;
}): Promise<KioskApi> {
  const { service, config, balanceQueries } = input;
  const logger = input.logger.child({ component: 'kiosk-api' });
  const host = config.api.host;
  if (!LOOPBACK_HOSTS.has(host)) {
    throw new KioskError(
      ErrorCode.ConfigInvalid,
      `api.host: expected a loopback address (127.0.0.1, ::1 or localhost), got "${host}": the kiosk API is for the screen on this machine only`,
      { details: { field: 'api.host', host } },
    );
  }

  const { token } = writeApiToken(config.dataDir);
  let guard: RequestGuard | undefined;
  const streams = new Set<{ close(): void }>();

  const routes: Array<{ path: string | RegExp; methods: Record<string, Handler> }> = [
    {
      path: `${PREFIX}/state`,
      methods: { GET: ({ res, language }) => sendJson(res, 200, renderState(service.state(), language)) },
    },
    {
      path: `${PREFIX}/topups`,
      methods: {
        POST: async ({ req, res, language }) => {
          parseBody(emptyBody, await readJsonBody(req));
          sendJson(res, 201, renderTopUp(service.start(language), language));
        },
      },
    },
    {
      path: `${PREFIX}/topups/current`,
      methods: {
        GET: ({ res, language }) => {
          const view = service.current();
          if (view === null) {
            throw new KioskError(ErrorCode.ApiNotFound, 'no top-up has been started', {
              details: { messageCode: 'noTopUp' },
            });
          }
          sendJson(res, 200, renderTopUp(view, language));
        },
      },
    },
    {
      path: `${PREFIX}/topups/current/account`,
      methods: {
        PUT: async ({ req, res, language }) => {
          const body = parseBody(accountBody, await readJsonBody(req));
          sendJson(res, 200, renderTopUp(await service.enterAccount(body.account), language));
        },
      },
    },
    {
      path: `${PREFIX}/topups/current/confirm`,
      methods: {
        POST: async ({ req, res, language }) => {
          parseBody(emptyBody, await readJsonBody(req));
          sendJson(res, 200, renderTopUp(await service.confirm(), language));
        },
      },
    },
    {
      path: `${PREFIX}/topups/current/cancel`,
      methods: {
        POST: async ({ req, res, language }) => {
          parseBody(emptyBody, await readJsonBody(req));
          sendJson(res, 200, renderTopUp(await service.cancel(), language));
        },
      },
    },
    {
      // The customer's reprint from the screen, within the configured window after the payment.
      path: /^\/api\/v1\/topups\/([^/]+)\/receipt$/,
      methods: {
        POST: async ({ req, res, language }) => {
          const path = pathOf(req);
          const segment = path.slice(`${PREFIX}/topups/`.length, -'/receipt'.length);
          const txId = decodedSegment(segment, path);
          if (!TX_ID.test(txId)) throw notFound(`no top-up ${JSON.stringify(txId.slice(0, 64))}`);
          parseBody(emptyBody, await readJsonBody(req));
          sendJson(res, 200, renderTopUp(await service.reprintReceipt(txId, language), language));
        },
      },
    },
    {
      path: /^\/api\/v1\/topups\/([^/]+)$/,
      methods: {
        GET: ({ req, res, language }) => {
          const txId = decodedSegment(pathOf(req).slice(`${PREFIX}/topups/`.length), pathOf(req));
          if (!TX_ID.test(txId)) throw notFound(`no top-up ${JSON.stringify(txId.slice(0, 64))}`);
          sendJson(res, 200, renderTopUp(service.finished(txId), language));
        },
      },
    },
    ...balanceQueryRoutes(balanceQueries),
    ...(input.serviceMode === undefined ? [] : serviceApiRoutes(input.serviceMode)),
    // The customer screen (src/screen): the page at `/` with this boot's token, its files under /screen/.
    ...screenRoutes({
      token,
      timeouts: {
        accountEntryMs: config.transaction.accountEntryTimeoutMs,
        idleCompleteMs: config.transaction.idleCompleteAfterMs,
      },
    }),
    {
      path: `${PREFIX}/events`,
      methods: {
        GET: ({ res, language }) => {
          const stream = openEventStream({
            res,
            service,
            ...(balanceQueries === undefined ? {} : { balanceQueries }),
            language,
            logger,
            onClose: () => streams.delete(stream),
          });
          streams.add(stream);
        },
      },
    },
  ];

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let language: Language = chooseLanguage(null, req.headers['accept-language']);
    let fallback: MessageCode = 'badRequest';
    try {
      // The guard needs the bound port; a request before it exists is refused, never let through.
      if (guard === undefined) throw new KioskError(ErrorCode.ApiInternal, 'the kiosk api is still starting');
      guard.checkCaller(req);
      const url = new URL(req.url ?? '/', 'http://kiosk.invalid');
      const lang = url.searchParams.get('lang');
      if (lang !== null) {
        if (!isLanguage(lang)) {
          throw new KioskError(
            ErrorCode.ApiBadRequest,
            `lang: expected one of ${LANGUAGES.join(', ')}, got ${JSON.stringify(lang.slice(0, 32))}`,
          );
        }
        language = lang;
      }
      const route = routes.find((r) =>
        typeof r.path === 'string' ? r.path === url.pathname : r.path.test(url.pathname),
      );
      if (!route) {
        fallback = 'notFound';
        throw notFound(`no route ${url.pathname}`);
      }
      const method = req.method ?? 'GET';
      const handler = route.methods[method];
      if (!handler) {
        const allow = Object.keys(route.methods).join(', ');
        throw new HttpError(
          405,
          new KioskError(
            ErrorCode.ApiMethodNotAllowed,
            `${method} is not allowed on ${url.pathname} (allowed: ${allow})`,
          ),
          { allow },
        );
      }
      if (STATE_CHANGING_METHODS.has(method)) guard.checkStateChange(req);
      await handler({ req, res, language });
    } catch (caught) {
      const { status, error, headers } = asHttpError(caught);
      if (status >= 500) {
        fallback = 'internalError';
        logger.error({ err: caught, method: req.method, url: req.url }, 'kiosk api request failed');
      } else {
        logger.info(
          { method: req.method, url: req.url, status, code: error.code, reason: error.message },
          'kiosk api request refused',
        );
      }
      if (res.headersSent) {
        res.destroy();
        return;
      }
      sendJson(res, status, renderError(error, fallback, language), headers);
    }
  };

  const server = createServer((req, res) => {
    void handle(req, res);
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) =>
      reject(
        new KioskError(
          ErrorCode.ConfigInvalid,
          `kiosk api could not listen on ${host}:${config.api.port}: ${error.message}`,
          {
            cause: error,
            details: { host, port: config.api.port },
          },
        ),
      );
    server.once('error', onError);
    server.listen(config.api.port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const boundHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${boundHost}:${address.port}`;
  const configuredHost = host.includes(':') ? `[${host}]` : host;
  guard = new RequestGuard([`${boundHost}:${address.port}`, `${configuredHost}:${address.port}`], token);
  logger.info({ url }, 'kiosk api listening');

  return {
    url,
    token,
    async close() {
      // Event streams never end by themselves; end them so close() does not wait on them.
      for (const stream of [...streams]) stream.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // A request still in flight gets a moment to answer; the daemon's stop budget is short.
        setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS).unref();
      });
      logger.info({ url }, 'kiosk api closed');
    },
  };
}

/** A percent-decoded path segment; a malformed encoding is the client's 400, not our 500. */
function decodedSegment(segment: string, path: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new KioskError(
      ErrorCode.ApiBadRequest,
      `path ${JSON.stringify(path.slice(0, 200))}: malformed percent-encoding`,
    );
  }
}

function pathOf(req: IncomingMessage): string {
  return new URL(req.url ?? '/', 'http://kiosk.invalid').pathname;
}

function asHttpError(caught: unknown): {
  status: number;
  error: KioskError;
  headers: Record<string, string>;
} {
  if (caught instanceof HttpError)
    return { status: caught.status, error: caught.error, headers: caught.headers };
  if (isKioskError(caught)) return { status: statusFor(caught), error: caught, headers: {} };
  return {
    status: 500,
    error: new KioskError(ErrorCode.ApiInternal, 'the daemon failed to serve this request', {
      cause: caught,
    }),
    headers: {},
  };
}
