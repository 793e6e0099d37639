import { type ZodType, z } from 'zod';
import { ErrorCode, KioskError } from '../../core/errors.js';

/*
 * Bodies the kiosk API accepts. Strict: an unknown key is a 400, so a screen that misspells a
 * field learns at once instead of having it silently ignored.
 */

export const emptyBody = z.strictObject({});

/** Only the type here: whether it is a CN mobile number is the service's 400, with its own reason. */
export const accountBody = z.strictObject({
  account: z
    .string({ error: 'expected a string of digits' })
    .max(32, { error: 'expected at most 32 characters' }),
});

/** Parses `value` or throws ApiBadRequest naming each bad field, e.g. `account: expected a string`. */
export function parseBody<T>(schema: ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const where = issue.path.length > 0 ? issue.path.join('.') : 'body';
    if (issue.code === 'unrecognized_keys') {
      return `${where}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    }
    if (issue.code === 'invalid_type' && issue.path.length === 0) return 'body: expected a JSON object';
    return `${where}: ${issue.message}`;
  });
  throw new KioskError(ErrorCode.ApiBadRequest, problems.join('; '), { details: { problems } });
}
