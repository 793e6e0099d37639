import { hashServicePassword } from '../../security/password-hash.js';
import { MAX_PASSWORD_BYTES } from '../../service-mode/technician-auth.js';
import type { CliCommand } from '../command.js';
import { parseCommandArgs, usageError } from '../usage.js';

const USAGE = `Usage: kioskd technicians hash --password-stdin

Prints the scrypt hash of a technician's password read from standard input (one line, 8 to
${MAX_PASSWORD_BYTES} bytes), for the config's technicians list:
  technicians:
    - id: t-001
      passwordHash: scrypt$N=16384,r=8,p=1$...
The password is never taken from the command line, where other users could see it.`;

/** Shortest technician password: a console login, not a 6-digit customer PIN. */
const MIN_PASSWORD_BYTES = 8;

async function readPasswordLine(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    size += chunk.length;
    chunks.push(chunk);
    if (size > MAX_PASSWORD_BYTES + 2) {
      for (const held of chunks) held.fill(0);
      throw usageError(
        `technicians hash: standard input holds more than a password of at most ${MAX_PASSWORD_BYTES} bytes`,
      );
    }
  }
  const all = Buffer.concat(chunks);
  for (const chunk of chunks) chunk.fill(0);
  let end = all.length;
  while (end > 0 && (all[end - 1] === 0x0a || all[end - 1] === 0x0d)) end--;
  const password = Buffer.from(all.subarray(0, end));
  all.fill(0);
  if (password.length < MIN_PASSWORD_BYTES || password.includes(0x0a)) {
    password.fill(0);
    throw usageError(
      `technicians hash: expected one line of ${MIN_PASSWORD_BYTES} to ${MAX_PASSWORD_BYTES} bytes on standard input`,
    );
  }
  return password;
}

export const techniciansCommand: CliCommand = {
  name: 'technicians',
  usage: USAGE,
  async run(argv, io) {
    const [action, ...rest] = argv;
    if (action === undefined || action === '--help' || action === '-h') {
      io.out(USAGE);
      return action === undefined ? 2 : 0;
    }
    if (action !== 'hash')
      throw usageError(`technicians: unknown subcommand "${action.slice(0, 40)}" (expected hash)`);
    const parsed = parseCommandArgs(
      'technicians hash',
      rest,
      { 'password-stdin': { type: 'boolean' } },
      { min: 0, max: 0, names: '' },
    );
    if (parsed.help) {
      io.out(USAGE);
      return 0;
    }
    if (parsed.values['password-stdin'] !== true) {
      throw usageError(
        'technicians hash: missing --password-stdin (the password is never taken from the command line)',
      );
    }
    io.out(await hashServicePassword(await readPasswordLine()));
    return 0;
  },
};
