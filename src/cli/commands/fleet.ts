import { existsSync, readFileSync } from 'node:fs';
import { isKioskError } from '../../../core/errors.js';
import { httpCreditSink } from '../../accounts/credit-sinks.js';
import { connectOnce } from '../../fleet/broker-connection.js';
import { checkCommand, sendCommand } from '../../fleet/command-sender.js';
import {
  type FleetToolConfig,
  type FleetToolOverrides,
  resolveFleetToolConfig,
} from '../../fleet/fleet-config.js';
import { FleetView } from '../../fleet/fleet-view.js';
import { readFleetPrivateKey, type SigningKeyUse, writeFleetKeyPair } from '../../fleet/keygen.js';
import { FleetLedger } from '../../fleet/ledger.js';
import { LedgerStore, MAX_EVENTS_PER_KIOSK } from '../../fleet/ledger-store.js';
import { renderCollectionsTable } from '../../fleet/render-collections.js';
import { renderEventsTable } from '../../fleet/render-events.js';
import { inPlaceFrame, renderFleetTable } from '../../fleet/render-view.js';
import { createLogger } from '../../log.js';
import type { CliCommand, CliIo } from '../command.js';
import {
  EXIT_FAILURE,
  integerOption,
  type OptionSpec,
  type ParsedCommand,
  parseCommandArgs,
  stringOption,
  usageError,
} from '../usage.js';

const CONNECTION_OPTIONS_HELP = `Connection (override the config file; without one, the demo's embedded broker):
  -c, --config FILE     fleet tools config (YAML or JSON): broker, ledger, commands
  --broker URL          mqtt://host:port or mqtts://host:port (default mqtt://127.0.0.1:1883)
  --protocol 4|5        MQTT 3.1.1 (default) or 5
  --tls-ca FILE         CA of the broker's certificate (mqtts://)
  --tls-cert FILE       the fleet identity's client certificate (mqtts://)
  --tls-key FILE        its private key (mqtts://)
  --client-id ID        MQTT client id (default: random)
  --prefix TOPICS       topic prefix (default kiosk/v1)`;

const USAGE = `Usage: kioskd fleet <ledger|view|collections|events|keygen|cmd> [options]

The reference fleet monitor (the operators' side of the MQTT fleet link):
  ledger   store every kiosk's payments once, acknowledge them, report seq gaps; store service events
  view     live table of every kiosk: online, mode, devices, cashbox, last payment, alerts
  collections  the cash collections the ledger stored: expected, counted, difference
  events   the technicians' service-mode actions the ledger stored, newest first
  keygen   make the Ed25519 key pair that signs commands (or, --for ledger, payment acks)
  cmd      sign and send a command to one kiosk, wait for its result

Run "kioskd fleet <subcommand> --help" for its options.`;

const LEDGER_USAGE = `Usage: kioskd fleet ledger --key FILE [--config FILE] [--broker URL] [--db PATH] [--group NAME]

Stores every payment once in SQLite (deduplicated on kioskId and paymentId) and only then
acknowledges it to its kiosk, each ack signed with the ledger's key; logs seq gaps. Runs until
SIGTERM or SIGINT; logs are JSON lines.
  --key FILE            the ledger's Ed25519 private key (kioskd fleet keygen --for ledger);
                        or ledger.privateKey in the config. Kiosks accept only acks it signed
  --db PATH             ledger database (default ./var/fleet-ledger.sqlite)
  --group NAME          shared-subscription group; instances in one group split the load (default ledger)
With ledger.accountService {url, token} in the config, every stored payment is also credited
to its account there, once (docs/account-service.md).

${CONNECTION_OPTIONS_HELP}`;

const VIEW_USAGE = `Usage: kioskd fleet view [--json] [--once] [--interval MS] [--wait MS] [connection options]

A table of every kiosk, refreshed in place every second.
  --json                one JSON object per refresh, one per line, for scripts
  --once                wait for the retained status, health and alerts, print one snapshot and exit
  --wait MS             how long --once waits (default 1000)
  --interval MS         refresh period (default 1000)

${CONNECTION_OPTIONS_HELP}`;

const COLLECTIONS_USAGE = `Usage: kioskd fleet collections [--db PATH] [--kiosk ID] [--limit N] [--json] [--config FILE]

Lists the cash collections the ledger stored (kiosk/v1/{id}/collection): when, kiosk, seq,
collection id, technician, expected, counted, difference, and per denomination what differed.
Reads the ledger database; a running ledger may share it.
  --db PATH             ledger database (default: ledger.db of the config, or ./var/fleet-ledger.sqlite)
  --kiosk ID            one kiosk's collections, in seq order (default: every kiosk's, newest first)
  --limit N             at most N collections (default 50, at most 10000)
  --json                one JSON object per collection, one per line`;

const EVENTS_USAGE = `Usage: kioskd fleet events [--db PATH] [--kiosk ID] [--limit N] [--json] [--config FILE]

Lists the technicians' service-mode actions the ledger stored (kiosk/v1/{id}/event), newest
first: when, kiosk, technician, action, its words, outcome, error. The kiosk's audit log is the
record; the ledger keeps each kiosk's newest ${MAX_EVENTS_PER_KIOSK.toLocaleString('en')}. Reads the ledger database; a running ledger may share it.
  --db PATH             ledger database (default: ledger.db of the config, or ./var/fleet-ledger.sqlite)
  --kiosk ID            one kiosk's events (default: every kiosk's)
  --limit N             at most N events (default 50, at most 10000)
  --json                one JSON object per event, one per line`;

const KEYGEN_USAGE = `Usage: kioskd fleet keygen [--for commands|ledger] [--out DIR] [--key-id ID]

Writes DIR/fleet-ed25519.pem (the private key, mode 0600: keep it with the fleet operators) and
DIR/fleet-ed25519.pub.pem, and prints the public key with the lines a kiosk config needs.
With --for ledger: DIR/ledger-ed25519.pem and .pub.pem, the key a ledger signs payment acks
with (make one per ledger instance). Existing files are never overwritten.
  --for USE             commands (default) or ledger
  --out DIR             where to write (default: the current directory)
  --key-id ID           the id kiosk configs list the key under (default fleet-1, or ledger-1)`;

const CMD_USAGE = `Usage: kioskd fleet cmd <kioskId> <action> [key=value | key:=json ...] [options]

Signs a command, sends it to the kiosk, waits for its result and prints it as JSON.
Exit status: 0 when the kiosk answered ok, 1 when it rejected or failed it or did not answer
in time, 2 for bad usage. Actions: status, setMode mode=inService|outOfService,
resetDevice device=cashAcceptor|printer|pinPad, runDiagnostics device=..., journalSummary, rebirth.
  --key FILE            the Ed25519 private key (from kioskd fleet keygen); or commands.privateKey
  --key-id ID           the key's id in kiosk configs, shown with the result
  --timeout MS          how long to wait for the result (default 10000)

${CONNECTION_OPTIONS_HELP}`;

const CONNECTION_OPTIONS: OptionSpec = {
  config: { type: 'string', short: 'c' },
  broker: { type: 'string' },
  protocol: { type: 'string' },
  'tls-ca': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'client-id': { type: 'string' },
  prefix: { type: 'string' },
};

function connectionOverrides(parsed: ParsedCommand, command: string): FleetToolOverrides {
  return {
    brokerUrl: stringOption(parsed, 'broker'),
    protocolVersion: integerOption(parsed, command, 'protocol', { min: 4, max: 5 }),
    ca: stringOption(parsed, 'tls-ca'),
    cert: stringOption(parsed, 'tls-cert'),
    key: stringOption(parsed, 'tls-key'),
    clientId: stringOption(parsed, 'client-id'),
    topicPrefix: stringOption(parsed, 'prefix'),
  };
}

/** Config problems from command-line values are usage errors (exit 2), one line each. */
function resolveConfig(
  parsed: ParsedCommand,
  command: string,
  extra: FleetToolOverrides = {},
): FleetToolConfig {
  const file = stringOption(parsed, 'config');
  try {
    return resolveFleetToolConfig(file, { ...connectionOverrides(parsed, command), ...extra });
  } catch (error) {
    if (file === undefined && isKioskError(error) && error.area === 'config') {
      throw usageError(`${command}: ${error.message.split('\n')[0]}`);
    }
    throw error;
  }
}

function brokerSettings(config: FleetToolConfig) {
  return { ...config.broker };
}

function untilSignalled(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      resolve(signal);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

async function runLedger(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(
    'fleet ledger',
    argv,
    { ...CONNECTION_OPTIONS, db: { type: 'string' }, group: { type: 'string' }, key: { type: 'string' } },
    { min: 0, max: 0, names: '' },
  );
  if (parsed.help) {
    io.out(LEDGER_USAGE);
    return 0;
  }
  const config = resolveConfig(parsed, 'fleet ledger', {
    ledgerDb: stringOption(parsed, 'db'),
    ledgerGroup: stringOption(parsed, 'group'),
    ledgerPrivateKey: stringOption(parsed, 'key'),
  });
  if (config.ledger.privateKey === undefined) {
    throw usageError(
      'fleet ledger: missing --key FILE (or ledger.privateKey in the config): kiosks accept only signed acks; make one with kioskd fleet keygen --for ledger',
    );
  }
  const ackKey = readFleetPrivateKey(config.ledger.privateKey);
  const logger = createLogger({ name: 'kioskd-fleet-ledger' });
  const signalled = untilSignalled();
  const ledger = FleetLedger.start({
    broker: brokerSettings(config),
    dbPath: config.ledger.db,
    ackKey,
    group: config.ledger.group,
    topicPrefix: config.topicPrefix,
    batchDelayMs: config.ledger.batchDelayMs,
    batchMaxSize: config.ledger.batchMaxSize,
    gapCheckIntervalMs: config.ledger.gapCheckIntervalMs,
    ...(config.ledger.accountService === undefined
      ? {}
      : {
          creditSink: httpCreditSink({
            url: config.ledger.accountService.url,
            token: config.ledger.accountService.token,
            ca:
              config.ledger.accountService.ca === undefined
                ? undefined
                : readFileSync(config.ledger.accountService.ca),
          }),
        }),
    logger,
  });
  logger.info(
    { db: config.ledger.db, broker: config.broker.url, group: config.ledger.group },
    'fleet ledger up',
  );
  const refused = ledger.whenSubscribed().then(
    () => new Promise<never>(() => {}),
    (error: unknown) => error,
  );
  const ended = await Promise.race([signalled, refused]);
  await ledger.stop();
  logger.info({ stats: ledger.stats() }, 'fleet ledger stopped');
  if (typeof ended === 'string') return 0;
  throw ended;
}

async function runView(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(
    'fleet view',
    argv,
    {
      ...CONNECTION_OPTIONS,
      json: { type: 'boolean' },
      once: { type: 'boolean' },
      wait: { type: 'string' },
      interval: { type: 'string' },
    },
    { min: 0, max: 0, names: '' },
  );
  if (parsed.help) {
    io.out(VIEW_USAGE);
    return 0;
  }
  const json = parsed.values['json'] === true;
  const once = parsed.values['once'] === true;
  const waitMs = integerOption(parsed, 'fleet view', 'wait', { min: 0, max: 60_000 }) ?? 1000;
  const intervalMs = integerOption(parsed, 'fleet view', 'interval', { min: 100, max: 3_600_000 }) ?? 1000;
  const config = resolveConfig(parsed, 'fleet view');
  const logger = createLogger({ name: 'kioskd-fleet-view', level: 'warn', destination: process.stderr });
  const view = await FleetView.connect({
    broker: brokerSettings(config),
    topicPrefix: config.topicPrefix,
    logger,
  });
  const connection = () => `${view.isConnected ? 'connected to' : 'reconnecting to'} ${view.url}`;
  const print = () => {
    const now = new Date();
    const snapshot = view.snapshot(now);
    if (json) io.out(JSON.stringify(snapshot));
    else if (once) io.out(renderFleetTable(snapshot, { now, connection: connection() }).join('\n'));
    else {
      const lines = renderFleetTable(snapshot, {
        now,
        width: process.stdout.columns,
        connection: connection(),
      });
      io.out(inPlaceFrame(lines));
    }
  };
  try {
    if (once) {
      await new Promise((resolve) => setTimeout(resolve, waitMs));
      print();
      return 0;
    }
    if (!json) io.out('\x1b[2J');
    print();
    const timer = setInterval(print, intervalMs);
    await untilSignalled();
    clearInterval(timer);
    return 0;
  } finally {
    await view.close();
  }
}

async function runKeygen(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(
    'fleet keygen',
    argv,
    { out: { type: 'string' }, 'key-id': { type: 'string' }, for: { type: 'string' } },
    { min: 0, max: 0, names: '' },
  );
  if (parsed.help) {
    io.out(KEYGEN_USAGE);
    return 0;
  }
  const use = stringOption(parsed, 'for') ?? 'commands';
  if (use !== 'commands' && use !== 'ledger') {
    throw usageError(`fleet keygen: --for expects commands or ledger, got "${use}"`);
  }
  const keyId = stringOption(parsed, 'key-id') ?? (use === 'ledger' ? 'ledger-1' : 'fleet-1');
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(keyId)) {
    throw usageError(
      `fleet keygen: --key-id expects 1 to 64 letters, digits, ".", "_" or "-", got "${keyId}"`,
    );
  }
  const written = writeFleetKeyPair(stringOption(parsed, 'out') ?? '.', use satisfies SigningKeyUse);
  const whose = use === 'ledger' ? "the ledger's ack signing key" : "the fleet's signing key";
  io.err(`wrote ${written.privateKeyPath} (mode 0600: ${whose}, keep it secret)`);
  io.err(`wrote ${written.publicKeyPath}`);
  if (use === 'ledger') io.err(`run the ledger with: kioskd fleet ledger --key ${written.privateKeyPath}`);
  io.err('add the public key to every kiosk config:');
  io.err(
    [
      'fleet:',
      use === 'ledger' ? '  ledger:' : '  commands:',
      '    publicKeys:',
      `      - id: ${keyId}`,
      '        key: |',
      ...written.publicKeyPem
        .trim()
        .split('\n')
        .map((line) => `          ${line}`),
    ].join('\n'),
  );
  io.out(written.publicKeyPem.trimEnd());
  return 0;
}

const ARG_KEY = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

/** `key=value` is a string, `key:=json` a JSON value (as httpie writes them). */
export function parseCommandArgsList(words: readonly string[]): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const word of words) {
    const match = /^([^=:]+)(:?=)(.*)$/s.exec(word);
    const key = match?.[1];
    if (match === null || key === undefined || !ARG_KEY.test(key)) {
      throw usageError(`fleet cmd: expected key=value or key:=json, got "${word}"`);
    }
    if (Object.hasOwn(args, key)) throw usageError(`fleet cmd: argument "${key}" given twice`);
    const raw = match[3] ?? '';
    if (match[2] === ':=') {
      try {
        args[key] = JSON.parse(raw);
      } catch {
        throw usageError(`fleet cmd: ${key}:= expects JSON, got "${raw}"`);
      }
    } else {
      args[key] = raw;
    }
  }
  return args;
}

async function runCmd(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(
    'fleet cmd',
    argv,
    {
      ...CONNECTION_OPTIONS,
      key: { type: 'string' },
      'key-id': { type: 'string' },
      timeout: { type: 'string' },
    },
    { min: 2, max: 2 + 32, names: 'kioskId and action' },
  );
  if (parsed.help) {
    io.out(CMD_USAGE);
    return 0;
  }
  const [kioskId, action, ...words] = parsed.positionals as [string, string, ...string[]];
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(kioskId)) {
    throw usageError(`fleet cmd: "${kioskId}" is not a kiosk id (letters, digits, "_" or "-")`);
  }
  const args = parseCommandArgsList(words);
  const config = resolveConfig(parsed, 'fleet cmd', {
    privateKey: stringOption(parsed, 'key'),
    keyId: stringOption(parsed, 'key-id'),
    commandTimeoutMs: integerOption(parsed, 'fleet cmd', 'timeout', { min: 100, max: 600_000 }),
  });
  try {
    checkCommand({ kioskId, action, args });
  } catch (error) {
    if (isKioskError(error)) throw usageError(`fleet cmd: ${error.message}`);
    throw error;
  }
  if (config.commands.privateKey === undefined) {
    throw usageError('fleet cmd: missing --key FILE (or commands.privateKey in the config)');
  }
  const privateKey = readFleetPrivateKey(config.commands.privateKey);
  const client = await connectOnce(brokerSettings(config), 'cmd', 10_000);
  // After CONNACK a dropped connection shows up as a timeout; mqtt.js must not throw it as unhandled.
  client.on('error', () => {});
  const keyId = config.commands.keyId;
  io.err(`sending ${action} to ${kioskId}${keyId === undefined ? '' : ` signed with key ${keyId}`}`);
  try {
    const outcome = await sendCommand(
      { kioskId, action, args },
      {
        client,
        privateKey,
        topicPrefix: config.topicPrefix,
        timeoutMs: config.commands.timeoutMs,
        validForMs: config.commands.validForMs,
      },
    );
    if (outcome.kind === 'timeout') {
      io.err(
        `kioskd fleet cmd: no result from ${kioskId} within ${config.commands.timeoutMs} ms (cmdId ${outcome.envelope.cmdId})`,
      );
      return EXIT_FAILURE;
    }
    io.out(JSON.stringify(outcome.result));
    return outcome.result.status === 'ok' ? 0 : EXIT_FAILURE;
  } finally {
    await client.endAsync();
  }
}

/**
 * A ledger listing (`fleet collections`, `fleet events`): the same options, the newest `--limit`
 * rows, optionally of one `--kiosk`, as a table or as JSON lines.
 */
async function runListing<Row>(
  command: string,
  usage: string,
  argv: string[],
  io: CliIo,
  list: (store: LedgerStore, filter: { kioskId?: string; limit: number }) => Row[],
  render: (rows: Row[]) => string,
): Promise<number> {
  const parsed = parseCommandArgs(
    command,
    argv,
    {
      config: { type: 'string', short: 'c' },
      db: { type: 'string' },
      kiosk: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean' },
    },
    { min: 0, max: 0, names: '' },
  );
  if (parsed.help) {
    io.out(usage);
    return 0;
  }
  const limit = integerOption(parsed, command, 'limit', { min: 1, max: 10_000 }) ?? 50;
  const kioskId = stringOption(parsed, 'kiosk');
  if (kioskId !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(kioskId)) {
    throw usageError(`${command}: --kiosk ${JSON.stringify(kioskId)} is not a kiosk id`);
  }
  const store = openLedgerForReading(parsed, command);
  try {
    const rows = list(store, { ...(kioskId === undefined ? {} : { kioskId }), limit });
    if (parsed.values['json'] === true) for (const row of rows) io.out(JSON.stringify(row));
    else io.out(render(rows));
  } finally {
    store.close();
  }
  return 0;
}

function runCollections(argv: string[], io: CliIo): Promise<number> {
  return runListing(
    'fleet collections',
    COLLECTIONS_USAGE,
    argv,
    io,
    (store, filter) => store.collections(filter),
    renderCollectionsTable,
  );
}

function runEvents(argv: string[], io: CliIo): Promise<number> {
  return runListing(
    'fleet events',
    EVENTS_USAGE,
    argv,
    io,
    (store, filter) => store.events(filter),
    renderEventsTable,
  );
}

/** Reads a ledger database for a listing; never creates one where the operator mistyped the path. */
function openLedgerForReading(parsed: ParsedCommand, command: string): LedgerStore {
  const config = resolveConfig(parsed, command, { ledgerDb: stringOption(parsed, 'db') });
  if (!existsSync(config.ledger.db)) {
    throw usageError(`${command}: no ledger database at ${config.ledger.db} (--db PATH)`);
  }
  return LedgerStore.open(config.ledger.db);
}

const SUBCOMMANDS: Record<string, (argv: string[], io: CliIo) => Promise<number>> = {
  ledger: runLedger,
  view: runView,
  collections: runCollections,
  events: runEvents,
  keygen: runKeygen,
  cmd: runCmd,
};

export const fleetCommand: CliCommand = {
  name: 'fleet',
  usage: USAGE,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub === '--help' || sub === '-h') {
      io.out(USAGE);
      return 0;
    }
    if (sub === undefined)
      throw usageError('fleet: missing subcommand (ledger, view, collections, events, keygen or cmd)');
    const run = SUBCOMMANDS[sub];
    if (run === undefined) {
      throw usageError(
        `fleet: unknown subcommand "${sub}" (expected ledger, view, collections, events, keygen or cmd)`,
      );
    }
    return run(rest, io);
  },
};
