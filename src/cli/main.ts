import { isKioskError } from '../errors.js';
import { KIOSKD_VERSION } from '../version.js';
import { type CliCommand, type CliIo, processIo } from './command.js';
import { configCommand } from './commands/config.js';
import { fleetCommand } from './commands/fleet.js';
import { demoCommand, runCommand } from './commands/run.js';
import { simCommand } from './commands/sim.js';
import { EXIT_FAILURE, EXIT_USAGE } from './usage.js';

const COMMANDS: readonly CliCommand[] = [runCommand, demoCommand, configCommand, simCommand, fleetCommand];

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
  const command = COMMANDS.find((c) => c.name === first);
  if (!command) {
    io.err(`kioskd: unknown command "${first}" (see kioskd --help)`);
    return EXIT_USAGE;
  }
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
