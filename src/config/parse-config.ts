import { ErrorCode, KioskError } from '../../core/errors.js';
import { expectationFor, problemLines } from './problem-lines.js';
import { type KioskConfig, kioskConfigSchema } from './schema.js';

/**
 * Validates an already-parsed config value (from YAML, JSON or code) and fills defaults.
 * Throws ConfigInvalid with `details.problems`, one line per problem in document order;
 * the message is those lines joined by newlines. `source` names where the value came from.
 */
export function parseConfig(raw: unknown, source: string): KioskConfig {
  const result = kioskConfigSchema.safeParse(raw, { reportInput: true, error: expectationFor });
  if (result.success) return result.data;
  const problems = problemLines(result.error.issues, kioskConfigSchema, raw);
  throw new KioskError(ErrorCode.ConfigInvalid, problems.join('\n'), { details: { source, problems } });
}
