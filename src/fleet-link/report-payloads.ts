import type { HealthPayload, StatusPayload } from '../fleet-protocol/index.js';
import { FLEET_PAYLOAD_VERSION } from '../fleet-protocol/index.js';
import type { Journal } from '../journal/journal.js';
import { KIOSKD_VERSION } from '../version.js';
import type { FleetLinkContext } from './fleet-link-context.js';

/** `status`: the retained presence message, and (with `offline`) the Last Will. */
export function statusPayload(input: {
  kioskId: string;
  epoch: number;
  state: 'online' | 'offline';
  context: FleetLinkContext;
  now: Date;
}): StatusPayload {
  return {
    v: FLEET_PAYLOAD_VERSION,
    kioskId: input.kioskId,
    ts: input.now.toISOString(),
    state: input.state,
    mode: input.context.mode(),
    epoch: input.epoch,
    version: KIOSKD_VERSION,
  };
}

/** `health`: everything a fleet view shows about the kiosk, read fresh from its sources. */
export function healthPayload(input: {
  kioskId: string;
  epoch: number;
  context: FleetLinkContext;
  journal: Journal;
  now: Date;
}): HealthPayload {
  const { journal } = input;
  const cashbox: HealthPayload['cashbox'] = {};
  for (const device of journal.cashbox.devices()) {
    const counters = journal.cashbox.counters(device);
    cashbox[device] = {
      notes: counters.totalCount,
      value: counters.totalValue,
      capacity: counters.capacity,
      // A box counted past its nominal capacity is full, not "more than full".
      fill: counters.fill === null ? null : Math.min(1, Math.max(0, counters.fill)),
      accuracy: counters.accuracy,
      denominations: counters.denominations.map(({ denomination, count }) => ({ denomination, count })),
    };
  }
  const outbox = journal.outbox.stats();
  const last = journal.payments.last();
  const memory = process.memoryUsage();
  return {
    v: FLEET_PAYLOAD_VERSION,
    kioskId: input.kioskId,
    ts: input.now.toISOString(),
    epoch: input.epoch,
    mode: input.context.mode(),
    uptimeS: Math.floor(process.uptime()),
    memory: { rssBytes: memory.rss, heapUsedBytes: memory.heapUsed },
    devices: { ...input.context.deviceStatuses() },
    cashbox,
    paper: input.context.paperLevel(),
    outbox: { pending: outbox.pending, oldestPendingSeq: outbox.oldestPendingSeq },
    lastPayment:
      last === null
        ? null
        : {
            paymentId: last.paymentId,
            seq: last.seq,
            amount: last.amount,
            currency: last.currency,
            kind: last.kind,
            ts: last.createdAt,
          },
  };
}
