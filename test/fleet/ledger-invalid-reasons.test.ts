import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { paymentPayload, useLedgerRig, waitFor } from './fleet-test-kit.js';

/**
 * The ledger recognises the payload every kiosk writes with a quick check and leaves anything
 * else to the schema: a bad payment must still be refused, with the schema's reason in the log.
 */
let lines: Array<{ msg?: string; reason?: string }>;
const rig = useLedgerRig('ledger-invalid', () => {
  lines = [];
  const sink = new PassThrough();
  sink.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line));
  });
  return { logger: createLogger({ level: 'warn', destination: sink }), sharedSubscription: false };
});

describe('fleet ledger: invalid payments keep their reasons', () => {
  it('refuses each with the reason the schema gives, and still takes the good one between them', async () => {
    const good = paymentPayload('k-001', 1);
    const bad: Array<[unknown, RegExp]> = [
      ['not json {', /^not JSON$/],
      [{ ...paymentPayload('k-001', 2), amount: 12.5 }, /^amount: /],
      [{ ...paymentPayload('k-001', 2), extra: true }, /extra/],
      [{ ...paymentPayload('k-001', 2), ts: '2026-02-30T00:00:00.000Z' }, /^ts: /],
      [{ ...paymentPayload('k-001', 2), notes: [{ denomination: 5000 }] }, /^notes\.0\.count: /],
      [{ ...paymentPayload('k-001', 2), seq: 0 }, /^seq: /],
      [paymentPayload('k-002', 2), /is not the topic's "k-001"/],
    ];
    await rig.kiosk.publish(bad[0]![0]);
    await rig.kiosk.publish(good);
    for (const [payload] of bad.slice(1)) await rig.kiosk.publish(payload);
    await waitFor('every invalid payload', () => rig.ledger.stats().invalid === bad.length);
    await waitFor('the good one acknowledged', () => rig.kiosk.ackedIds().includes(good.paymentId));

    const reasons = lines
      .filter((l) => l.msg?.startsWith('invalid payment payload'))
      .map((l) => l.reason ?? '');
    expect(reasons).toHaveLength(bad.length);
    for (const [i, [, pattern]] of bad.entries()) expect(reasons[i]).toMatch(pattern);
    expect(rig.ledger.payments('k-001').map((p) => p.paymentId)).toEqual([good.paymentId]);
    expect(rig.ledger.stats()).toMatchObject({ received: bad.length + 1, stored: 1, invalid: bad.length });
  });
});
