import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { ErrorCode, KioskError } from '../../core/errors.js';
import { readJsonBody, sendJson } from '../api/http-io.js';
import { emptyBody, parseBody } from '../api/request-schemas.js';
import { RateLimiter } from '../security/rate-limiter.js';
import { ServiceError } from './service-error.js';
import type { ServiceMode } from './service-mode.js';

type Handler = (ctx: { req: IncomingMessage; res: ServerResponse }) => Promise<void> | void;

const PREFIX = '/api/v1/service';
/** The header carrying the technician's session on the kiosk API, beside the screen's API token. */
export const SERVICE_SESSION_HEADER = 'x-service-session';

const loginBody = z.strictObject({
  technician: z.string({ error: 'expected a technician id' }).max(64),
  password: z.string({ error: 'expected a password' }).max(128),
});
const commandBody = z.strictObject({
  cmd: z.string({ error: 'expected a command name' }).min(1).max(32),
  args: z.array(z.string().max(128)).max(8).default([]),
});

const STATUS_OF: Readonly<Record<string, (typeof ErrorCode)[keyof typeof ErrorCode]>> = {
  noSession: ErrorCode.ApiUnauthorized,
  badCredentials: ErrorCode.ApiUnauthorized,
  locked: ErrorCode.ApiForbidden,
  badArgs: ErrorCode.ApiBadRequest,
  unknownCommand: ErrorCode.ApiBadRequest,
};

/** A technician's refusal as the API answers it: the service code (and a lock's end) kept in the details. */
function apiError(error: ServiceError, extra: { lockedUntil?: string } = {}): KioskError {
  return new KioskError(STATUS_OF[error.code] ?? ErrorCode.ApiConflict, error.message, {
    details: { serviceCode: error.code, ...extra },
  });
}

/**
 * Service mode on the kiosk API, for the service page on the screen: the same login, commands
 * and exit as `kioskd diag`. The API token only says the caller is the screen; a technician's
 * session token (from the login, in the X-Service-Session header) says who is working, so a
 * screen page cannot run a device test without a technician's password.
 */
export function serviceApiRoutes(
  service: ServiceMode,
): Array<{ path: string; methods: Record<string, Handler> }> {
  const sessions = new Map<string, symbol>();
  const logins = new RateLimiter({ perSecond: 1, burst: 5 });
  service.on('sessionEnded', ({ owner }) => {
    for (const [token, held] of sessions) if (held === owner) sessions.delete(token);
  });
  const ownerOf = (req: IncomingMessage): symbol => {
    const given = req.headers[SERVICE_SESSION_HEADER];
    if (typeof given === 'string') {
      const presented = Buffer.from(given);
      for (const [token, owner] of sessions) {
        const held = Buffer.from(token);
        if (held.length === presented.length && timingSafeEqual(held, presented)) return owner;
      }
    }
    throw apiError(
      new ServiceError(
        'noSession',
        `log in first (POST ${PREFIX}/session) and send its token in ${SERVICE_SESSION_HEADER}`,
      ),
    );
  };
  const guarded = async (run: () => Promise<unknown>): Promise<unknown> => {
    try {
      return await run();
    } catch (error) {
      throw error instanceof ServiceError ? apiError(error) : error;
    }
  };

  return [
    {
      path: `${PREFIX}/session`,
      methods: {
        GET: ({ res }) => sendJson(res, 200, service.status()),
        POST: async ({ req, res }) => {
          const body = parseBody(loginBody, await readJsonBody(req));
          if (logins.take('api') > 0) {
            throw new KioskError(ErrorCode.ApiConflict, 'too many logins at once; wait a second', {
              details: { serviceCode: 'rateLimited' },
            });
          }
          const owner = Symbol('service page');
          const outcome = await service.login(
            body.technician,
            Buffer.from(body.password, 'utf8'),
            owner,
            'api',
          );
          if (!outcome.ok) {
            if (outcome.reason === 'busy') throw apiError(new ServiceError('busy', outcome.message));
            if (outcome.reason === 'locked') {
              throw apiError(
                new ServiceError(
                  'locked',
                  `this technician id is locked until ${outcome.lockedUntil} after too many wrong passwords`,
                ),
                { lockedUntil: outcome.lockedUntil },
              );
            }
            throw apiError(new ServiceError('badCredentials', 'wrong technician id or password'));
          }
          const token = randomBytes(32).toString('base64url');
          sessions.set(token, owner);
          sendJson(res, 201, { sessionToken: token, ...service.status() });
        },
        DELETE: async ({ req, res }) => {
          parseBody(emptyBody, await readJsonBody(req));
          const owner = ownerOf(req);
          service.end(owner, 'exit');
          sendJson(res, 200, service.status());
        },
      },
    },
    {
      path: `${PREFIX}/commands`,
      methods: {
        GET: ({ res }) => sendJson(res, 200, { commands: service.commands() }),
        POST: async ({ req, res }) => {
          const body = parseBody(commandBody, await readJsonBody(req));
          const owner = ownerOf(req);
          sendJson(res, 200, { result: await guarded(() => service.run(owner, body.cmd, body.args)) });
        },
      },
    },
  ];
}
