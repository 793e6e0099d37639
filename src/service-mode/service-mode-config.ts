import { z } from 'zod';
import { filePath, intFrom, nonEmptyText } from '../../core/config-fields.js';
import { passwordHashProblem } from '../security/password-hash.js';

/** A technician id: short, printable, and safe as the journal's audit actor (`technician:<id>`). */
export const TECHNICIAN_ID_PATTERN = /^[A-Za-z0-9._-]{1,32}$/;

const technicianSchema = z.strictObject({
  id: z.string({ error: 'expected a technician id' }).regex(TECHNICIAN_ID_PATTERN, {
    error: 'expected 1 to 32 of A-Z a-z 0-9 . _ -',
  }),
  /** `kioskd technicians hash --password-stdin` makes one; the clear password is never in a config. */
  passwordHash: nonEmptyText('a scrypt hash string').superRefine((value, ctx) => {
    const problem = passwordHashProblem(value);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem, input: '(hidden)' });
  }),
});

/** The field technicians who may enter service mode; ids are unique. */
export const techniciansSchema = z
  .array(technicianSchema, { error: 'expected a list of {id, passwordHash}' })
  .max(200, { error: 'expected at most 200 technicians' })
  .default([])
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((technician, index) => {
      if (seen.has(technician.id)) {
        ctx.addIssue({
          code: 'custom',
          path: [index, 'id'],
          message: `technician id "${technician.id}" is listed twice (ids must be unique)`,
          input: technician.id,
        });
      }
      seen.add(technician.id);
    });
  });

/** `kioskd diag`'s socket and the technician session rules (issue 14: 5 failures, 15 min, 10 min idle). */
export const diagConfigSchema = z
  .strictObject({
    enabled: z.boolean({ error: 'expected true or false' }).default(true),
    /** Default `<dataDir>/diag.sock`. */
    socketPath: filePath().optional(),
    /** The socket is mode 0660 and owned by this group; the daemon warns and keeps its own group when it does not exist. */
    group: z
      .string({ error: 'expected a group name' })
      .regex(/^[a-z_][a-z0-9_-]{0,31}$/, { error: 'expected a Unix group name' })
      .default('kioskd'),
    maxFailures: intFrom(1, 100).default(5),
    lockoutMinutes: intFrom(1, 1440).default(15),
    idleMinutes: intFrom(1, 240).default(10),
  })
  .prefault({});

export type TechnicianConfig = z.output<typeof technicianSchema>;
export type DiagConfig = z.output<typeof diagConfigSchema>;
