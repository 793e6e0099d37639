import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ErrorCode, isKioskError, KioskError } from '../../core/errors.js';
import { type Logger, silentLogger } from '../../core/logger.js';
import { readBoundedBody } from '../../core/read-bounded-body.js';
import { SimulatorHost } from './simulator-host.js';
import { SimulatorRegistry } from './simulator-registry.js';

export const MAX_CONTROL_BODY_BYTES = 64 * 1024;

export interface ControlServerOptions {
  /** One host (served at /state and /control and under /devices/<its name>) or a registry of them. */
  devices: SimulatorHost | SimulatorRegistry;
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** A loopback address (127.0.0.1 by default, ::1 or localhost): the channel is never exposed off the machine. */
  host?: '127.0.0.1' | '::1' | 'localhost';
  logger?: Logger;
}

export interface ControlServer {
  /** Base URL, e.g. http://127.0.0.1:40123 */
  url: string;
  close(): Promise<void>;
}

/** A percent-decoded device name; a malformed encoding is the client's 400, not our 500. */
function decodedName(segment: string, path: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new KioskError(
      ErrorCode.SimBadControl,
      `path ${JSON.stringify(path.slice(0, 200))}: malformed percent-encoding`,
      { details: { path: path.slice(0, 200) } },
    );
  }
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly error: KioskError,
    readonly headers: Record<string, string> = {},
  ) {
    super(error.message);
  }
}

function statusFor(error: KioskError): number {
  switch (error.code) {
    case ErrorCode.SimBadControl:
      return 400;
    case ErrorCode.SimUnknownDevice:
      return 404;
    default:
      // The command was well-formed but the simulated world refuses it in its current state.
      return 409;
  }
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

function errorBody(error: KioskError): unknown {
  return {
    ok: false,
    error: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return readBoundedBody(
    req,
    MAX_CONTROL_BODY_BYTES,
    () =>
      new HttpError(
        413,
        new KioskError(ErrorCode.SimBadControl, `request body exceeds ${MAX_CONTROL_BODY_BYTES} bytes`, {
          details: { limit: MAX_CONTROL_BODY_BYTES },
        }),
        // The rest of an oversized body is not read, so the connection cannot be reused.
        { connection: 'close' },
      ),
  );
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new HttpError(
      400,
      new KioskError(ErrorCode.SimBadControl, `body is not valid JSON: ${(error as Error).message}`, {
        details: { field: '(body)' },
      }),
    );
  }
}

function notFound(path: string): HttpError {
  return new HttpError(
    404,
    new KioskError(ErrorCode.ApiNotFound, `no route ${path}`, {
      details: { routes: ['GET /devices', 'GET /devices/<name>/state', 'POST /devices/<name>/control'] },
    }),
  );
}

function methodNotAllowed(method: string, path: string, allowed: string): HttpError {
  return new HttpError(
    405,
    new KioskError(ErrorCode.ApiBadRequest, `${method} not allowed on ${path}; use ${allowed}`),
    { allow: allowed },
  );
}

/**
 * The control channel for the simulated physical world (insert a note, pull a cable...),
 * HTTP+JSON on loopback only: it is a test and demo instrument, never exposed off the machine.
 */
export async function startControlServer(options: ControlServerOptions): Promise<ControlServer> {
  const logger = (options.logger ?? silentLogger()).child({ component: 'sim-control' });
  let registry: SimulatorRegistry;
  if (options.devices instanceof SimulatorHost) {
    registry = new SimulatorRegistry();
    registry.register(options.devices.name, options.devices);
  } else {
    registry = options.devices;
  }

  /** /state and /control address the only device; with several, a name is required. */
  const soleDevice = (): SimulatorHost => {
    const names = registry.names();
    if (names.length === 1) return registry.require(names[0]!);
    throw new HttpError(
      404,
      new KioskError(
        ErrorCode.SimUnknownDevice,
        names.length === 0
          ? 'no simulated devices are running'
          : `several devices are running (${names.join(', ')}): use /devices/<name>/...`,
        { details: { known: names } },
      ),
    );
  };

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const segments = path.split('/').filter((s) => s !== '');

    if (segments.length === 1 && segments[0] === 'devices') {
      if (method !== 'GET') throw methodNotAllowed(method, path, 'GET');
      const devices = registry
        .entries()
        .map(([name, host]) => ({ name, kind: host.kind, cable: host.cable }));
      send(res, 200, { devices });
      return;
    }

    let host: SimulatorHost;
    let verb: string | undefined;
    if (segments.length === 1) {
      verb = segments[0];
      if (verb !== 'state' && verb !== 'control') throw notFound(path);
      host = soleDevice();
    } else if (segments.length === 3 && segments[0] === 'devices') {
      verb = segments[2];
      if (verb !== 'state' && verb !== 'control') throw notFound(path);
      host = registry.require(decodedName(segments[1]!, path));
    } else {
      throw notFound(path);
    }

    if (verb === 'state') {
      if (method !== 'GET') throw methodNotAllowed(method, path, 'GET');
      send(res, 200, host.snapshot());
      return;
    }
    if (method !== 'POST') throw methodNotAllowed(method, path, 'POST');
    const command = parseJson(await readBody(req));
    const result = host.control(command);
    logger.info({ device: host.name, command }, 'simulator control');
    send(res, 200, { ok: true, result: result ?? null });
  };

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      if (error instanceof HttpError) {
        send(res, error.status, errorBody(error.error), error.headers);
      } else if (isKioskError(error)) {
        send(res, statusFor(error), errorBody(error));
      } else {
        logger.error({ err: error }, 'simulator control failed');
        send(res, 500, { ok: false, error: { message: 'internal error in the simulator harness' } });
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  logger.info({ url }, 'simulator control listening');

  return {
    url,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
