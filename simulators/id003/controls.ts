import { z } from 'zod';
import { ErrorCode, KioskError } from '../../core/errors.js';
import { decodeReply, Id003Status } from '../../devices/cash-acceptor/id003/codec/index.js';
import { actionOf, parseControl } from '../harness/control-parse.js';

/**
 * The physical-world actions the ID-003 simulator accepts on its control channel. Each is a
 * strict object keyed by `action`, so a misspelt field is an error rather than silently ignored.
 */

const byte = z.number().int().min(0).max(0xff);

const NO_DATA = new Uint8Array(0);

/**
 * What a reply frame with this code and no data means in ID-003, or undefined when the protocol
 * does not define it. The codec's decoder decides, so the simulator and the driver agree on
 * what "unknown" is: besides the status codes (11–1B, 40–4B, including ESCROW, REJECTING and
 * FAILURE, which need data), ACK 50 and the setting echoes and reports 80–8A, C0–C7 are taken.
 */
export function definedReplyCode(code: number): string | undefined {
  const reply = decodeReply({ code, data: NO_DATA });
  if (reply.kind === 'unknownStatus' && reply.malformed !== true) return undefined;
  const status = Object.entries(Id003Status).find(([, c]) => c === code)?.[0];
  if (status !== undefined) return `the status ${status}`;
  return reply.kind === 'unknownStatus' ? 'a setting echo or report' : `the ${reply.kind} reply`;
}

const hexByte = (code: number): string => `0x${code.toString(16).padStart(2, '0')}`;

/** Phases `power.cutAt` can aim at: where a note is in flight and a cut decides its fate. */
export const CUT_PHASES = [
  'accepting',
  'escrow',
  'holding',
  'stacking',
  'vendValid',
  'stacked',
  'returning',
] as const;
export type CutPhase = (typeof CUT_PHASES)[number];

export const controlSchemas = {
  'note.insert': z.strictObject({
    action: z.literal('note.insert'),
    /** Minor units; must be a denomination of the unit's table unless the note is not genuine. */
    denomination: z.number().int().positive().optional(),
    escrowCode: byte.optional(),
    kind: z.enum(['genuine', 'counterfeit', 'damaged']).optional(),
    /** The REJECTING reason for a counterfeit or damaged note. */
    rejectReason: z.number().int().min(0x71).max(0x7f).optional(),
  }),
  jam: z.strictObject({ action: z.literal('jam'), where: z.enum(['acceptor', 'stacker']) }),
  'jam.clear': z.strictObject({ action: z.literal('jam.clear') }),
  'stacker.full': z.strictObject({ action: z.literal('stacker.full') }),
  'cashbox.remove': z.strictObject({ action: z.literal('cashbox.remove') }),
  'cashbox.replace': z.strictObject({
    action: z.literal('cashbox.replace'),
    emptied: z.boolean().optional(),
  }),
  cheat: z.strictObject({ action: z.literal('cheat') }),
  failure: z.strictObject({ action: z.literal('failure'), code: byte }),
  'failure.clear': z.strictObject({ action: z.literal('failure.clear') }),
  'power.cut': z.strictObject({ action: z.literal('power.cut') }),
  'power.on': z.strictObject({ action: z.literal('power.on') }),
  'power.cutAt': z.strictObject({
    action: z.literal('power.cutAt'),
    phase: z.enum(CUT_PHASES),
    afterMs: z.number().int().min(0).max(600_000).optional(),
  }),
  /** Either the next `count` answers, or each answer with probability `rate` from the seeded PRNG. */
  'answers.drop': z
    .strictObject({
      action: z.literal('answers.drop'),
      count: z.number().int().min(0).max(1_000_000).optional(),
      rate: z.number().min(0).max(1).optional(),
    })
    .refine((c) => (c.count === undefined) !== (c.rate === undefined), {
      message: 'give exactly one of count or rate',
      path: ['count'],
    }),
  'answers.delay': z.strictObject({
    action: z.literal('answers.delay'),
    ms: z.number().int().min(0).max(60_000),
  }),
  /** From now on, answer the host's ACK of VEND VALID (true) or take it silently (false). */
  'answers.hostAck': z.strictObject({
    action: z.literal('answers.hostAck'),
    answer: z.boolean(),
  }),
  /** The next `count` status requests are answered with `code`, a status code ID-003 does not define. */
  'status.unknown': z
    .strictObject({
      action: z.literal('status.unknown'),
      code: byte,
      count: z.number().int().min(1).max(1000).optional(),
    })
    .superRefine((c, ctx) => {
      const defined = definedReplyCode(c.code);
      if (defined === undefined) return;
      ctx.addIssue({
        code: 'custom',
        path: ['code'],
        message: `${hexByte(c.code)} is ${defined} in ID-003; give a code the protocol does not define`,
      });
    }),
  ledger: z.strictObject({ action: z.literal('ledger') }),
} as const;

export type ControlAction = keyof typeof controlSchemas;
export type Id003Control = { [A in ControlAction]: z.output<(typeof controlSchemas)[A]> }[ControlAction];

function isControlAction(action: string): action is ControlAction {
  return Object.hasOwn(controlSchemas, action);
}

/** Validates an untrusted control command; a KioskError SimBadControl names what was wrong. */
export function parseId003Control(command: unknown): Id003Control {
  const action = actionOf(command);
  if (!isControlAction(action)) {
    throw new KioskError(
      ErrorCode.SimBadControl,
      `action: unknown id003 control "${action}" (known: ${Object.keys(controlSchemas).join(', ')})`,
      { details: { field: 'action', action } },
    );
  }
  return parseControl(controlSchemas[action], command, `${action} control`) as Id003Control;
}
