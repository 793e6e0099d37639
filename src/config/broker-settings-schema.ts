import { z } from 'zod';
import { fieldsAreClean, filePath, intFrom, nonEmptyText } from '../../core/config-fields.js';

/** MQTT protocol level: 4 is 3.1.1, 5 is MQTT 5. */
export const protocolVersionSchema = z.literal([4, 5], { error: 'expected 4 (MQTT 3.1.1) or 5 (MQTT 5)' });

/**
 * The broker section of a config file, for the kiosk and for the fleet tools alike: where the
 * broker is, which protocol, the client's identity and its TLS files. They differ only in their
 * defaults and in whether an mqtts:// URL must name its CA (a kiosk must pin the fleet's CA;
 * a fleet tool may trust the system's).
 */
export function brokerSettingsSchema(shape: {
  url: z.ZodDefault<z.ZodString>;
  protocolVersion: z.ZodDefault<typeof protocolVersionSchema>;
  caRequiredForMqtts: boolean;
}) {
  return z
    .strictObject({
      url: shape.url,
      protocolVersion: shape.protocolVersion,
      clientId: nonEmptyText('a non-empty client id of at most 256 characters')
        .max(256, { error: 'expected a non-empty client id of at most 256 characters' })
        .optional(),
      ca: filePath().optional(),
      cert: filePath().optional(),
      key: filePath().optional(),
      username: nonEmptyText().optional(),
      password: nonEmptyText().optional(),
      /**
       * The largest MQTT packet this client takes from the broker (fixed header included):
       * announced in an MQTT 5 CONNECT, and enforced on the socket before a packet is buffered.
       */
      maxPacketBytes: intFrom(65_536, 16_777_216).default(262_144),
    })
    .superRefine((value, ctx) => {
      if (value.password !== undefined && value.username === undefined && fieldsAreClean(ctx, ['password'])) {
        ctx.addIssue({
          code: 'custom',
          path: ['username'],
          message: 'required when password is set',
          input: undefined,
        });
      }
      if (!fieldsAreClean(ctx, ['url'])) return;
      const url = value.url;
      const tls = /^(?:mqtts|wss):/.test(url);
      if (
        shape.caRequiredForMqtts &&
        url.startsWith('mqtts:') &&
        value.ca === undefined &&
        fieldsAreClean(ctx, ['ca'])
      ) {
        ctx.addIssue({
          code: 'custom',
          path: ['ca'],
          message: 'required when url is mqtts:// (the CA that signed the broker certificate)',
          input: undefined,
        });
      }
      if (!tls) {
        // A TLS file on a plain link means the operator believes the link is encrypted.
        for (const field of ['ca', 'cert', 'key'] as const) {
          if (value[field] !== undefined) {
            ctx.addIssue({
              code: 'custom',
              path: [field],
              message: 'expected nothing unless url is mqtts:// or wss://',
              input: value[field],
            });
          }
        }
        return;
      }
      if (
        (value.cert === undefined) !== (value.key === undefined) &&
        fieldsAreClean(ctx, ['cert'], ['key'])
      ) {
        const missing = value.cert === undefined ? 'cert' : 'key';
        const present = missing === 'cert' ? 'key' : 'cert';
        ctx.addIssue({
          code: 'custom',
          path: [missing],
          message: `required when ${present} is set (cert and key go together)`,
          input: undefined,
        });
      }
    })
    .prefault({});
}
