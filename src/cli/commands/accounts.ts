import { isKioskError } from '../../../core/errors.js';
import { startAccountServer } from '../../accounts/account-server.js';
import {
  type AccountServiceConfig,
  loadAccountServiceConfig,
} from '../../accounts/account-service-config.js';
import { AccountStore, CN_MOBILE_PATTERN } from '../../accounts/account-store.js';
import { createLogger } from '../../log.js';
import { hashServicePassword, SERVICE_PASSWORD_PATTERN } from '../../security/password-hash.js';
import type { CliCommand, CliIo } from '../command.js';
import {
  EXIT_FAILURE,
  integerOption,
  type ParsedCommand,
  parseCommandArgs,
  stringOption,
  usageError,
} from '../usage.js';

const USAGE = `Usage: kioskd accounts <serve|add|set-password|unlock|show|hash-password> [options]

The reference account service (the operator's side a real deployment replaces with its
billing system): balances, service passwords (scrypt hashes), the HSM's PIN block check.
  serve          serve the HTTP API (balance queries, account check, credits)
  add            add an account with a balance and a service password
  set-password   replace an account's service password (clears wrong tries and any lock)
  unlock         clear an account's wrong tries and lock
  show           print an account's balance, wrong tries and lock as JSON
  hash-password  print the scrypt hash of a password, for a config's accounts list

Run "kioskd accounts <subcommand> --help" for its options.`;

const SERVE_USAGE = `Usage: kioskd accounts serve --config FILE [--db PATH] [--host HOST] [--port N]

Serves the account service's HTTP API until SIGTERM or SIGINT; logs are JSON lines.
  -c, --config FILE   the service config (YAML or JSON): token, HSM keys, lockout, accounts
  --db PATH           the account database (default: the config's db)
  --host HOST         listen address (default: the config's listen.host)
  --port N            listen port (default: the config's listen.port; 0 for any free one)`;

const DB_OPTIONS_HELP = `  -c, --config FILE   take the database path from this service config
  --db PATH           the account database`;

const ADD_USAGE = `Usage: kioskd accounts add <account> --balance FEN --password-stdin (--db PATH | --config FILE)

Adds an account; the service password (6 to 12 digits) is read from standard input and only
its scrypt hash is stored.
  --balance FEN       the opening balance in fen (1 yuan = 100 fen)
  --password-stdin    read the service password from standard input (required)
${DB_OPTIONS_HELP}`;

const SET_PASSWORD_USAGE = `Usage: kioskd accounts set-password <account> --password-stdin (--db PATH | --config FILE)

Replaces the service password (read from standard input) and clears wrong tries and any lock.
${DB_OPTIONS_HELP}`;

const UNLOCK_USAGE = `Usage: kioskd accounts unlock <account> (--db PATH | --config FILE)

Clears the account's wrong password count and its lock.
${DB_OPTIONS_HELP}`;

const SHOW_USAGE = `Usage: kioskd accounts show <account> (--db PATH | --config FILE)

Prints {account, balanceFen, wrongTries, lockedUntil} as JSON (never the password hash).
${DB_OPTIONS_HELP}`;

const HASH_USAGE = `Usage: kioskd accounts hash-password --password-stdin

Prints the scrypt hash of the service password read from standard input.`;

const DB_OPTIONS = { config: { type: 'string', short: 'c' }, db: { type: 'string' } } as const;

function accountArgument(parsed: ParsedCommand, command: string): string {
  const account = parsed.positionals[0] ?? '';
  if (!CN_MOBILE_PATTERN.test(account)) {
    throw usageError(`${command}: "${account.slice(0, 40)}" is not an 11-digit mainland China mobile number`);
  }
  return account;
}

function configFile(parsed: ParsedCommand, command: string): AccountServiceConfig | undefined {
  const file = stringOption(parsed, 'config');
  if (file === undefined) return undefined;
  try {
    return loadAccountServiceConfig(file);
  } catch (error) {
    if (isKioskError(error) && error.area === 'config') {
      throw usageError(`${command}: ${file}: ${error.message.split('\n')[0]}`);
    }
    throw error;
  }
}

function openStore(parsed: ParsedCommand, command: string): AccountStore {
  const path = stringOption(parsed, 'db') ?? configFile(parsed, command)?.db;
  if (path === undefined) throw usageError(`${command}: missing --db PATH or --config FILE`);
  return AccountStore.open(path);
}

/** The password from standard input: one line of 6 to 12 digits, kept in a buffer only. */
async function readPassword(parsed: ParsedCommand, command: string): Promise<Buffer> {
  if (parsed.values['password-stdin'] !== true) {
    throw usageError(
      `${command}: missing --password-stdin (the password is never taken from the command line)`,
    );
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 256) throw usageError(`${command}: standard input holds more than a password`);
    chunks.push(chunk);
  }
  const all = Buffer.concat(chunks);
  for (const chunk of chunks) chunk.fill(0);
  let end = all.length;
  while (end > 0 && (all[end - 1] === 0x0a || all[end - 1] === 0x0d)) end--;
  const password = Buffer.from(all.subarray(0, end));
  all.fill(0);
  if (!SERVICE_PASSWORD_PATTERN.test(password.toString('latin1'))) {
    password.fill(0);
    throw usageError(`${command}: the service password must be 6 to 12 digits`);
  }
  return password;
}

function untilSignalled(): Promise<void> {
  return new Promise((resolve) => {
    const onSignal = () => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      resolve();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

async function serve(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(
    'accounts serve',
    argv,
    { ...DB_OPTIONS, host: { type: 'string' }, port: { type: 'string' } },
    { min: 0, max: 0, names: '' },
  );
  if (parsed.help) return help(io, SERVE_USAGE);
  const port = integerOption(parsed, 'accounts serve', 'port', { min: 0, max: 65_535 });
  const config = configFile(parsed, 'accounts serve');
  if (config === undefined) throw usageError('accounts serve: missing --config FILE');
  const logger = createLogger({ name: 'kioskd-accounts' });
  const running = await startAccountServer(config, {
    dbPath: stringOption(parsed, 'db') ?? config.db,
    listen: {
      host: stringOption(parsed, 'host') ?? config.listen.host,
      port: port ?? config.listen.port,
      field: port === undefined ? 'listen.port' : '--port',
    },
    logger,
  });
  logger.info({ url: running.url, accounts: running.service.store.counts().accounts }, 'account service up');
  await untilSignalled();
  await running.stop();
  logger.info('account service stopped');
  return 0;
}

function help(io: CliIo, text: string): number {
  io.out(text);
  return 0;
}

async function add(argv: string[], io: CliIo): Promise<number> {
  const command = 'accounts add';
  const parsed = parseCommandArgs(
    command,
    argv,
    { ...DB_OPTIONS, balance: { type: 'string' }, 'password-stdin': { type: 'boolean' } },
    { min: 1, max: 1, names: 'account' },
  );
  if (parsed.help) return help(io, ADD_USAGE);
  const account = accountArgument(parsed, command);
  const balance = integerOption(parsed, command, 'balance', { min: 0, max: 1_000_000_000 });
  if (balance === undefined) throw usageError(`${command}: missing --balance FEN`);
  const store = openStore(parsed, command);
  try {
    if (store.get(account) !== undefined) {
      io.err(`kioskd ${command}: account ${account} exists already (use set-password)`);
      return EXIT_FAILURE;
    }
    const hash = await hashServicePassword(await readPassword(parsed, command));
    if (!store.add(account, balance, hash, new Date().toISOString())) {
      io.err(`kioskd ${command}: account ${account} exists already (use set-password)`);
      return EXIT_FAILURE;
    }
    io.out(JSON.stringify({ account, balanceFen: balance }));
    return 0;
  } finally {
    store.close();
  }
}

async function setPassword(argv: string[], io: CliIo): Promise<number> {
  const command = 'accounts set-password';
  const parsed = parseCommandArgs(
    command,
    argv,
    { ...DB_OPTIONS, 'password-stdin': { type: 'boolean' } },
    { min: 1, max: 1, names: 'account' },
  );
  if (parsed.help) return help(io, SET_PASSWORD_USAGE);
  const account = accountArgument(parsed, command);
  const store = openStore(parsed, command);
  try {
    if (store.get(account) === undefined) {
      io.err(`kioskd ${command}: no account ${account}`);
      return EXIT_FAILURE;
    }
    const hash = await hashServicePassword(await readPassword(parsed, command));
    store.setPasswordHash(account, hash);
    io.out(JSON.stringify({ account, passwordChanged: true }));
    return 0;
  } finally {
    store.close();
  }
}

async function unlockOrShow(argv: string[], io: CliIo, which: 'unlock' | 'show'): Promise<number> {
  const command = `accounts ${which}`;
  const parsed = parseCommandArgs(command, argv, DB_OPTIONS, { min: 1, max: 1, names: 'account' });
  if (parsed.help) return help(io, which === 'unlock' ? UNLOCK_USAGE : SHOW_USAGE);
  const account = accountArgument(parsed, command);
  const store = openStore(parsed, command);
  try {
    if (store.get(account) === undefined) {
      io.err(`kioskd ${command}: no account ${account}`);
      return EXIT_FAILURE;
    }
    if (which === 'unlock') store.resetTries(account);
    const record = store.get(account)!;
    io.out(
      JSON.stringify({
        account,
        balanceFen: record.balanceFen,
        wrongTries: record.wrongTries,
        lockedUntil: record.lockedUntil,
      }),
    );
    return 0;
  } finally {
    store.close();
  }
}

async function hashPassword(argv: string[], io: CliIo): Promise<number> {
  const command = 'accounts hash-password';
  const parsed = parseCommandArgs(
    command,
    argv,
    { 'password-stdin': { type: 'boolean' } },
    { min: 0, max: 0, names: '' },
  );
  if (parsed.help) return help(io, HASH_USAGE);
  io.out(await hashServicePassword(await readPassword(parsed, command)));
  return 0;
}

const SUBCOMMANDS: Record<string, (argv: string[], io: CliIo) => Promise<number>> = {
  serve,
  add,
  'set-password': setPassword,
  unlock: (argv, io) => unlockOrShow(argv, io, 'unlock'),
  show: (argv, io) => unlockOrShow(argv, io, 'show'),
  'hash-password': hashPassword,
};

export const accountsCommand: CliCommand = {
  name: 'accounts',
  usage: USAGE,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub === '--help' || sub === '-h') return help(io, USAGE);
    const names = Object.keys(SUBCOMMANDS).join(', ');
    if (sub === undefined) throw usageError(`accounts: missing subcommand (${names})`);
    const run = SUBCOMMANDS[sub];
    if (run === undefined)
      throw usageError(`accounts: unknown subcommand "${sub.slice(0, 40)}" (expected ${names})`);
    return run(rest, io);
  },
};
