import { z } from 'zod';
import { ErrorCode, KioskError } from '../../core/errors.js';
import { actionOf, parseControl } from '../harness/control-parse.js';
import type { PadPress } from './key-entry.js';
import { MAX_KEY_INTERVAL_MS } from './timing.js';

/**
 * The physical-world actions the PIN pad simulator accepts on its control channel: the
 * customer's fingers, the power, the tamper switch, and a read of the pad's state. Each is a
 * strict object keyed by `action`, so a misspelt field is an error rather than silently ignored.
 */

const bare = <A extends string>(action: A) => z.strictObject({ action: z.literal(action) });

/** Most presses one action may carry, and most the finger may still have to press. */
export const MAX_PRESSES_PER_ACTION = 64;
export const MAX_PENDING_PRESSES = 256;

/** `0`–`9` digits, `E` enter, `C` cancel, `B` backspace, `X` clear. */
const KEY_LETTERS = { E: 'enter', C: 'cancel', B: 'backspace', X: 'clear' } as const;

export const controlSchemas = {
  /** Presses the keys one after the other, `intervalMs` apart (the timing preset's by default). */
  'keys.press': z.strictObject({
    action: z.literal('keys.press'),
    // The message never quotes the keys: they may be a PIN.
    keys: z.string().regex(new RegExp(`^[0-9EBCX]{1,${MAX_PRESSES_PER_ACTION}}$`), {
      error: `expected 1 to ${MAX_PRESSES_PER_ACTION} keys of 0-9, E (enter), C (cancel), B (backspace), X (clear)`,
    }),
    intervalMs: z.number().min(0).max(MAX_KEY_INTERVAL_MS).optional(),
  }),
  'power.off': bare('power.off'),
  'power.on': bare('power.on'),
  /** Someone opens the case: the pad erases its key and refuses everything but getStatus. */
  tamper: bare('tamper'),
  /** Entry state, digit count, KSN counter: never a digit. */
  state: bare('state'),
} as const;

export type EppControlAction = keyof typeof controlSchemas;
export type EppControl = {
  [A in EppControlAction]: z.output<(typeof controlSchemas)[A]>;
}[EppControlAction];

export const eppActions = Object.keys(controlSchemas) as EppControlAction[];

function isControlAction(action: string): action is EppControlAction {
  return Object.hasOwn(controlSchemas, action);
}

/** Validates an untrusted control command; a KioskError SimBadControl names what was wrong. */
export function parseEppControl(command: unknown): EppControl {
  const action = actionOf(command);
  if (!isControlAction(action)) {
    throw new KioskError(
      ErrorCode.SimBadControl,
      `action: unknown epp control "${action.slice(0, 64)}" (known: ${eppActions.join(', ')})`,
      { details: { field: 'action' } },
    );
  }
  return parseControl(controlSchemas[action], command, `${action} control`) as EppControl;
}

/** A checked `keys` string → presses. */
export function pressesOf(keys: string): PadPress[] {
  return [...keys].map((char) =>
    char >= '0' && char <= '9'
      ? { key: 'digit', value: char.charCodeAt(0) - 0x30 }
      : { key: KEY_LETTERS[char as keyof typeof KEY_LETTERS] },
  );
}

/** A well-formed action the pad cannot take now: SimBadControl saying why, nothing changed. */
export function refuseControl(action: EppControlAction, why: string): never {
  throw new KioskError(ErrorCode.SimBadControl, `${action}: ${why}`, {
    details: { field: 'action', action },
  });
}
