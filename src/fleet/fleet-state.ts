import type { z } from 'zod';
import {
  alertPayloadSchema,
  alertSetPayloadSchema,
  type cashboxHealthSchema,
  collectionPayloadSchema,
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
 *
 * An epoch more than MAX_EPOCH_JUMP away from the one the view holds is not a reconnect: it is
 * not taken on its word (the kiosk is flagged with an `epochWarning` and keeps what the view
 * believed), so one forged retained status cannot make every real message look stale. The view
 * moves to such an epoch only when a second, different message of it arrives (another kind, or
 * a later `ts`): a kiosk whose epoch file was rebuilt says `online` and sends health at once; a
 * retained forgery is one message, and delivered again on a reconnect it is the same one.
 */

export type KioskMode = (typeof KIOSK_MODES)[number];
export type DeviceStatus = z.infer<typeof deviceStatusSchema>;
export type CashboxHealth = z.infer<typeof cashboxHealthSchema>;

/** How far a status or health may move the epoch at once; a kiosk reconnects one at a time. */
export const MAX_EPOCH_JUMP = 1000;

export interface EpochWarning {
  /** The epoch the message claimed. */
  claimedEpoch: number;
  /** The epoch the view held when it came. */
  believedEpoch: number;
  kind: 'status' | 'health';
  ts: string;
  /** true once a second, different message of that epoch made the view move to it. */
  adopted: boolean;
}

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
  /**
   * Oldest first. The kiosk's retained `alerts` set replaces them whole; single alerts since
   * then open one per device and kind, and one with `cleared: true` closes it.
   */
  openAlerts: OpenAlert[];
  /** Open alerts the kiosk's set left out (it lists at most MAX_ALERTS_IN_SET). */
  omittedAlerts: number;
  /** The last epoch the view would not take on its word; null when none. */
  epochWarning: EpochWarning | null;
  lastCommandResult: { cmdId: string | null; status: string; ts: string } | null;
  /** The newest cash collection seen (by seq); null before the first. */
  lastCollection: {
    collectionId: string;
    seq: number;
    technician: string;
    expectedValue: number;
    countedValue: number;
    difference: number;
    ts: string;
  } | null;
}

export interface FleetSnapshot {
  at: string;
  kiosks: KioskView[];
  /** Messages on kiosk topics that failed validation (ignored). */
  invalidMessages: number;
  /**
   * Messages ignored as older than what the view holds: a status or health of an older epoch,
   * a single alert older than the kiosk's alert set.
   */
  staleMessages: number;
  /** Status or health messages not taken for an epoch jump beyond MAX_EPOCH_JUMP. */
  suspectMessages: number;
}

export type ApplyOutcome = 'applied' | 'stale' | 'suspect' | 'invalid' | 'ignored';

type EpochVerdict = 'current' | 'adopted' | 'stale' | 'suspect';

interface KioskRecord extends Omit<KioskView, 'openAlerts'> {
  /** By alertId. */
  alerts: Map<string, OpenAlert>;
  /** `ts` of the newest alert set taken. */
  alertSetTs: string | null;
  /** The first message of a far epoch, waiting for a second to confirm it. */
  epochClaim: { epoch: number; kind: 'status' | 'health'; ts: string } | null;
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
    omittedAlerts: 0,
    alertSetTs: null,
    epochWarning: null,
    epochClaim: null,
    lastCommandResult: null,
    lastCollection: null,
  };
}

function later(a: string | null, b: string): string {
  return a === null || b > a ? b : a;
}

export class FleetState {
  private readonly kiosks = new Map<string, KioskRecord>();
  private invalid = 0;
  private stale = 0;
  private suspect = 0;

  constructor(private readonly topicPrefix: string = DEFAULT_TOPIC_PREFIX) {}

  /** Applies one received message; says what became of it. Never throws on bad input. */
  apply(topic: string, payload: Buffer | string): ApplyOutcome {
    const parsed = parseKioskTopic(topic, this.topicPrefix);
    if (parsed === undefined) return 'ignored';
    const { kioskId, kind } = parsed;
    // Service events are the ledger's to store (`kioskd fleet events`); the live table has no column for them.
    if (kind === 'cmd' || kind === 'payment/ack' || kind === 'event') return 'ignored';
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
      case 'alerts':
        return this.applyAlertSet(kioskId, json);
      case 'payment':
        return this.applyPayment(kioskId, json);
      case 'cmd/result':
        return this.applyCommandResult(kioskId, json);
      case 'collection':
        return this.applyCollection(kioskId, json);
    }
  }

  snapshot(now: Date = new Date()): FleetSnapshot {
    const kiosks = [...this.kiosks.values()]
      .sort((a, b) => (a.kioskId < b.kioskId ? -1 : a.kioskId > b.kioskId ? 1 : 0))
      .map(({ alerts, alertSetTs: _setTs, epochClaim: _claim, ...rest }) => ({
        ...rest,
        epochWarning: rest.epochWarning === null ? null : { ...rest.epochWarning },
        devices: { ...rest.devices },
        cashbox: { ...rest.cashbox },
        openAlerts: [...alerts.values()].sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0)),
      }));
    return {
      at: now.toISOString(),
      kiosks,
      invalidMessages: this.invalid,
      staleMessages: this.stale,
      suspectMessages: this.suspect,
    };
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

  /** Where a status or health of `epoch` stands against what the view holds (see the epoch rule). */
  private judgeEpoch(
    record: KioskRecord,
    epoch: number,
    kind: 'status' | 'health',
    ts: string,
  ): EpochVerdict {
    const believed = record.epoch;
    if (believed === null) return 'current';
    if (Math.abs(epoch - believed) <= MAX_EPOCH_JUMP) {
      if (epoch >= believed) return 'current';
      this.stale++;
      return 'stale';
    }
    const claim = record.epochClaim;
    if (claim !== null && claim.epoch === epoch && (claim.kind !== kind || claim.ts !== ts)) {
      record.epochClaim = null;
      record.epochWarning = {
        claimedEpoch: epoch,
        believedEpoch: believed,
        kind: claim.kind,
        ts: claim.ts,
        adopted: true,
      };
      return 'adopted';
    }
    if (claim === null || claim.epoch !== epoch) record.epochClaim = { epoch, kind, ts };
    record.epochWarning = { claimedEpoch: epoch, believedEpoch: believed, kind, ts, adopted: false };
    this.suspect++;
    return 'suspect';
  }

  private applyStatus(kioskId: string, json: unknown): ApplyOutcome {
    const status = this.read(statusPayloadSchema, kioskId, json);
    if (status === undefined) return this.rejected();
    const record = this.record(kioskId);
    const verdict = this.judgeEpoch(record, status.epoch, 'status', status.ts);
    if (verdict === 'stale' || verdict === 'suspect') return verdict;
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
    const verdict = this.judgeEpoch(record, health.epoch, 'health', health.ts);
    if (verdict === 'stale' || verdict === 'suspect') return verdict;
    if (record.epoch === null || health.epoch > record.epoch || verdict === 'adopted') {
      // Health is only sent while connected: a newer epoch than any status means online.
      record.epoch = health.epoch;
      record.state = 'online';
    }
    record.mode = health.mode;
    record.devices = health.devices;
    record.cashbox = health.cashbox;
    record.paper = health.paper;
    record.outboxPending = health.outbox.pending;
    if (health.lastPayment) this.takePayment(record, health.lastPayment);
    record.lastSeenAt = later(record.lastSeenAt, health.ts);
    return 'applied';
  }

  private applyAlert(kioskId: string, json: unknown): ApplyOutcome {
    const alert = this.read(alertPayloadSchema, kioskId, json);
    if (alert === undefined) return this.rejected();
    const record = this.record(kioskId);
    // The kiosk's set is the truth up to its `ts`: this alert is in it, or was cleared from it.
    if (record.alertSetTs !== null && alert.ts < record.alertSetTs) {
      this.stale++;
      return 'stale';
    }
    const sameCondition = (open: OpenAlert) => open.device === alert.device && open.kind === alert.kind;
    if (alert.cleared && !record.alerts.delete(alert.alertId)) {
      for (const [id, open] of record.alerts) if (sameCondition(open)) record.alerts.delete(id);
    } else if (!alert.cleared) {
      for (const [id, open] of record.alerts) if (sameCondition(open)) record.alerts.delete(id);
      record.alerts.set(alert.alertId, {
        alertId: alert.alertId,
        device: alert.device,
        kind: alert.kind,
        action: alert.action,
        ts: alert.ts,
        ...(alert.details !== undefined ? { details: alert.details } : {}),
      });
    }
    record.lastSeenAt = later(record.lastSeenAt, alert.ts);
    return 'applied';
  }

  private applyAlertSet(kioskId: string, json: unknown): ApplyOutcome {
    const set = this.read(alertSetPayloadSchema, kioskId, json);
    if (set === undefined) return this.rejected();
    const record = this.record(kioskId);
    // The newest set received wins, whatever its `ts`: one kiosk's sets arrive in order (QoS 1,
    // one publisher), and a set with a forged future `ts` must not outlive the kiosk's next one.
    record.alerts = new Map(
      set.alerts.map((a) => [
        a.alertId,
        {
          alertId: a.alertId,
          device: a.device,
          kind: a.kind,
          action: a.action,
          ts: a.ts,
          ...(a.details !== undefined ? { details: a.details } : {}),
        },
      ]),
    );
    record.omittedAlerts = set.omitted;
    record.alertSetTs = set.ts;
    record.lastSeenAt = later(record.lastSeenAt, set.ts);
    return 'applied';
  }

  /** Resends of older payments arrive after newer ones; the last payment is the highest seq. */
  private takePayment(record: KioskRecord, payment: NonNullable<KioskView['lastPayment']>): void {
    if (record.lastPayment !== null && payment.seq < record.lastPayment.seq) return;
    record.lastPayment = {
      paymentId: payment.paymentId,
      seq: payment.seq,
      amount: payment.amount,
      currency: payment.currency,
      kind: payment.kind,
      ts: payment.ts,
    };
  }

  private applyPayment(kioskId: string, json: unknown): ApplyOutcome {
    const payment = this.read(paymentPayloadSchema, kioskId, json);
    if (payment === undefined) return this.rejected();
    const record = this.record(kioskId);
    this.takePayment(record, payment);
    record.lastSeenAt = later(record.lastSeenAt, payment.ts);
    return 'applied';
  }

  private applyCollection(kioskId: string, json: unknown): ApplyOutcome {
    const c = this.read(collectionPayloadSchema, kioskId, json);
    if (c === undefined) return this.rejected();
    const record = this.record(kioskId);
    // A resend after a reconnect is older than what the view holds: it does not go back.
    if (record.lastCollection === null || c.seq >= record.lastCollection.seq) {
      record.lastCollection = {
        collectionId: c.collectionId,
        seq: c.seq,
        technician: c.technician,
        expectedValue: c.expectedValue,
        countedValue: c.countedValue,
        difference: c.difference,
        ts: c.ts,
      };
    }
    record.lastSeenAt = later(record.lastSeenAt, c.ts);
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
