import type { z } from 'zod';
import {
  alertPayloadSchema,
  type cashboxHealthSchema,
  commandResultSchema,
  DEFAULT_TOPIC_PREFIX,
  type deviceStatusSchema,
  healthPayloadSchema,
  type KIOSK_MODES,
  parseKioskTopic,
  paymentPayloadSchema,
  statusPayloadSchema,
} from '../fleet-protocol/index.js';

/**
 * What the fleet knows about each kiosk, built from what the kiosks publish. Pure: the live
 * view feeds it MQTT messages and renders its snapshots; tests feed it directly.
 *
 * The epoch rule: a kiosk's `epoch` grows by one on every connection, and its Last Will
 * carries the epoch of the connection it belongs to. A broker may deliver an old connection's
 * Will after the new connection's `online` (the old TCP session times out late), so a status
 * or health older than the newest epoch seen is stale and ignored.
 */

export type KioskMode = (typeof KIOSK_MODES)[number];
export type DeviceStatus = z.infer<typeof deviceStatusSchema>;
export type CashboxHealth = z.infer<typeof cashboxHealthSchema>;

export interface OpenAlert {
  alertId: string;
  device: string;
  kind: string;
  action: string;
  ts: string;
  details?: Record<string, unknown>;
}

export interface KioskView {
  kioskId: string;
  state: 'online' | 'offline' | 'unknown';
  epoch: number | null;
  mode: KioskMode | null;
  version: string | null;
  /** `ts` of the newest message of any kind. */
  lastSeenAt: string | null;
  devices: Record<string, DeviceStatus>;
  cashbox: Record<string, CashboxHealth>;
  paper: 'ok' | 'nearEnd' | 'out' | 'unknown' | null;
  outboxPending: number | null;
  lastPayment: {
    paymentId: string;
    seq: number;
    amount: number;
    currency: string;
    kind: string;
    ts: string;
  } | null;
  /** One per device and kind, oldest first; an alert with `cleared: true` closes it. */
  openAlerts: OpenAlert[];
  lastCommandResult: { cmdId: string | null; status: string; ts: string } | null;
}

export interface FleetSnapshot {
  at: string;
  kiosks: KioskView[];
  /** Messages on kiosk topics that failed validation (ignored). */
  invalidMessages: number;
  /** Status or health messages ignored for an epoch older than the newest seen. */
  staleMessages: number;
}

export type ApplyOutcome = 'applied' | 'stale' | 'invalid' | 'ignored';

interface KioskRecord extends Omit<KioskView, 'openAlerts'> {
  alerts: Map<string, OpenAlert>;
}

function newRecord(kioskId: string): KioskRecord {
  return {
    kioskId,
    state: 'unknown',
    epoch: null,
    mode: null,
    version: null,
    lastSeenAt: null,
    devices: {},
    cashbox: {},
    paper: null,
    outboxPending: null,
    lastPayment: null,
    alerts: new Map(),
    lastCommandResult: null,
  };
}

function later(a: string | null, b: string): string {
  return a === null || b > a ? b : a;
}

export class FleetState {
  private readonly kiosks = new Map<string, KioskRecord>();
  private invalid = 0;
  private stale = 0;

  constructor(private readonly topicPrefix: string = DEFAULT_TOPIC_PREFIX) {}

  /** Applies one received message; says what became of it. Never throws on bad input. */
  apply(topic: string, payload: Buffer | string): ApplyOutcome {
    const parsed = parseKioskTopic(topic, this.topicPrefix);
    if (parsed === undefined) return 'ignored';
    const { kioskId, kind } = parsed;
    if (kind === 'cmd' || kind === 'payment/ack') return 'ignored';
    // An empty retained message clears the retained status on the broker: it says nothing here.
    if (payload.length === 0) return 'ignored';
    let json: unknown;
    try {
      json = JSON.parse(payload.toString());
    } catch {
      return this.rejected();
    }
    switch (kind) {
      case 'status':
        return this.applyStatus(kioskId, json);
      case 'health':
        return this.applyHealth(kioskId, json);
      case 'alert':
        return this.applyAlert(kioskId, json);
      case 'payment':
        return this.applyPayment(kioskId, json);
      case 'cmd/result':
        return this.applyCommandResult(kioskId, json);
    }
  }

  snapshot(now: Date = new Date()): FleetSnapshot {
    const kiosks = [...this.kiosks.values()]
      .sort((a, b) => (a.kioskId < b.kioskId ? -1 : a.kioskId > b.kioskId ? 1 : 0))
      .map(({ alerts, ...rest }) => ({
        ...rest,
        devices: { ...rest.devices },
        cashbox: { ...rest.cashbox },
        openAlerts: [...alerts.values()].sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0)),
      }));
    return { at: now.toISOString(), kiosks, invalidMessages: this.invalid, staleMessages: this.stale };
  }

  private rejected(): ApplyOutcome {
    this.invalid++;
    return 'invalid';
  }

  /** The validated payload when it is valid and about the topic's kiosk, else undefined. */
  private read<S extends z.ZodType<{ kioskId: string }>>(
    schema: S,
    kioskId: string,
    json: unknown,
  ): z.infer<S> | undefined {
    const result = schema.safeParse(json);
    if (!result.success || result.data.kioskId !== kioskId) return undefined;
    return result.data;
  }

  private record(kioskId: string): KioskRecord {
    let record = this.kiosks.get(kioskId);
    if (record === undefined) {
      record = newRecord(kioskId);
      this.kiosks.set(kioskId, record);
    }
    return record;
  }

  private applyStatus(kioskId: string, json: unknown): ApplyOutcome {
    const status = this.read(statusPayloadSchema, kioskId, json);
    if (status === undefined) return this.rejected();
    const record = this.record(kioskId);
    if (record.epoch !== null && status.epoch < record.epoch) {
      this.stale++;
      return 'stale';
    }
    record.epoch = status.epoch;
    record.state = status.state;
    record.mode = status.mode;
    record.version = status.version;
    record.lastSeenAt = later(record.lastSeenAt, status.ts);
    return 'applied';
  }

  private applyHealth(kioskId: string, json: unknown): ApplyOutcome {
    const health = this.read(healthPayloadSchema, kioskId, json);
    if (health === undefined) return this.rejected();
    const record = this.record(kioskId);
    if (record.epoch !== null && health.epoch < record.epoch) {
      this.stale++;
      return 'stale';
    }
    if (record.epoch === null || health.epoch > record.epoch) {
      // Health is only sent while connected: a newer epoch than any status means online.
      record.epoch = health.epoch;
      record.state = 'online';
    }
    record.mode = health.mode;
    record.devices = health.devices;
    record.cashbox = health.cashbox;
    record.paper = health.paper;
    record.outboxPending = health.outbox.pending;
    record.lastSeenAt = later(record.lastSeenAt, health.ts);
    return 'applied';
  }

  private applyAlert(kioskId: string, json: unknown): ApplyOutcome {
    const alert = this.read(alertPayloadSchema, kioskId, json);
    if (alert === undefined) return this.rejected();
    const record = this.record(kioskId);
    const key = `${alert.device}\u0000${alert.kind}`;
    if (alert.cleared) record.alerts.delete(key);
    else
      record.alerts.set(key, {
        alertId: alert.alertId,
        device: alert.device,
        kind: alert.kind,
        action: alert.action,
        ts: alert.ts,
        ...(alert.details !== undefined ? { details: alert.details } : {}),
      });
    record.lastSeenAt = later(record.lastSeenAt, alert.ts);
    return 'applied';
  }

  private applyPayment(kioskId: string, json: unknown): ApplyOutcome {
    const payment = this.read(paymentPayloadSchema, kioskId, json);
    if (payment === undefined) return this.rejected();
    const record = this.record(kioskId);
    // Resends of older payments arrive after newer ones; the last payment is the highest seq.
    if (record.lastPayment === null || payment.seq >= record.lastPayment.seq) {
      record.lastPayment = {
        paymentId: payment.paymentId,
        seq: payment.seq,
        amount: payment.amount,
        currency: payment.currency,
        kind: payment.kind,
        ts: payment.ts,
      };
    }
    record.lastSeenAt = later(record.lastSeenAt, payment.ts);
    return 'applied';
  }

  private applyCommandResult(kioskId: string, json: unknown): ApplyOutcome {
    const result = this.read(commandResultSchema, kioskId, json);
    if (result === undefined) return this.rejected();
    const record = this.record(kioskId);
    record.lastCommandResult = { cmdId: result.cmdId, status: result.status, ts: result.ts };
    record.lastSeenAt = later(record.lastSeenAt, result.ts);
    return 'applied';
  }
}
