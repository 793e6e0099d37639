import { isKioskError } from '../../../core/errors.js';
import { configJsonSchema, loadConfigFile } from '../../config/index.js';
import type { CliCommand } from '../command.js';
import { EXIT_FAILURE, parseCommandArgs, usageError } from '../usage.js';

const USAGE = `Usage: kioskd config check FILE | kioskd config schema

  check FILE   validate a config file (YAML or JSON); one line per problem, exit 1 if any
  schema       print the JSON Schema of the config file, for editors and tooling`;

export const configCommand: CliCommand = {
  name: 'config',
  usage: USAGE,
  async run(argv, io) {
    const [action, ...rest] = argv;
    if (action === undefined || action === '--help' || action === '-h') {
      if (action === undefined) throw usageError('config: missing action (check or schema)');
      io.out(USAGE);
      return 0;
    }
    if (action === 'check') {
      const parsed = parseCommandArgs('config check', rest, {}, { min: 1, max: 1, names: 'FILE' });
      if (parsed.help) {
        io.out(USAGE);
        return 0;
      }
      const file = parsed.positionals[0]!;
      try {
        const config = loadConfigFile(file);
        io.out(`${file}: ok (kioskId ${config.kioskId})`);
        if (config.fleet.enabled && config.fleet.broker.url === 'embedded') {
          io.out(
            `${file}: fleet.broker.url is "embedded": kioskd demo runs this file, kioskd run refuses it`,
          );
        }
        return 0;
      } catch (error) {
        if (!isKioskError(error) || error.area !== 'config') throw error;
        const problems = Array.isArray(error.details?.['problems'])
          ? (error.details['problems'] as string[])
          : [error.message];
        for (const problem of problems) io.err(`${file}: ${problem}`);
        return EXIT_FAILURE;
      }
    }
    if (action === 'schema') {
      const parsed = parseCommandArgs('config schema', rest, {}, { min: 0, max: 0, names: '' });
      if (parsed.help) {
        io.out(USAGE);
        return 0;
      }
      io.out(JSON.stringify(configJsonSchema(), null, 2));
      return 0;
    }
    throw usageError(`config: unknown action "${action}" (expected check or schema)`);
  },
};
