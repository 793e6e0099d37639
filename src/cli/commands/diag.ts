import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { loadConfigFile } from '../../config/index.js';
import { diagSocketPath } from '../../service-mode/diag-socket-path.js';
import type { CliCommand, CliIo } from '../command.js';
import { EXIT_FAILURE, parseCommandArgs, stringOption, usageError } from '../usage.js';

const USAGE = `Usage: kioskd diag (--config FILE | --socket PATH)

The field technician's console: service mode over the daemon's local socket (mode 0660, the
kioskd group). Type a command per line; "help" lists them. Interactive on a terminal (the
password is asked without echo); scriptable from standard input, where the line after
"login <id>" is the password. Every answer is printed as one JSON line.
  login <id>      enter service mode (the kiosk finishes the customer in progress first)
  exit            leave service mode: the kiosk returns to the mode before
  quit            close the console (also leaves service mode)
  -c, --config FILE   the kiosk config: the socket is diag.socketPath or <dataDir>/diag.sock
  --socket PATH       the socket itself
Exit status: 0 when every command succeeded, 1 when any failed or the daemon is unreachable.`;

/** A reply or an event from the daemon, one JSON object per line. */
type DaemonLine = Record<string, unknown> & { id?: number };

/** The console's words: a command, then its arguments separated by spaces. */
function words(line: string): string[] {
  return line
    .trim()
    .split(/\s+/)
    .filter((word) => word.length > 0);
}

function connectTo(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      const hint =
        error.code === 'EACCES'
          ? ' (only the kioskd group may connect: is this user in it?)'
          : error.code === 'ENOENT' || error.code === 'ECONNREFUSED'
            ? ' (is the daemon running with diag.enabled?)'
            : '';
      reject(usageError(`diag: cannot connect to ${path}: ${error.code ?? error.message}${hint}`));
    });
  });
}

async function runConsole(path: string, io: CliIo): Promise<number> {
  const socket = await connectTo(path);
  const interactive = process.stdin.isTTY === true;
  let muted = false;
  // The terminal echo goes through this, so the password can be typed unseen.
  const echo = new Writable({
    write(chunk, _encoding, done) {
      if (!muted) process.stdout.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input: process.stdin, output: echo, terminal: interactive });
  const lines = rl[Symbol.asyncIterator]();
  const waiting = new Map<number, (reply: DaemonLine) => void>();
  let failures = 0;
  let closed = false;
  let buffered = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    for (let newline = buffered.indexOf('\n'); newline >= 0; newline = buffered.indexOf('\n')) {
      const text = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      let reply: DaemonLine;
      try {
        reply = JSON.parse(text) as DaemonLine;
      } catch {
        io.err(`diag: the daemon sent a line that is not JSON: ${text.slice(0, 200)}`);
        continue;
      }
      const resolve = typeof reply.id === 'number' ? waiting.get(reply.id) : undefined;
      if (resolve !== undefined) {
        waiting.delete(reply.id as number);
        resolve(reply);
      } else {
        io.out(JSON.stringify(reply));
      }
    }
  });
  const lost = new Promise<DaemonLine>((resolve) => {
    socket.once('close', () => {
      closed = true;
      resolve({ ok: false, error: { code: 'disconnected', message: 'the daemon closed the connection' } });
    });
  });
  socket.on('error', () => {});

  let nextId = 1;
  const request = async (body: Record<string, unknown>): Promise<DaemonLine> => {
    const id = nextId++;
    const answer = new Promise<DaemonLine>((resolve) => waiting.set(id, resolve));
    socket.write(`${JSON.stringify({ id, ...body })}\n`);
    return Promise.race([answer, lost]);
  };

  const prompt = () => {
    if (interactive) process.stdout.write('diag> ');
  };
  const readLine = async (): Promise<string | undefined> => {
    const next = await lines.next();
    return next.done === true ? undefined : next.value;
  };

  try {
    prompt();
    for (let line = await readLine(); line !== undefined && !closed; line = await readLine()) {
      const [cmd, ...args] = words(line);
      if (cmd === undefined || cmd.startsWith('#')) {
        prompt();
        continue;
      }
      if (cmd === 'quit') break;
      const body: Record<string, unknown> = { cmd, args };
      if (cmd === 'login') {
        if (interactive) {
          process.stdout.write('password: ');
          muted = true;
        }
        const password = await readLine();
        muted = false;
        if (interactive) process.stdout.write('\n');
        if (password === undefined) {
          io.err('diag: login: no password line before the end of input');
          failures++;
          break;
        }
        body['password'] = password;
      }
      const reply = await request(body);
      io.out(JSON.stringify({ cmd, ...reply, id: undefined }));
      if (reply['ok'] !== true) failures++;
      if (closed) break;
      prompt();
    }
  } finally {
    rl.close();
    socket.end();
  }
  return failures === 0 ? 0 : EXIT_FAILURE;
}

export const diagCommand: CliCommand = {
  name: 'diag',
  usage: USAGE,
  async run(argv, io) {
    const parsed = parseCommandArgs(
      'diag',
      argv,
      { config: { type: 'string', short: 'c' }, socket: { type: 'string' } },
      { min: 0, max: 0, names: '' },
    );
    if (parsed.help) {
      io.out(USAGE);
      return 0;
    }
    const socket = stringOption(parsed, 'socket');
    const file = stringOption(parsed, 'config');
    if ((socket === undefined) === (file === undefined))
      throw usageError('diag: give either --config FILE or --socket PATH');
    const path = socket ?? diagSocketPath(loadConfigFile(file as string));
    return runConsole(path, io);
  },
};
