import { z } from 'zod';
import { ErrorCode, KioskError } from '../../core/errors.js';
import { actionOf, parseControl } from '../harness/control-parse.js';

/**
 * The physical-world actions the ESC/POS printer simulator accepts on its control channel,
 * plus the two that read the virtual paper. Each is a strict object keyed by `action`, so a
 * misspelt field is an error rather than silently ignored.
 */

const bare = <A extends string>(action: A) => z.strictObject({ action: z.literal(action) });
/** How many receipts to read or draw, newest last. */
const last = z.number().int().min(1).max(1000).optional();

export const MAX_SVG_RECEIPTS = 20;
export const MAX_HOLD_MS = 600_000;
export const MAX_BUTTON_FEED_MS = 30_000;

export const controlSchemas = {
  /** The roll is down to the near-end sensor: prints on, reports near end. */
  'paper.nearEnd': bare('paper.nearEnd'),
  /** The roll ends now: printing stops before the next line. */
  'paper.out': bare('paper.out'),
  /** The roll ends after `lines` more text lines. */
  'paper.outAfter': z.strictObject({
    action: z.literal('paper.outAfter'),
    lines: z.number().int().min(0).max(100_000),
  }),
  /** A new roll (the paper under the head is torn off first); the configured length by default. */
  'paper.load': z.strictObject({
    action: z.literal('paper.load'),
    lengthMm: z.number().min(1).max(1_000_000).optional(),
  }),
  'cover.open': bare('cover.open'),
  'cover.close': bare('cover.close'),
  /** The next cut jams the blade: the receipt stays uncut and the printer stops with an autocutter error. */
  'cutter.jam': bare('cutter.jam'),
  /** A technician frees the blade and pulls the uncut receipt out; printing resumes. */
  'cutter.clear': bare('cutter.clear'),
  /** Someone holds the panel's FEED button for `ms`. */
  'button.feed': z.strictObject({
    action: z.literal('button.feed'),
    ms: z.number().int().min(1).max(MAX_BUTTON_FEED_MS),
  }),
  'printer.offline': bare('printer.offline'),
  'printer.online': bare('printer.online'),
  'power.cut': bare('power.cut'),
  'power.on': bare('power.on'),
  /** Flips one bit in each of the next `bytes` bytes going that way (noise on a bad cable). */
  'line.corrupt': z.strictObject({
    action: z.literal('line.corrupt'),
    direction: z.enum(['toHost', 'toDevice']),
    bytes: z.number().int().min(1).max(100_000),
  }),
  /** Says XOFF now and keeps the host stopped for `ms`, then XON if the buffer has room. */
  'xoff.hold': z.strictObject({
    action: z.literal('xoff.hold'),
    ms: z.number().int().min(1).max(MAX_HOLD_MS),
  }),
  'paper.receipts': z.strictObject({ action: z.literal('paper.receipts'), last }),
  'paper.svg': z.strictObject({
    action: z.literal('paper.svg'),
    last: z.number().int().min(1).max(MAX_SVG_RECEIPTS).optional(),
  }),
  status: bare('status'),
} as const;

export type EscPosControlAction = keyof typeof controlSchemas;
export type EscPosControl = {
  [A in EscPosControlAction]: z.output<(typeof controlSchemas)[A]>;
}[EscPosControlAction];

export const escposActions = Object.keys(controlSchemas) as EscPosControlAction[];

function isControlAction(action: string): action is EscPosControlAction {
  return Object.hasOwn(controlSchemas, action);
}

/** Validates an untrusted control command; a KioskError SimBadControl names what was wrong. */
export function parseEscPosControl(command: unknown): EscPosControl {
  const action = actionOf(command);
  if (!isControlAction(action)) {
    throw new KioskError(
      ErrorCode.SimBadControl,
      `action: unknown escpos control "${action}" (known: ${escposActions.join(', ')})`,
      { details: { field: 'action', action } },
    );
  }
  return parseControl(controlSchemas[action], command, `${action} control`) as EscPosControl;
}
