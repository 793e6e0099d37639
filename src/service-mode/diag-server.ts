import { chmodSync, chownSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { ErrorCode, KioskError } from '../../core/errors.js';
import type { Logger } from '../log.js';
import { RateLimiter } from '../security/rate-limiter.js';
import {
  type DiagRequest,
  diagRequestProblem,
  diagRequestSchema,
  MAX_DIAG_LINE_BYTES,
} from './diag-request.js';
import { errorText, ServiceError } from './service-error.js';
import type { ServiceMode } from './service-mode.js';
import { groupId } from './unix-group.js';

/** A console or two, and a script: more at once is a misbehaving client. */
const MAX_CONNECTIONS = 4;
/** Lines waiting behind the one being run; a client that floods is answered `busy`. */
const MAX_QUEUED_LINES = 8;
/** 10 requests at once, then 5 a second: far above a technician's pace, far below a guesser's. */
const REQUEST_RATE = { perSecond: 5, burst: 10 };

export interface DiagServer {
  readonly path: string;
  close(): Promise<void>;
}

type Reply = Record<string, unknown>;

function refusal(id: DiagRequest['id'] | undefined, code: string, message: string): Reply {
  return { ...(id === undefined ? {} : { id }), ok: false, error: { code, message } };
}

/** A socket file left by a daemon that died: removed only when nothing answers on it. */
async function clearStaleSocket(path: string): Promise<void> {
  let isSocket = false;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch {
    return;
  }
  if (!isSocket) {
    throw new KioskError(
      ErrorCode.ConfigListenFailed,
      `diag.socketPath ${path}: exists and is not a socket`,
      {
        details: { field: 'diag.socketPath', path },
      },
    );
  }
  const live = await new Promise<boolean>((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (live) {
    throw new KioskError(
      ErrorCode.ConfigListenFailed,
      `diag.socketPath ${path}: another process listens on it`,
      {
        details: { field: 'diag.socketPath', path },
      },
    );
  }
  unlinkSync(path);
}

/**
 * `kioskd diag`'s local socket: mode 0660, owned by the configured group, so only root, the
 * daemon's user and the group's members (the technicians' console login) can connect. Each
 * connection is one technician's console: its session ends when it closes. Requests are
 * bounded in size and rate before they are parsed; a bad one is answered with what was wrong
 * and changes nothing.
 */
export async function startDiagServer(options: {
  path: string;
  group: string;
  service: ServiceMode;
  logger: Logger;
}): Promise<DiagServer> {
  const { path, service } = options;
  const log = options.logger.child({ component: 'diag' });
  mkdirSync(dirname(path), { recursive: true });
  await clearStaleSocket(path);
  const sockets = new Map<symbol, Socket>();
  const server: Server = createServer((socket) => serve(socket));

  const onEnded = ({ owner, reason }: { owner: symbol; reason: string }) => {
    if (reason === 'idle')
      send(sockets.get(owner), {
        event: 'sessionExpired',
        message: 'service mode ended after the idle time-out',
      });
  };
  const onActive = ({ owner }: { owner: symbol }) => {
    send(sockets.get(owner), {
      event: 'serviceActive',
      message: 'the kiosk is in maintenance: device tests may run',
    });
  };
  service.on('sessionEnded', onEnded);
  service.on('active', onActive);

  function send(socket: Socket | undefined, reply: Reply): void {
    if (socket !== undefined && !socket.destroyed) socket.write(`${JSON.stringify(reply)}\n`);
  }

  function serve(socket: Socket): void {
    if (sockets.size >= MAX_CONNECTIONS) {
      socket.end(
        `${JSON.stringify(refusal(undefined, 'tooManyConnections', `at most ${MAX_CONNECTIONS} diag connections at once`))}\n`,
      );
      return;
    }
    const owner = Symbol('diag connection');
    sockets.set(owner, socket);
    const limiter = new RateLimiter(REQUEST_RATE);
    let pending = Buffer.alloc(0);
    let discarding = false;
    let queued = 0;
    let chain: Promise<void> = Promise.resolve();

    const onLine = (line: Buffer): void => {
      if (limiter.take('connection') > 0) {
        send(
          socket,
          refusal(
            undefined,
            'rateLimited',
            `more than ${REQUEST_RATE.perSecond} requests a second; slow down`,
          ),
        );
        return;
      }
      if (queued >= MAX_QUEUED_LINES) {
        send(
          socket,
          refusal(undefined, 'busy', `more than ${MAX_QUEUED_LINES} requests waiting; wait for the answers`),
        );
        return;
      }
      queued++;
      chain = chain
        .then(() => handle(line))
        .then((reply) => send(socket, reply))
        .catch((error: unknown) => log.error({ err: error }, 'diag request failed unexpectedly'))
        .finally(() => {
          queued--;
          line.fill(0);
        });
    };

    socket.on('data', (chunk: Buffer) => {
      let data = Buffer.concat([pending, chunk]);
      for (;;) {
        const newline = data.indexOf(0x0a);
        if (newline < 0) break;
        const line = data.subarray(0, newline);
        data = data.subarray(newline + 1);
        if (discarding) {
          discarding = false;
          continue;
        }
        if (line.length > MAX_DIAG_LINE_BYTES) {
          send(
            socket,
            refusal(undefined, 'tooLong', `a request line is at most ${MAX_DIAG_LINE_BYTES} bytes`),
          );
          continue;
        }
        onLine(Buffer.from(line));
      }
      if (data.length > MAX_DIAG_LINE_BYTES) {
        // Refused once; the rest of the line up to its newline is dropped unread.
        if (!discarding)
          send(
            socket,
            refusal(undefined, 'tooLong', `a request line is at most ${MAX_DIAG_LINE_BYTES} bytes`),
          );
        discarding = true;
        data = Buffer.alloc(0);
      }
      pending = Buffer.from(data);
    });
    socket.on('error', (error) => log.debug({ err: error }, 'diag connection error'));
    socket.on('close', () => {
      sockets.delete(owner);
      service.end(owner, 'disconnected');
    });

    async function handle(line: Buffer): Promise<Reply> {
      let json: unknown;
      try {
        json = JSON.parse(line.toString('utf8'));
      } catch {
        return refusal(undefined, 'badJson', 'a request is one JSON object per line');
      }
      const parsed = diagRequestSchema.safeParse(json);
      if (!parsed.success) {
        const id = typeof json === 'object' && json !== null ? (json as { id?: unknown }).id : undefined;
        return refusal(
          typeof id === 'number' || typeof id === 'string' ? id : undefined,
          'badRequest',
          diagRequestProblem(parsed.error),
        );
      }
      const request = parsed.data;
      if (request.password !== undefined && request.cmd !== 'login') {
        return refusal(request.id, 'badRequest', 'password: only a login carries one');
      }
      try {
        return {
          ...(request.id === undefined ? {} : { id: request.id }),
          ok: true,
          result: await run(request),
        };
      } catch (error) {
        if (error instanceof ServiceError) return refusal(request.id, error.code, error.message);
        log.error({ err: error, cmd: request.cmd }, 'diag command failed');
        return refusal(request.id, 'failed', errorText(error));
      }
    }

    async function run(request: DiagRequest): Promise<unknown> {
      switch (request.cmd) {
        case 'help':
          return {
            commands: [
              {
                name: 'login',
                usage: '<technician id>',
                summary: 'enter service mode (asks for the password)',
              },
              { name: 'status', usage: '', summary: 'the kiosk mode and the session' },
              {
                name: 'exit',
                usage: '',
                summary: 'leave service mode; the kiosk returns to the mode before',
              },
              ...service.commands(),
            ],
          };
        case 'status':
          return service.status();
        case 'login': {
          const technician = request.args[0];
          if (technician === undefined || request.args.length !== 1 || request.password === undefined) {
            throw new ServiceError('badArgs', 'login: expected one technician id and a password');
          }
          const outcome = await service.login(
            technician,
            Buffer.from(request.password, 'utf8'),
            owner,
            'diag',
          );
          if (outcome.ok) return { technician: outcome.technician, ...service.status() };
          if (outcome.reason === 'busy') throw new ServiceError('busy', outcome.message);
          if (outcome.reason === 'locked') {
            throw new ServiceError(
              'locked',
              `this technician id is locked until ${outcome.lockedUntil} after too many wrong passwords`,
            );
          }
          throw new ServiceError('badCredentials', 'wrong technician id or password');
        }
        case 'exit':
        case 'logout':
          if (!service.end(owner, 'exit')) throw new ServiceError('noSession', 'not logged in');
          return service.status();
        default:
          return service.run(owner, request.cmd, request.args);
      }
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  chmodSync(path, 0o660);
  const gid = groupId(options.group);
  if (gid === undefined) {
    log.warn(
      { path, group: options.group },
      `diag socket: group "${options.group}" does not exist; the socket keeps the daemon's own group (create the group and add technicians' console users to it)`,
    );
  } else {
    try {
      chownSync(path, -1, gid);
    } catch (error) {
      log.warn(
        { path, group: options.group, err: error },
        "diag socket: cannot give it to the group; it keeps the daemon's own group",
      );
    }
  }
  log.info({ path, group: gid === undefined ? null : options.group }, 'diag socket listening');

  return {
    path,
    async close() {
      service.off('sessionEnded', onEnded);
      service.off('active', onActive);
      for (const socket of sockets.values()) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      try {
        unlinkSync(path);
      } catch {
        // already gone
      }
    },
  };
}
