import { z } from 'zod';
import { ErrorCode, KioskError } from '../../core/errors.js';
import type { LineSettings } from '../../core/line-settings.js';
import { actionOf, parseControl } from '../harness/control-parse.js';
import type { DeviceModel, DeviceModelFactory } from '../harness/device-model.js';

export interface EchoModelOptions {
  baudRate?: number;
  dataBits?: LineSettings['dataBits'];
  parity?: LineSettings['parity'];
  stopBits?: LineSettings['stopBits'];
  /** Time from a chunk's arrival to the start of its echo (default 2 ms). */
  answerDelayMs?: number;
}

export interface EchoSnapshot {
  power: 'on' | 'off';
  muted: boolean;
  bytesIn: number;
  bytesOut: number;
  /** Echoes waiting for their answer delay. */
  pendingChunks: number;
}

const optionsSchema = z.strictObject({
  baudRate: z.number().int().min(50).max(4_000_000).optional(),
  dataBits: z.union([z.literal(5), z.literal(6), z.literal(7), z.literal(8)]).optional(),
  parity: z.enum(['none', 'even', 'odd']).optional(),
  stopBits: z.union([z.literal(1), z.literal(2)]).optional(),
  answerDelayMs: z.number().min(0).max(60_000).optional(),
});

const controlSchemas = {
  'power.cut': z.strictObject({ action: z.literal('power.cut') }),
  'power.on': z.strictObject({ action: z.literal('power.on') }),
  mute: z.strictObject({ action: z.literal('mute'), on: z.boolean() }),
} as const;

export const echoActions = Object.keys(controlSchemas) as (keyof typeof controlSchemas)[];

/**
 * A loopback device: every chunk it receives comes back unchanged, as one chunk, after the
 * answer delay. Transport tests use it to check framing-free byte paths, timeouts (mute) and
 * power loss (power.cut) without any protocol in the way.
 */
export class EchoModel implements DeviceModel {
  readonly kind = 'echo';
  readonly line: LineSettings;
  readonly answerDelayMs: number;
  private pending: { due: number; bytes: Uint8Array }[] = [];
  private power: 'on' | 'off' = 'on';
  private muted = false;
  private bytesIn = 0;
  private bytesOut = 0;

  constructor(options: EchoModelOptions = {}) {
    const parsed = optionsSchema.safeParse(options);
    if (!parsed.success) {
      const text = parsed.error.issues
        .map((i) => `${i.path.join('.') || '(options)'}: ${i.message}`)
        .join('; ');
      throw new KioskError(ErrorCode.ConfigInvalid, `bad echo simulator options: ${text}`, {
        details: {
          issues: parsed.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })),
        },
      });
    }
    const o = parsed.data;
    this.line = {
      baudRate: o.baudRate ?? 9600,
      dataBits: o.dataBits ?? 8,
      parity: o.parity ?? 'none',
      stopBits: o.stopBits ?? 1,
      rtscts: false,
      xonxoff: false,
    };
    this.answerDelayMs = o.answerDelayMs ?? 2;
  }

  receive(bytes: Uint8Array, now: number): void {
    if (this.power === 'off') return;
    this.bytesIn += bytes.length;
    if (this.muted) return;
    this.pending.push({ due: now + this.answerDelayMs, bytes: Uint8Array.from(bytes) });
  }

  advance(now: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    while (this.pending.length > 0 && (this.pending[0]?.due ?? Infinity) <= now) {
      const chunk = this.pending.shift()!.bytes;
      this.bytesOut += chunk.length;
      out.push(chunk);
    }
    return out;
  }

  nextDeadline(): number | undefined {
    return this.pending[0]?.due;
  }

  control(command: unknown, _now: number): EchoSnapshot {
    const action = actionOf(command);
    if (!Object.hasOwn(controlSchemas, action)) {
      throw new KioskError(
        ErrorCode.SimBadControl,
        `action: unknown echo action "${action}" (known: ${echoActions.join(', ')})`,
        { details: { field: 'action', known: echoActions } },
      );
    }
    const name = action as keyof typeof controlSchemas;
    const parsed = parseControl(controlSchemas[name], command);
    switch (parsed.action) {
      case 'power.cut':
        // A powered-off device forgets what it was about to send.
        this.power = 'off';
        this.pending = [];
        break;
      case 'power.on':
        this.power = 'on';
        break;
      case 'mute':
        this.muted = parsed.on;
        if (parsed.on) this.pending = [];
        break;
    }
    return this.snapshot();
  }

  snapshot(): EchoSnapshot {
    return {
      power: this.power,
      muted: this.muted,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      pendingChunks: this.pending.length,
    };
  }
}

export const echoModelFactory: DeviceModelFactory = {
  kind: 'echo',
  description: 'Loopback device: echoes each received chunk after answerDelayMs (9600 8N1 by default)',
  create: (options?: Record<string, unknown>) => new EchoModel(options as EchoModelOptions | undefined),
};
