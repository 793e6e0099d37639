import { z } from 'zod';
import { TIMING_PRESETS, timingOverridesSchema } from './timing.js';

// The daemon's config may check these options without loading the pad model or its crypto:
// this file holds the schema only (zod and the timing schema), never a key or a default key.

export const BAUD_RATES = [9600, 19200, 38400, 57600, 115200] as const;
export const KEY_SCHEME_OPTIONS = ['dukptTdes', 'dukptAes128', 'none'] as const;
export type KeySchemeOption = (typeof KEY_SCHEME_OPTIONS)[number];

/**
 * The last transaction counter each scheme can have used: X9.24-1's 21-bit counter and
 * X9.24-3's 32-bit one (simulators/epp/crypto holds the same figures; a test keeps them equal,
 * this file may not import the crypto).
 */
export const MAX_COUNTER: Record<Exclude<KeySchemeOption, 'none'>, number> = {
  dukptTdes: 0x1f_ffff,
  dukptAes128: 0xffff_ffff,
};

const baudRate = z.union(
  BAUD_RATES.map((b) => z.literal(b)) as [z.ZodLiteral<9600>, ...z.ZodLiteral<number>[]],
);
const hexBytes = (bytes: number) =>
  z.string().regex(new RegExp(`^[0-9A-Fa-f]{${bytes * 2}}$`), {
    error: `expected ${bytes} bytes as ${bytes * 2} hex digits`,
  });
const identity = z
  .string()
  .regex(/^[\x20-\x7e]{1,32}$/, { error: 'expected 1 to 32 printable ASCII characters' });

const eppOptionsObject = z.strictObject({
  baudRate: baudRate.optional(),
  /** The key the pad holds; `none` is a pad with no key injected (it answers noKey). */
  keyScheme: z.enum(KEY_SCHEME_OPTIONS).optional(),
  /** DUKPT TDES: the IPEK; DUKPT AES-128: the initial key. Never the BDK. */
  initialKey: hexBytes(16).optional(),
  /** DUKPT TDES only: the 10-byte initial KSN, its 21 counter bits zero. */
  initialKsn: hexBytes(10).optional(),
  /** DUKPT AES-128 only: the 8-byte initial key ID. */
  initialKeyId: hexBytes(8).optional(),
  /** The last transaction counter already used (NVRAM at start); a high one makes exhaustion near. */
  initialCounter: z.number().int().min(0).max(0xffff_ffff).optional(),
  /** How presses reach the host: event frames (this protocol) or bare key bytes between frames (ZT588 style). */
  keyEvents: z.enum(['frames', 'rawBytes']).optional(),
  /** cancelEntry with no entry running: answered OK (this protocol) or refused notEntering (E7). */
  cancelWhenIdle: z.enum(['ok', 'notEntering']).optional(),
  model: identity.optional(),
  serial: identity.optional(),
  firmware: identity.optional(),
  timingPreset: z.enum(Object.keys(TIMING_PRESETS) as [keyof typeof TIMING_PRESETS]).optional(),
  timing: timingOverridesSchema.optional(),
});

type EppOptionsInput = z.output<typeof eppOptionsObject>;

/** Fields that only make sense with one key scheme, and the counter's range for the scheme. */
function checkKeyFields(o: EppOptionsInput, ctx: z.RefinementCtx): void {
  // zod runs this even when a field failed its own check; that field's issue says it all.
  if (ctx.issues.length > 0) return;
  const scheme = o.keyScheme ?? 'dukptTdes';
  const misplaced = (field: keyof EppOptionsInput, why: string) => {
    if (o[field] !== undefined) ctx.addIssue({ code: 'custom', path: [field], message: why });
  };
  if (scheme === 'none') {
    for (const field of ['initialKey', 'initialKsn', 'initialKeyId', 'initialCounter'] as const) {
      misplaced(field, 'a pad with keyScheme none holds no key');
    }
    return;
  }
  if (scheme === 'dukptTdes') misplaced('initialKeyId', 'is for dukptAes128; DUKPT TDES takes initialKsn');
  if (scheme === 'dukptAes128') misplaced('initialKsn', 'is for dukptTdes; DUKPT AES-128 takes initialKeyId');
  if (o.initialKsn !== undefined && (Number.parseInt(o.initialKsn.slice(-6), 16) & 0x1f_ffff) !== 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['initialKsn'],
      message: 'the initial KSN must have its 21 counter bits zero (set initialCounter instead)',
    });
  }
  if (o.initialCounter !== undefined && o.initialCounter > MAX_COUNTER[scheme]) {
    ctx.addIssue({
      code: 'custom',
      path: ['initialCounter'],
      message: `must be at most ${MAX_COUNTER[scheme]} for ${scheme}`,
    });
  }
  // An IPEK is derived from its KSN (an AES initial key from its key ID): one without the other is a wrong pair.
  const serialField = scheme === 'dukptTdes' ? 'initialKsn' : 'initialKeyId';
  if ((o.initialKey === undefined) !== (o[serialField] === undefined)) {
    const missing = o.initialKey === undefined ? 'initialKey' : serialField;
    ctx.addIssue({
      code: 'custom',
      path: [missing],
      message: `initialKey and ${serialField} go together (the test key goes with the test serial only)`,
    });
  }
}

/** The simulator's own settings, keys included (`kioskd sim`, tests, the demo). */
export const eppOptionsSchema = eppOptionsObject.superRefine(checkKeyFields);

/**
 * The same options as the daemon's config may carry them: without key material. A kiosk's
 * config never holds a key; a simulated pad takes its keys from the simulator's settings.
 */
export const eppConfigOptionsSchema = eppOptionsObject
  .omit({ initialKey: true, initialKsn: true, initialKeyId: true })
  .superRefine(checkKeyFields);
