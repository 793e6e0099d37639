import type { ServerResponse } from 'node:http';
import type { BalanceQueries } from '../balance-query/balance-query-service.js';
import type { Language } from '../i18n/messages.js';
import type { Logger } from '../log.js';
import type { KioskService } from '../topup/top-up-view.js';
import { renderBalanceQuery, renderBalanceQueryEvent } from './balance-query-routes.js';
import { renderEvent, renderState } from './render.js';

export const KEEPALIVE_MS = 15_000;

/**
 * One server-sent-events client. The first event is a `snapshot` of the whole state, so a screen
 * that (re)connects needs no separate GET and misses nothing between the two.
 */
export function openEventStream(input: {
  res: ServerResponse;
  service: KioskService;
  /** Its events join the stream, and its current query the snapshot, when the kiosk offers it. */
  balanceQueries?: BalanceQueries;
  language: Language;
  logger: Logger;
  keepaliveMs?: number;
  onClose: () => void;
}): { close(): void } {
  const { res, service, language, logger } = input;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  const write = (type: string, data: unknown): void => {
    res.write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  const queries = input.balanceQueries;
  const send = (render: () => { type: string; data: unknown }): void => {
    try {
      const rendered = render();
      write(rendered.type, rendered.data);
    } catch (error) {
      logger.warn({ err: error }, 'event stream write failed');
    }
  };
  // Snapshot and subscriptions happen in one synchronous step: no event can fall between them.
  const state = renderState(service.state(), language);
  if (queries === undefined) write('snapshot', state);
  else {
    const current = queries.current();
    write('snapshot', {
      ...state,
      balanceQuery: current === null ? null : renderBalanceQuery(current, language),
    });
  }
  const unsubscribeTopUps = service.subscribe((event) => send(() => renderEvent(event, language)));
  const unsubscribeQueries =
    queries?.subscribe((event) => send(() => renderBalanceQueryEvent(event, language))) ?? (() => {});
  const unsubscribe = (): void => {
    unsubscribeTopUps();
    unsubscribeQueries();
  };

  const keepalive = setInterval(() => res.write(': keepalive\n\n'), input.keepaliveMs ?? KEEPALIVE_MS);
  keepalive.unref();
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    clearInterval(keepalive);
    unsubscribe();
    if (!res.writableEnded) res.end();
    input.onClose();
  };
  res.on('close', close);
  res.on('error', close);
  return { close };
}
