import { autoDetect } from '@serialport/bindings-cpp';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../../core/errors.js';
import { hangupAwareBinding } from '../../../../core/hangup-aware-binding.js';
import { silentLogger } from '../../../../core/logger.js';
import { escposConfigSchema } from '../../../../devices/printer/escpos/config-schema.js';
import { createEscPosPrinter, escposLineSettings } from '../../../../devices/printer/escpos/create.js';
import type { BindingInterface } from '../../../../devices/transport/serial-binding.js';

/** Each issue as `path: message`, the way the config reports them. */
function problemsOf(input: unknown): string[] {
  const result = escposConfigSchema.safeParse(input);
  if (result.success) return [];
  return result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

describe('the escpos config fragment', () => {
  it('fills every default: the simulator, 9600 baud XON/XOFF, 48 columns', () => {
    expect(escposConfigSchema.parse({})).toEqual({
      enabled: false,
      required: false,
      port: 'sim:escpos',
      protocol: 'escpos',
      baudRate: 9600,
      flowControl: 'xonxoff',
      columns: 48,
      answerTimeoutMs: 500,
      statusPollIntervalMs: 1000,
      silenceTimeoutMs: 5000,
      jobStallTimeoutMs: 20_000,
      printSpeedMmPerSecond: 100,
      reconnect: { initialDelayMs: 500, maxDelayMs: 30_000, factor: 2, jitter: 0.3 },
    });
  });

  it('names each bad field with what it expected', () => {
    expect(problemsOf({ baudRate: 4800 })).toEqual([
      'baudRate: expected one of 9600, 19200, 38400, 57600, 115200',
    ]);
    expect(problemsOf({ flowControl: 'dtrdsr' })).toEqual(['flowControl: expected xonxoff or rtscts']);
    expect(problemsOf({ columns: 40 })).toEqual([
      'columns: expected 32, 42, 48 (characters per line: 58 mm paper 32, 80 mm 42 or 48)',
    ]);
    expect(problemsOf({ statusPollIntervalMs: 10 })).toEqual([
      'statusPollIntervalMs: expected an integer from 100 to 60000',
    ]);
    expect(problemsOf({ port: 'sim:id003' })).toEqual([
      'port: expected "sim:escpos" for a simulated ESC/POS printer',
    ]);
    expect(problemsOf({ port: 'ttyUSB0' })[0]).toMatch(/^port: expected an absolute serial device path/);
    expect(problemsOf({ colums: 42 })).toEqual([expect.stringContaining('colums')]);
    expect(problemsOf({ reconnect: { initialDelayMs: 5 } })).toEqual([
      'reconnect.initialDelayMs: expected an integer from 10 to 600000',
    ]);
  });

  it('checks fields against each other, once per bad value', () => {
    expect(problemsOf({ required: true })).toEqual(['enabled: expected true when required is true']);
    expect(problemsOf({ statusPollIntervalMs: 5000, silenceTimeoutMs: 5000 })).toEqual([
      'silenceTimeoutMs: expected more than statusPollIntervalMs (5000)',
    ]);
    expect(problemsOf({ answerTimeoutMs: 2000, jobStallTimeoutMs: 1500 })).toEqual([
      'jobStallTimeoutMs: expected more than answerTimeoutMs (2000)',
    ]);
    // A field already wrong on its own is not reported again by the cross-field rule.
    expect(problemsOf({ statusPollIntervalMs: 5000, silenceTimeoutMs: 'x' })).toEqual([
      expect.stringMatching(/^silenceTimeoutMs: expected an integer/),
    ]);
  });

  it('puts RTS/CTS on the port and keeps XON/XOFF off it (the driver reads XOFF itself)', () => {
    expect(escposLineSettings({ baudRate: 115200, flowControl: 'rtscts' })).toEqual({
      baudRate: 115200,
      dataBits: 8,
      parity: 'none',
      stopBits: 1,
      rtscts: true,
      xonxoff: false,
    });
    expect(escposLineSettings({ baudRate: 9600, flowControl: 'xonxoff' })).toMatchObject({
      rtscts: false,
      xonxoff: false,
    });
  });
});

describe('the escpos printer built without the schema', () => {
  const config = { ...escposConfigSchema.parse({}), port: '/dev/null-printer' };
  const build =
    (override: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    () =>
      createEscPosPrinter({
        name: 'printer',
        config: { ...config, ...override } as never,
        binding: hangupAwareBinding(autoDetect()) as unknown as BindingInterface,
        logger: silentLogger(),
        ...extra,
      });

  it('refuses bad options naming the field, and builds nothing', () => {
    expect(build({ columns: 40 })).toThrow(
      expect.objectContaining({
        code: ErrorCode.ConfigInvalid,
        message: 'escpos driver: columns: expected 32, 42, 48, got 40',
      }),
    );
    expect(build({ jobStallTimeoutMs: -1 })).toThrow(
      'escpos driver: jobStallTimeoutMs: expected a number above 0',
    );
    expect(build({ printSpeedMmPerSecond: 0 })).toThrow(
      'geometry.printSpeedMmPerSecond: expected a number above 0',
    );
    expect(build({}, { geometry: { cutMs: Number.NaN } })).toThrow(
      'geometry.cutMs: expected a number above 0',
    );
    expect(build({ baudRate: 0 })).toThrow(expect.objectContaining({ code: ErrorCode.ConfigInvalid }));
  });

  it('reports noDevice, with the OS reason, while the port does not exist', async () => {
    const printer = build({ port: '/dev/kioskd-test-no-such-printer' })();
    const statuses: unknown[] = [];
    printer.on('status', (status) => statuses.push(status));
    try {
      await printer.start();
      expect(printer.status).toEqual({ state: 'noDevice', reason: 'ENOENT', paper: 'ok' });
      expect(statuses).toEqual([{ state: 'noDevice', reason: 'ENOENT', paper: 'ok' }]);
      await expect(printer.print({ blocks: [{ kind: 'cut' }] })).rejects.toMatchObject({
        failure: { reason: 'offline', linesPrinted: 0, cut: false },
      });
    } finally {
      await printer.stop();
    }
  });
});
