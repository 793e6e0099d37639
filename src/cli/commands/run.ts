import { ErrorCode, KioskError } from '../../../core/errors.js';
import { embeddedDemoConfigPath, type KioskConfig, loadConfigFile } from '../../config/index.js';
import { startDaemon } from '../../daemon/daemon.js';
import { createLogger } from '../../log.js';
import type { CliCommand } from '../command.js';
import { parseCommandArgs, stringOption, usageError } from '../usage.js';

/** SIGTERM must leave ports and the journal closed within this budget (systemd's TimeoutStopSec is larger). */
const STOP_DEADLINE_MS = 2_000;

async function runUntilSignalled(config: KioskConfig, configPath: string): Promise<number> {
  const logger = createLogger({ level: config.log.level, name: 'kioskd' });
  const daemon = await startDaemon({ config, configPath, logger });
  return await new Promise<number>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        logger.warn({ signal }, 'second signal: exiting without waiting');
        resolve(1);
        return;
      }
      stopping = true;
      logger.info({ signal }, 'stopping');
      const deadline = setTimeout(() => {
        logger.error({ deadlineMs: STOP_DEADLINE_MS }, 'stop did not finish in time; exiting');
        resolve(1);
      }, STOP_DEADLINE_MS);
      daemon.stop().then(
        () => {
          clearTimeout(deadline);
          logger.info('stopped');
          resolve(0);
        },
        (error: unknown) => {
          clearTimeout(deadline);
          logger.error({ err: error }, 'error while stopping');
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

/**
 * The embedded broker is the demo's: one machine, passwords made at each start and known only
 * to the daemon, retained messages lost on restart. A kiosk in the field reports to the fleet's
 * broker, so `run` refuses it before anything starts.
 */
function refuseEmbeddedBroker(config: KioskConfig): void {
  if (!config.fleet.enabled || config.fleet.broker.url !== 'embedded') return;
  throw new KioskError(
    ErrorCode.ConfigInvalid,
    'fleet.broker.url: "embedded" is for the demo only: use kioskd demo --config FILE, or give the URL of the fleet\'s broker (mqtts://...)',
    { details: { field: 'fleet.broker.url' } },
  );
}

export const runCommand: CliCommand = {
  name: 'run',
  usage: `Usage: kioskd run --config FILE

Runs the kiosk daemon until SIGTERM or SIGINT. Logs are JSON lines on stdout.
  -c, --config FILE   the kiosk config (YAML or JSON); check it first with: kioskd config check FILE`,
  async run(argv, io) {
    const parsed = parseCommandArgs(
      'run',
      argv,
      { config: { type: 'string', short: 'c' } },
      { min: 0, max: 0, names: '' },
    );
    if (parsed.help) {
      io.out(this.usage);
      return 0;
    }
    const file = stringOption(parsed, 'config');
    if (file === undefined) throw usageError('run: missing --config FILE');
    const config = loadConfigFile(file);
    refuseEmbeddedBroker(config);
    return runUntilSignalled(config, file);
  },
};

export const demoCommand: CliCommand = {
  name: 'demo',
  usage: `Usage: kioskd demo [--config FILE]

Runs the daemon on the embedded demo config (seeds/demo.yaml): simulated devices on the
in-process serial binding, data under ./var/. Stop it with Ctrl-C.
  -c, --config FILE   another config to run in demo mode`,
  async run(argv, io) {
    const parsed = parseCommandArgs(
      'demo',
      argv,
      { config: { type: 'string', short: 'c' } },
      { min: 0, max: 0, names: '' },
    );
    if (parsed.help) {
      io.out(this.usage);
      return 0;
    }
    const file = stringOption(parsed, 'config') ?? embeddedDemoConfigPath();
    return runUntilSignalled(loadConfigFile(file), file);
  },
};
