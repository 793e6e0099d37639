import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode, KioskError } from '../../core/errors.js';
import { readBoundedBody } from '../../core/read-bounded-body.js';

/** The most a request body may hold; the screen's bodies are a few dozen bytes. */
export const MAX_BODY_BYTES = 16 * 1024;

/** Thrown inside a handler to answer with this status; the KioskError is the body. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly error: KioskError,
    readonly headers: Record<string, string> = {},
  ) {
    super(error.message);
  }
}

export function statusFor(error: KioskError): number {
  switch (error.code) {
    case ErrorCode.ApiBadRequest:
      return 400;
    case ErrorCode.ApiNotFound:
      return 404;
    case ErrorCode.ApiMethodNotAllowed:
      return 405;
    case ErrorCode.ApiConflict:
      return 409;
    case ErrorCode.ApiBodyTooLarge:
      return 413;
    case ErrorCode.ApiUnauthorized:
      return 401;
    case ErrorCode.ApiForbidden:
      return 403;
    case ErrorCode.ApiUnsupportedMediaType:
      return 415;
    default:
      return 500;
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

function tooLarge(): HttpError {
  return new HttpError(
    413,
    new KioskError(ErrorCode.ApiBodyTooLarge, `request body exceeds ${MAX_BODY_BYTES} bytes`, {
      details: { limit: MAX_BODY_BYTES },
    }),
    // The rest of the body is not read, so this connection cannot carry another request.
    { connection: 'close' },
  );
}

function badRequest(reason: string): HttpError {
  return new HttpError(400, new KioskError(ErrorCode.ApiBadRequest, reason));
}

/**
 * The request body as JSON, read up to MAX_BODY_BYTES. An empty body reads as `{}`: the
 * contract's bodies without fields are `{}`, and a client that sends none means the same.
 */
export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const text = await readBoundedBody(req, MAX_BODY_BYTES, tooLarge);
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch (error) {
    throw badRequest(`body is not valid JSON: ${(error as Error).message}`);
  }
}
