import { z } from 'zod';
import {
  fieldsAreClean,
  flag,
  intFrom,
  reconnect,
  requireMoreThan,
  requireOwnSimulator,
  serialPort,
} from '../../../core/config-fields.js';
import { PAPER_COLUMNS } from '../printer-document.js';

/*
 * The config file's `devices.printer` section when `protocol` is "escpos". The line is the
 * printer's DIP-switch setting (8N1 at one of the standard rates); how the job is paced and how
 * long the driver waits are ESC/POS's, so they live here, not with the kind.
 */

export const ESCPOS_BAUD_RATES = [9600, 19200, 38400, 57600, 115200] as const;
export const ESCPOS_FLOW_CONTROLS = ['xonxoff', 'rtscts'] as const;
export type EscPosFlowControl = (typeof ESCPOS_FLOW_CONTROLS)[number];

const SIMULATED_PORT = 'sim:escpos';

const baudRate = z.union(
  ESCPOS_BAUD_RATES.map((rate) => z.literal(rate)),
  { error: `expected one of ${ESCPOS_BAUD_RATES.join(', ')}` },
);
const columns = z.union(
  PAPER_COLUMNS.map((n) => z.literal(n)),
  { error: `expected ${PAPER_COLUMNS.join(', ')} (characters per line: 58 mm paper 32, 80 mm 42 or 48)` },
);

export const escposConfigSchema = z
  .strictObject({
    enabled: flag().default(false),
    /** When true the kiosk goes out of service without a working printer. */
    required: flag().default(false),
    port: serialPort(SIMULATED_PORT),
    protocol: z.literal('escpos').default('escpos'),
    baudRate: baudRate.default(9600),
    flowControl: z
      .enum(ESCPOS_FLOW_CONTROLS, { error: `expected ${ESCPOS_FLOW_CONTROLS.join(' or ')}` })
      .default('xonxoff'),
    columns: columns.default(48),
    /** A DLE EOT reply is one byte sent at once, even mid-job: a slow answer means a lost one. */
    answerTimeoutMs: intFrom(50, 5000).default(500),
    /** ESC/POS printers stop silently on cover open or paper end, so status is polled beside ASB. */
    statusPollIntervalMs: intFrom(100, 60_000).default(1000),
    silenceTimeoutMs: intFrom(200, 60_000).default(5000),
    /** A job whose data the printer takes none of (XOFF held, no answer) for this long fails `timeout`. */
    jobStallTimeoutMs: intFrom(1000, 600_000).default(20_000),
    /** The mechanism's speed, to know when the cut is done: ESC/POS confirms no line. Err slow. */
    printSpeedMmPerSecond: intFrom(10, 500).default(100),
    reconnect: reconnect({ initialDelayMs: 500, maxDelayMs: 30_000, factor: 2, jitter: 0.3 }),
  })
  .superRefine((value, ctx) => {
    requireOwnSimulator(ctx, value, SIMULATED_PORT, 'ESC/POS printer');
    if (value.required && !value.enabled && fieldsAreClean(ctx, ['required'], ['enabled'])) {
      ctx.addIssue({
        code: 'custom',
        path: ['enabled'],
        message: 'expected true when required is true',
        input: value.enabled,
      });
    }
    requireMoreThan(ctx, value, 'silenceTimeoutMs', 'statusPollIntervalMs');
    requireMoreThan(ctx, value, 'jobStallTimeoutMs', 'answerTimeoutMs');
  });

export type EscPosPrinterConfig = z.output<typeof escposConfigSchema>;
