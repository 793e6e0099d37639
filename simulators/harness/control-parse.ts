import type { z } from 'zod';
import { ErrorCode, KioskError } from '../../core/errors.js';

/**
 * Validates an untrusted control command against a zod schema. Control commands come from
 * people and scripts on the control channel, so the error names the offending field in words
 * ("on: expected boolean") and carries the issues as details for programs.
 */
export function parseControl<S extends z.ZodType>(
  schema: S,
  command: unknown,
  what = 'control',
): z.output<S> {
  const result = schema.safeParse(command);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => {
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
    const field = [...issue.path.map(String), ...(keys.length === 1 ? keys : [])].join('.');
    return { field: field || '(command)', message: issue.message };
  });
  const text = issues.map((i) => `${i.field}: ${i.message}`).join('; ');
  throw new KioskError(ErrorCode.SimBadControl, `bad ${what}: ${text}`, { details: { issues } });
}

/** The `action` of a command, or a SimBadControl error when there is none. */
export function actionOf(command: unknown): string {
  if (typeof command !== 'object' || command === null || Array.isArray(command)) {
    throw new KioskError(
      ErrorCode.SimBadControl,
      'a control command must be a JSON object with an "action"',
      {
        details: { field: 'action' },
      },
    );
  }
  const action = (command as Record<string, unknown>)['action'];
  if (typeof action !== 'string' || action === '') {
    throw new KioskError(ErrorCode.SimBadControl, 'action: expected a non-empty string', {
      details: { field: 'action' },
    });
  }
  return action;
}
