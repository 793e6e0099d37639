import { z } from 'zod';
import { kioskConfigSchema } from './schema.js';

/** JSON Schema of what an operator may write (defaults make fields optional), for editors and `kioskd config schema`. */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(kioskConfigSchema, { io: 'input' });
}
