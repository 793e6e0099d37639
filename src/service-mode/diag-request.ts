import { z } from 'zod';

/** The longest request line the socket reads; anything longer is refused before it is parsed. */
export const MAX_DIAG_LINE_BYTES = 4096;

/**
 * One request on `kioskd diag`'s socket, a JSON object per line:
 * `{"id":1,"cmd":"login","args":["t-001"],"password":"…"}`. Words are bounded here so no
 * command sees an unbounded string.
 */
export const diagRequestSchema = z.strictObject({
  id: z
    .union([
      z
        .int()
        .min(0)
        .max(2 ** 31),
      z.string().max(64),
    ])
    .optional(),
  cmd: z.string().min(1).max(32),
  args: z.array(z.string().max(128)).max(8).default([]),
  /** Only with `login`; never logged, never audited. */
  password: z.string().max(128).optional(),
});

export type DiagRequest = z.output<typeof diagRequestSchema>;

/** A request's problem in one line: the first field zod refused and why. */
export function diagRequestProblem(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'not a request';
  const where = issue.path.length === 0 ? 'request' : issue.path.join('.');
  return `${where}: ${issue.message}`;
}
