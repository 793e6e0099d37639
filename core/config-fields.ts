import { z } from 'zod';

/*
 * Field builders shared by the config schema and the devices' own config fragments. Each one carries its own operator-facing
 * "expected ..." phrase on every issue it can raise, so a type error and a range error on the
 * same field read the same way: the formatter only appends ", got <value>".
 */

/** setTimeout fires at once for delays above 2^31-1 ms; no configured delay may come near it. */
export const MAX_DELAY_MS = 86_400_000;

export function intFrom(min: number, max: number) {
  const error = `expected an integer from ${min} to ${max}`;
  return z.int({ error }).min(min, { error }).max(max, { error });
}

export function numberFrom(min: number, max: number) {
  const error = `expected a number from ${min} to ${max}`;
  return z.number({ error }).min(min, { error }).max(max, { error });
}

/** An amount of money: a positive integer count of minor units (fen for CNY), never a float. */
export function amount() {
  const error = 'expected a positive integer amount in minor units (fen)';
  return z.int({ error }).positive({ error });
}

export function flag() {
  return z.boolean({ error: 'expected true or false' });
}

export function nonEmptyText(what = 'a non-empty string') {
  const error = `expected ${what}`;
  return z.string({ error }).min(1, { error });
}

/** A file system path; relative ones are taken against the daemon's working directory. */
export function filePath() {
  const error = 'expected a file path';
  return z
    .string({ error })
    .min(1, { error })
    .regex(/^[^\0]+$/, { error });
}

// Any absolute path, not only /dev/...: udev by-id names are links, and so are the pty links a
// test bench or `kioskd sim --pty` makes; what matters is that it opens as a tty.
const PORT_PATTERN = /^(?:sim:[a-z0-9]+|\/[^\s\0]+|COM[1-9][0-9]{0,2})$/;

/**
 * Where a device is attached: "sim:<kind>" for an in-process simulator, an absolute device
 * path under /dev/ (prefer /dev/serial/by-id/..., stable across reboots), or a Windows COMn.
 */
export function serialPort(simulator: string) {
  return z
    .string({ error: `expected a serial path or "${simulator}"` })
    .regex(PORT_PATTERN, {
      error: `expected an absolute serial device path ("/dev/serial/by-id/..." or "COM<n>") or "sim:<kind>" such as "${simulator}"`,
    })
    .default(simulator);
}

export interface ReconnectDefaults {
  initialDelayMs: number;
  maxDelayMs: number;
  factor: number;
  jitter: number;
}

/** Backoff for reopening a lost port or link (devices/transport/backoff.ts reads the same shape). */
export function reconnect(defaults: ReconnectDefaults) {
  return z
    .strictObject({
      initialDelayMs: intFrom(10, 600_000).default(defaults.initialDelayMs),
      maxDelayMs: intFrom(10, MAX_DELAY_MS).default(defaults.maxDelayMs),
      factor: numberFrom(1, 10).default(defaults.factor),
      jitter: numberFrom(0, 1).default(defaults.jitter),
    })
    .superRefine((value, ctx) => {
      if (
        value.maxDelayMs < value.initialDelayMs &&
        fieldsAreClean(ctx, ['maxDelayMs'], ['initialDelayMs'])
      ) {
        ctx.addIssue({
          code: 'custom',
          path: ['maxDelayMs'],
          message: `expected at least initialDelayMs (${value.initialDelayMs})`,
          input: value.maxDelayMs,
        });
      }
    })
    .prefault({});
}

interface IssueList {
  readonly issues: readonly { readonly path?: readonly PropertyKey[] | undefined }[];
}

/**
 * True when none of the named fields already failed on its own. A cross-field rule checks
 * only clean fields, so one bad value yields one line rather than a range error plus a
 * consequential "must be at least the other field" line.
 */
export function fieldsAreClean(ctx: IssueList, ...fields: readonly (readonly PropertyKey[])[]): boolean {
  return !ctx.issues.some((issue) => {
    const path = issue.path ?? [];
    return fields.some((field) => field.every((segment, i) => path[i] === segment));
  });
}

/** One cross-field rule: `field` must be more than `than`, said once, and only when both are clean. */
export function requireMoreThan<T extends Record<string, unknown>>(
  ctx: z.RefinementCtx<T>,
  value: T,
  field: keyof T & string,
  than: keyof T & string,
): void {
  const [a, b] = [value[field], value[than]];
  if (typeof a !== 'number' || typeof b !== 'number' || a > b) return;
  if (!fieldsAreClean(ctx as unknown as IssueList, [field], [than])) return;
  ctx.addIssue({ code: 'custom', path: [field], message: `expected more than ${than} (${b})`, input: a });
}

/** The daemon starts the simulator a `sim:` port names; only `expected` speaks this protocol. */
export function requireOwnSimulator<T extends { port: string }>(
  ctx: z.RefinementCtx<T>,
  value: T,
  expected: string,
  device: string,
): void {
  if (!value.port.startsWith('sim:') || value.port === expected) return;
  if (!fieldsAreClean(ctx as unknown as IssueList, ['port'])) return;
  ctx.addIssue({
    code: 'custom',
    path: ['port'],
    message: `expected "${expected}" for a simulated ${device}`,
    input: value.port,
  });
}
