import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LEDGER_SCHEMA_V1, LEDGER_SCHEMA_VERSION, LedgerStore } from '../../src/fleet/ledger-store.js';
import type { ServiceEventPayload } from '../../src/fleet-protocol/index.js';
import { scratchDir } from './fleet-test-kit.js';

let dir: ReturnType<typeof scratchDir>;
let path: string;
const at = '2026-12-05T10:00:00.000Z';

beforeEach(() => {
  dir = scratchDir('ledger-events');
  path = join(dir.path, 'ledger.sqlite');
});
afterEach(() => dir.remove());

let counter = 0;
function event(kioskId: string, overrides: Partial<ServiceEventPayload> = {}): ServiceEventPayload {
  counter += 1;
  return {
    v: 1,
    kioskId,
    ts: new Date(Date.parse(at) + counter * 1000).toISOString(),
    // A ULID: 26 Crockford characters, the counter in the last ones.
    eventId: `01JF00000000000000000${String(counter).padStart(5, '0')}`,
    kind: 'service',
    technician: 't-001',
    action: 'summary',
    args: [],
    outcome: 'ok',
    ...overrides,
  };
}

describe('ledger store: service events', () => {
  it('stores each event once, lists them newest first per kiosk or for all, with args and error', () => {
    const store = LedgerStore.open(path);
    const a1 = event('k-1', { action: 'collection-count', args: ['10000=3', '5000=1'] });
    const b1 = event('k-2', { action: 'reset', args: ['printer'], outcome: 'failed', error: 'no answer' });
    const a2 = event('k-1', { action: 'service.exit', args: ['idle'] });
    for (const e of [a1, b1, a2]) expect(store.storeEvent(e, JSON.stringify(e), at)).toBe(true);
    // QoS 1 may deliver one twice.
    expect(store.storeEvent(a1, JSON.stringify(a1), at)).toBe(false);

    expect(store.events().map((e) => e.eventId)).toEqual([a2.eventId, b1.eventId, a1.eventId]);
    expect(store.events({ kioskId: 'k-1' }).map((e) => e.eventId)).toEqual([a2.eventId, a1.eventId]);
    expect(store.events({ limit: 1 }).map((e) => e.eventId)).toEqual([a2.eventId]);
    expect(store.events({ kioskId: 'k-2' })).toEqual([
      {
        kioskId: 'k-2',
        eventId: b1.eventId,
        ts: b1.ts,
        technician: 't-001',
        action: 'reset',
        args: ['printer'],
        outcome: 'failed',
        error: 'no answer',
        receivedAt: at,
      },
    ]);
    expect(store.events({ kioskId: 'k-1' })[1]).toMatchObject({ args: ['10000=3', '5000=1'], error: null });
    store.close();
  });

  it("keeps each kiosk's newest events only, another kiosk's untouched", () => {
    const store = LedgerStore.open(path, { maxEventsPerKiosk: 3 });
    const many = Array.from({ length: 5 }, () => event('k-1'));
    const other = event('k-2');
    store.storeEvent(other, JSON.stringify(other), at);
    for (const e of many) store.storeEvent(e, JSON.stringify(e), at);
    expect(store.events({ kioskId: 'k-1' }).map((e) => e.eventId)).toEqual(
      many
        .slice(2)
        .reverse()
        .map((e) => e.eventId),
    );
    expect(store.events({ kioskId: 'k-2' })).toHaveLength(1);
    store.close();
    expect(() => LedgerStore.open(path, { maxEventsPerKiosk: 0 })).toThrow(
      /maxEventsPerKiosk must be a positive integer/,
    );
  });

  it('an older ledger file gains the events table through the migrations', () => {
    const v1 = new Database(path);
    v1.pragma('journal_mode = WAL');
    v1.exec(LEDGER_SCHEMA_V1);
    v1.pragma('user_version = 1');
    v1.close();
    const store = LedgerStore.open(path);
    const e = event('k-1');
    expect(store.storeEvent(e, JSON.stringify(e), at)).toBe(true);
    store.close();
    const after = new Database(path, { readonly: true });
    expect(after.pragma('user_version', { simple: true })).toBe(LEDGER_SCHEMA_VERSION);
    expect(LEDGER_SCHEMA_VERSION).toBe(4);
    expect(after.prepare('SELECT payload FROM ledger_events').pluck().get()).toBe(JSON.stringify(e));
    after.close();
  });
});
