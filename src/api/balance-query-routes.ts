import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode, KioskError } from '../../core/errors.js';
import type { BalanceQueries } from '../balance-query/balance-query-service.js';
import type { BalanceQueryStreamEvent, BalanceQueryView } from '../balance-query/balance-query-view.js';
import { type Language, message } from '../i18n/messages.js';
import { maskAccount } from '../log.js';
import { readJsonBody, sendJson } from './http-io.js';
import { accountBody, emptyBody, parseBody } from './request-schemas.js';

/**
 * The balance query as the screen sees it: the account masked, the customer's message worded,
 * of the PIN only how many digits the pad holds. Fields are listed one by one, so nothing the
 * service might add later leaves the kiosk without being chosen here.
 */
export function renderBalanceQuery(view: BalanceQueryView, language: Language) {
  return {
    queryId: view.queryId,
    state: view.state,
    account: view.account === null ? null : (maskAccount(view.account) as string),
    // What the customer is typing on the pad, echoed while typing like the screen's own field.
    accountTyped: view.accountTyped,
    digitsEntered: view.digitsEntered,
    pinLength: { min: view.pinLength.min, max: view.pinLength.max },
    balanceFen: view.balanceFen,
    triesLeft: view.triesLeft,
    lockedUntil: view.lockedUntil,
    outcome: view.outcome,
    message: view.message === null ? null : { code: view.message, text: message(view.message, language) },
  };
}

export function renderBalanceQueryEvent(event: BalanceQueryStreamEvent, language: Language) {
  return { type: event.type, data: renderBalanceQuery(event.data, language) };
}

type Handler = (ctx: {
  req: IncomingMessage;
  res: ServerResponse;
  language: Language;
}) => Promise<void> | void;

const PREFIX = '/api/v1/balance-queries';

/**
 * `/api/v1/balance-queries`, mirroring the top-up's routes. On a kiosk without the query (not
 * enabled, no PIN pad) each route answers 404 with the customer's "not available here".
 */
export function balanceQueryRoutes(
  queries: BalanceQueries | undefined,
): Array<{ path: string; methods: Record<string, Handler> }> {
  const require = (): BalanceQueries => {
    if (queries === undefined) {
      throw new KioskError(ErrorCode.ApiNotFound, 'balance queries are not enabled on this kiosk', {
        details: { messageCode: 'balanceQueryUnavailable' },
      });
    }
    return queries;
  };
  return [
    {
      path: PREFIX,
      methods: {
        POST: async ({ req, res, language }) => {
          const service = require();
          parseBody(emptyBody, await readJsonBody(req));
          sendJson(res, 201, renderBalanceQuery(service.start(language), language));
        },
      },
    },
    {
      path: `${PREFIX}/current`,
      methods: {
        GET: ({ res, language }) => {
          const view = require().current();
          if (view === null) {
            throw new KioskError(ErrorCode.ApiNotFound, 'no balance query has been started', {
              details: { messageCode: 'noBalanceQuery' },
            });
          }
          sendJson(res, 200, renderBalanceQuery(view, language));
        },
      },
    },
    {
      path: `${PREFIX}/current/account`,
      methods: {
        PUT: async ({ req, res, language }) => {
          const service = require();
          const body = parseBody(accountBody, await readJsonBody(req));
          sendJson(res, 200, renderBalanceQuery(service.enterAccount(body.account), language));
        },
      },
    },
    {
      path: `${PREFIX}/current/cancel`,
      methods: {
        POST: async ({ req, res, language }) => {
          const service = require();
          parseBody(emptyBody, await readJsonBody(req));
          sendJson(res, 200, renderBalanceQuery(service.cancel(), language));
        },
      },
    },
  ];
}
