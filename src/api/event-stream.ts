import type { ServerResponse } from 'node:http';
import type { Language } from '../i18n/messages.js';
import type { Logger } from '../log.js';
import type { KioskService } from '../topup/top-up-view.js';
import { renderEvent, renderState } from './render.js';

export const KEEPALIVE_MS = 15_000;

/**
 * One server-sent-events client. The first event is a `snapshot` of the whole state, so a screen
 * that (re)connects needs no separate GET and misses nothing between the two.
 */
export function openEventStream(input: {
  res: ServerResponse;
  service: KioskService;
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
  // Snapshot and subscription happen in one synchronous step: no event can fall between them.
  write('snapshot', renderState(service.state(), language));
  const unsubscribe = service.subscribe((event) => {
    try {
      const rendered = renderEvent(event, language);
      write(rendered.type, rendered.data);
    } catch (error) {
      logger.warn({ err: error }, 'event stream write failed');
    }
  });

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
