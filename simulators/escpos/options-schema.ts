import { z } from 'zod';
import { TIMING_PRESETS, timingOverridesSchema } from './timing.js';

// The daemon's config checks these options without loading the printer model: this file holds
// the schema and its defaults only (test/cli/cli-lazy-commands keeps it that way).

/** 4 KiB, the receive buffer of the common kiosk printers (Epson TM-T88 class). */
export const DEFAULT_BUFFER_BYTES = 4096;
/**
 * XOFF goes out when this little room is left, and XON once this much is free again. Epson
 * documents 256/512 bytes of room for its 4 KiB buffer; the gap keeps the line from flapping.
 */
export const DEFAULT_XOFF_AT_FREE = 256;
export const DEFAULT_XON_AT_FREE = 512;
/** An 80 mm thermal roll of 50 m. */
export const DEFAULT_PAPER_LENGTH_MM = 50_000;
/** The near-end sensor trips when the roll's core shows, a couple of metres before the end. */
export const DEFAULT_NEAR_END_MM = 2_000;
export const DEFAULT_MAX_RECEIPTS = 200;

export const BAUD_RATES = [9600, 19200, 38400, 57600, 115200] as const;

const baudRate = z.union(
  BAUD_RATES.map((b) => z.literal(b)) as [z.ZodLiteral<9600>, ...z.ZodLiteral<number>[]],
);

export const escposOptionsSchema = z
  .strictObject({
    baudRate: baudRate.optional(),
    /** How the printer says "stop": XON/XOFF bytes (default) or the CTS line. */
    flowControl: z.enum(['xonxoff', 'rtscts']).optional(),
    /** Columns of the standard font: 32 on 58 mm paper, 42 or 48 on 80 mm. */
    columns: z.union([z.literal(32), z.literal(42), z.literal(48)]).optional(),
    /** Many Chinese-market printers power up in Chinese mode; `FS .` leaves it. */
    chineseModeAtInit: z.boolean().optional(),
    bufferBytes: z.number().int().min(256).max(65_536).optional(),
    xoffAtFree: z.number().int().min(1).max(65_536).optional(),
    xonAtFree: z.number().int().min(1).max(65_536).optional(),
    paperLengthMm: z.number().min(0).max(1_000_000).optional(),
    nearEndMm: z.number().min(0).max(1_000_000).optional(),
    /** Receipts kept on the virtual paper for `paper.receipts`; older ones are counted, not kept. */
    maxReceipts: z.number().int().min(1).max(10_000).optional(),
    timingPreset: z.enum(Object.keys(TIMING_PRESETS) as [keyof typeof TIMING_PRESETS]).optional(),
    timing: timingOverridesSchema.optional(),
    /** Seed of the PRNG that picks which bit `line.corrupt` flips. */
    seed: z.number().int().min(0).max(0xffff_ffff).optional(),
  })
  .superRefine((o, ctx) => {
    const buffer = o.bufferBytes ?? DEFAULT_BUFFER_BYTES;
    const xoff = o.xoffAtFree ?? DEFAULT_XOFF_AT_FREE;
    const xon = o.xonAtFree ?? DEFAULT_XON_AT_FREE;
    // zod runs this even when a field failed its own check; that field's issue says it all.
    if (ctx.issues.length > 0) return;
    if (xon <= xoff) {
      ctx.addIssue({
        code: 'custom',
        path: ['xonAtFree'],
        message: `must be more than xoffAtFree (${xoff}), or the printer would say XON while still full`,
      });
    }
    if (xon >= buffer) {
      ctx.addIssue({
        code: 'custom',
        path: ['xonAtFree'],
        message: `must be less than bufferBytes (${buffer})`,
      });
    }
  });
