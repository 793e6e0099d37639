import { type ParseArgsConfig, parseArgs } from 'node:util';
import { ErrorCode, KioskError } from '../../core/errors.js';

/** Exit status for bad usage, as for most Unix tools; runtime failures exit 1. */
export const EXIT_USAGE = 2;
export const EXIT_FAILURE = 1;

export function usageError(message: string): KioskError {
  return new KioskError(ErrorCode.CliUsage, message);
}

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface ParsedCommand {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
  help: boolean;
}

/**
 * node:util.parseArgs with its errors turned into one-line usage errors. Every subcommand
 * accepts --help/-h; positionals are counted so stray words are caught.
 */
export function parseCommandArgs(
  command: string,
  argv: string[],
  options: OptionSpec,
  positionals: { min: number; max: number; names: string },
): ParsedCommand {
  let parsed: { values: ParsedCommand['values']; positionals: string[] };
  try {
    parsed = parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    const message = error instanceof Error ? (error.message.split('\n')[0] ?? error.message) : String(error);
    throw usageError(`${command}: ${message}`);
  }
  const help = parsed.values['help'] === true;
  if (!help) {
    const count = parsed.positionals.length;
    if (count < positionals.min) throw usageError(`${command}: missing ${positionals.names}`);
    if (count > positionals.max) {
      throw usageError(`${command}: unexpected argument "${parsed.positionals[positionals.max]}"`);
    }
  }
  return { values: parsed.values, positionals: parsed.positionals, help };
}

export function stringOption(parsed: ParsedCommand, name: string): string | undefined {
  const value = parsed.values[name];
  return typeof value === 'string' ? value : undefined;
}

/** A port or count given on the command line: an integer in range, or a usage error naming the option. */
export function integerOption(
  parsed: ParsedCommand,
  command: string,
  name: string,
  range: { min: number; max: number },
): number | undefined {
  const raw = stringOption(parsed, name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!/^-?\d+$/.test(raw) || value < range.min || value > range.max) {
    throw usageError(
      `${command}: --${name} expects an integer from ${range.min} to ${range.max}, got "${raw}"`,
    );
  }
  return value;
}
