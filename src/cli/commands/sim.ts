import { startControlServer } from '../../../simulators/harness/control-server.js';
import { openPtyPair } from '../../../simulators/harness/pty-pair.js';
import { attachToSerialPath } from '../../../simulators/harness/serial-endpoint.js';
import { createSimulatorHost, simulatorFactories } from '../../../simulators/registry.js';
import { listenRefusal } from '../../http/listen-refusal.js';
import { createLogger } from '../../log.js';
import type { CliCommand } from '../command.js';
import { integerOption, parseCommandArgs, stringOption, usageError } from '../usage.js';

function usage(): string {
  const kinds = [...simulatorFactories.values()].map((f) => `  ${f.kind.padEnd(8)} ${f.description}`);
  return [
    'Usage: kioskd sim <device> (--pty | --port PATH) [options]',
    '',
    'Runs a device simulator until SIGTERM/SIGINT. With --pty it makes a pseudo-terminal pair',
    '(socat) and prints, as one JSON line on stdout, the path a host opens and the URL of the',
    'control channel (insert a note, jam, power cut...: docs/simulator-control.md). With --port',
    'it serves a real serial port, e.g. a null-modem cable to another machine. Logs go to stderr.',
    '',
    'Devices:',
    ...kinds,
    '',
    'Options:',
    '  --pty                  serve one end of a new pty pair; the other end is printed',
    '  --port PATH            serve this serial device instead',
    '  --pty-dir DIR          where the pty links go (default: a new temporary directory)',
    '  --control-port N       control channel port on 127.0.0.1 (default: a free one)',
    "  --timing NAME          the model's timing preset, e.g. realistic (default) or fast",
    '  --timing-ms F=N,...    override single steps of the preset in ms, e.g. acceptingMs=5,stackingMs=4',
    '  --seed N               seed of the line-fault and answer-drop PRNGs (reproducible faults)',
    "  --no-wire-time         deliver bytes at once instead of at the line's baud rate",
    '  --log-level LEVEL      trace|debug|info|warn|error (default info)',
  ].join('\n');
}

/** `acceptingMs=5,stackingMs=4` → `{ acceptingMs: 5, stackingMs: 4 }`; the model checks the names and ranges. */
function timingOverrides(text: string): Record<string, number> {
  const overrides: Record<string, number> = {};
  for (const pair of text.split(',')) {
    const match = /^\s*([A-Za-z]+)=(\d+)\s*$/.exec(pair);
    if (!match) throw usageError(`sim: --timing-ms expects FIELD=MS[,FIELD=MS...], got "${text}"`);
    overrides[match[1]!] = Number(match[2]);
  }
  return overrides;
}

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;

export const simCommand: CliCommand = {
  name: 'sim',
  get usage() {
    return usage();
  },
  async run(argv, io) {
    const parsed = parseCommandArgs(
      'sim',
      argv,
      {
        pty: { type: 'boolean' },
        port: { type: 'string' },
        'pty-dir': { type: 'string' },
        'control-port': { type: 'string' },
        timing: { type: 'string' },
        'timing-ms': { type: 'string' },
        seed: { type: 'string' },
        'no-wire-time': { type: 'boolean' },
        'log-level': { type: 'string' },
      },
      { min: 1, max: 1, names: '<device>' },
    );
    if (parsed.help) {
      io.out(usage());
      return 0;
    }
    const kind = parsed.positionals[0]!;
    if (!simulatorFactories.has(kind)) {
      throw usageError(
        `sim: unknown device "${kind}" (known: ${[...simulatorFactories.keys()].sort().join(', ')})`,
      );
    }
    const pty = parsed.values['pty'] === true;
    const port = stringOption(parsed, 'port');
    if (pty === (port !== undefined)) throw usageError('sim: give exactly one of --pty or --port PATH');
    if (port !== undefined && !port.startsWith('/') && !/^COM\d+$/.test(port)) {
      throw usageError(
        `sim: --port expects an absolute serial device path such as /dev/ttyUSB1, got "${port}"`,
      );
    }
    const controlPort = integerOption(parsed, 'sim', 'control-port', { min: 0, max: 65_535 }) ?? 0;
    const seed = integerOption(parsed, 'sim', 'seed', { min: 0, max: 0xffff_ffff });
    const level = stringOption(parsed, 'log-level') ?? 'info';
    if (!(LOG_LEVELS as readonly string[]).includes(level)) {
      throw usageError(`sim: --log-level expects one of ${LOG_LEVELS.join(', ')}, got "${level}"`);
    }
    const timing = stringOption(parsed, 'timing');
    const modelOptions: Record<string, unknown> = {};
    if (timing !== undefined) modelOptions['timingPreset'] = timing;
    const timingMs = stringOption(parsed, 'timing-ms');
    if (timingMs !== undefined) modelOptions['timing'] = timingOverrides(timingMs);
    if (seed !== undefined && kind === 'id003') modelOptions['seed'] = seed;

    const logger = createLogger({
      level: level as (typeof LOG_LEVELS)[number],
      name: `kioskd-sim-${kind}`,
      destination: process.stderr,
    });
    // Model options are validated by the model: a bad --timing is a usage error, named by the model.
    let host: ReturnType<typeof createSimulatorHost>;
    try {
      host = createSimulatorHost(kind, {
        name: kind,
        logger,
        wireTime: parsed.values['no-wire-time'] !== true,
        ...(seed !== undefined ? { seed } : {}),
        model: modelOptions,
      });
    } catch (error) {
      throw usageError(`sim: ${error instanceof Error ? error.message : String(error)}`);
    }

    // The control port first: taken, it stops the command before a pty or serial port is opened.
    const listener = { field: '--control-port', host: '127.0.0.1', port: controlPort } as const;
    const control = await startControlServer({ devices: host, ...listener, logger }).catch(
      (error: unknown) => {
        host.close();
        throw listenRefusal(error, listener);
      },
    );
    const ptyDir = stringOption(parsed, 'pty-dir');
    let pair: Awaited<ReturnType<typeof openPtyPair>> | undefined;
    let endpoint: Awaited<ReturnType<typeof attachToSerialPath>>;
    try {
      pair = pty ? await openPtyPair(ptyDir !== undefined ? { dir: ptyDir } : {}) : undefined;
      endpoint = await attachToSerialPath(host, pair ? pair.devicePath : port!, logger);
    } catch (error) {
      await control.close();
      host.close();
      await pair?.close();
      throw error;
    }
    io.out(
      JSON.stringify({
        event: 'ready',
        device: kind,
        path: pair ? pair.hostPath : port,
        control: control.url,
      }),
    );
    logger.info({ device: kind, path: pair?.hostPath ?? port, control: control.url }, 'simulator ready');

    await new Promise<void>((resolve) => {
      const onSignal = () => resolve();
      process.once('SIGTERM', onSignal);
      process.once('SIGINT', onSignal);
    });
    await control.close();
    await endpoint.close();
    host.close();
    await pair?.close();
    logger.info('simulator stopped');
    return 0;
  },
};
