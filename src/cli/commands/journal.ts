import { userInfo } from 'node:os';
import { loadConfigFile } from '../../config/index.js';
import { startFreshJournal } from '../../journal/start-fresh-journal.js';
import { silentLogger } from '../../log.js';
import type { CliCommand } from '../command.js';
import { parseCommandArgs, stringOption, usageError } from '../usage.js';

const USAGE = `Usage: kioskd journal init --config FILE [--force]

  init   create the journal the config names (journal.path) if there is none.
         With --force, a journal the daemon refuses (empty, no schema, corrupt, from a newer
         build or another kiosk) is moved aside to <path>.refused-<time>, never deleted, and a
         fresh one is started; its audit log records what was moved where, by whom and when.
         A journal that opens cleanly is never replaced. Stop kioskd first.
  -c, --config FILE   the kiosk config
  --force             move a refused journal aside`;

/** Who ran the command, for the audit record; the login name when the system knows it. */
function operator(): string {
  try {
    return `cli:${userInfo().username}`.slice(0, 64);
  } catch {
    return `cli:uid-${process.getuid?.() ?? 'unknown'}`;
  }
}

export const journalCommand: CliCommand = {
  name: 'journal',
  usage: USAGE,
  async run(argv, io) {
    const [action, ...rest] = argv;
    if (action === undefined) throw usageError('journal: missing action (init)');
    if (action === '--help' || action === '-h') {
      io.out(USAGE);
      return 0;
    }
    if (action !== 'init') throw usageError(`journal: unknown action "${action}" (expected init)`);
    const parsed = parseCommandArgs(
      'journal init',
      rest,
      { config: { type: 'string', short: 'c' }, force: { type: 'boolean' } },
      { min: 0, max: 0, names: '' },
    );
    if (parsed.help) {
      io.out(USAGE);
      return 0;
    }
    const file = stringOption(parsed, 'config');
    if (file === undefined) throw usageError('journal init: missing --config FILE');
    const config = loadConfigFile(file);
    const result = startFreshJournal({
      path: config.journal.path,
      kioskId: config.kioskId,
      currency: config.currency.code,
      by: operator(),
      force: parsed.values['force'] === true,
      logger: silentLogger(),
    });
    io.out(
      result.movedTo === undefined
        ? `${result.path}: journal created`
        : `${result.path}: refused journal moved to ${result.movedTo}; fresh journal started (audited as journal.replaced)`,
    );
    return 0;
  },
};
