import { isKioskError } from '../../core/errors.js';
import { KIOSKD_VERSION } from '../version.js';
import { type CliCommandEntry, type CliIo, processIo } from './command.js';
import { EXIT_FAILURE, EXIT_USAGE } from './usage.js';

/**
 * Each subcommand's module is imported only when that command runs: `kioskd run` on a kiosk
 * then never loads the fleet monitor (mqtt.js, the ledger), the simulators or the JSON Schema
 * export, which it does not use. Measured on the compiled CLI: loading every command cost
 * ~73 MB RSS, `run` alone ~65 MB (test/cli/cli-lazy-commands.test.ts keeps it so).
 */
const COMMANDS: readonly CliCommandEntry[] = [
  {
    name: 'run',
    summary: 'run the daemon on a config file',
    load: async () => (await import('./commands/run.js')).runCommand,
  },
  {
    name: 'demo',
    summary: 'run the whole system on one machine: simulated devices, embedded broker (what npm start runs)',
    load: async () => (await import('./commands/run.js')).demoCommand,
  },
  {
    name: 'config',
    summary: 'check a config file or print its JSON Schema',
    load: async () => (await import('./commands/config.js')).configCommand,
  },
  {
    name: 'journal',
    summary: 'create the journal, or move a refused one aside and start fresh (--force)',
    load: async () => (await import('./commands/journal.js')).journalCommand,
  },
  {
    name: 'sim',
    summary: 'run a device simulator on a pseudo-terminal or a serial port',
    load: async () => (await import('./commands/sim.js')).simCommand,
  },
  {
    name: 'fleet',
    summary: 'the fleet monitor: payment ledger, live view, command keys and signed commands',
    load: async () => (await import('./commands/fleet.js')).fleetCommand,
  },
  {
    name: 'accounts',
    summary: 'the reference account service: balances, service passwords, PIN block checks, credits',
    load: async () => (await import('./commands/accounts.js')).accountsCommand,
  },
  {
    name: 'diag',
    summary: "the field technician's console: service mode, device tests, journal (local socket)",
    load: async () => (await import('./commands/diag.js')).diagCommand,
  },
  {
    name: 'technicians',
    summary: "hash a technician's password (read on stdin) for the config's technicians list",
    load: async () => (await import('./commands/technicians.js')).techniciansCommand,
  },
];

function mainUsage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'Usage: kioskd <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Options:',
    '  -h, --help     show help (also after any command)',
    '  -v, --version  print the version',
  ].join('\n');
}

export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    io.err('kioskd: missing command (see kioskd --help)');
    return EXIT_USAGE;
  }
  if (first === '--help' || first === '-h' || first === 'help') {
    io.out(mainUsage());
    return 0;
  }
  if (first === '--version' || first === '-v') {
    io.out(KIOSKD_VERSION);
    return 0;
  }
  const entry = COMMANDS.find((c) => c.name === first);
  if (!entry) {
    io.err(`kioskd: unknown command "${first}" (see kioskd --help)`);
    return EXIT_USAGE;
  }
  const command = await entry.load();
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (isKioskError(error) && error.area === 'cli') {
      io.err(`kioskd ${error.message} (see kioskd ${command.name} --help)`);
      return EXIT_USAGE;
    }
    if (isKioskError(error)) {
      const problems = Array.isArray(error.details?.['problems'])
        ? (error.details['problems'] as string[])
        : [error.message];
      for (const line of problems) io.err(`kioskd ${command.name}: ${line}`);
      return EXIT_FAILURE;
    }
    io.err(
      `kioskd ${command.name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    return EXIT_FAILURE;
  }
}
