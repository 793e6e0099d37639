import { describe, expect, it } from 'vitest';
import {
  closeRigsAfterEach,
  type Id003Rig,
  insertAndSettle,
  startAndEnable,
  startId003Rig,
  waitUntil,
} from '../../../helpers/id003-rig.js';

/**
 * A unit answering a status request with a code ID-003 does not define (firmware variants do),
 * injected with the simulator's `status.unknown`, against the real driver on the in-process
 * serial binding. The driver's documented behaviour (docs/devices/id003-driver.md): status
 * unchanged, one `unknownStatus {deviceCode, data}` event per entry into the code, nothing done
 * to the unit, and normal handling as soon as a defined status comes back.
 */

const rigs = closeRigsAfterEach();

async function rigWith(model: Record<string, unknown> = {}): Promise<Id003Rig> {
  const rig = await startId003Rig({ variant: 'inProcess', model });
  rigs.push(rig);
  return rig;
}

const statusRequests = (rig: Id003Rig): number =>
  rig.received.filter((r) => r.kind === 'statusRequest').length;
const unknownAnswers = (rig: Id003Rig): number =>
  (rig.model()['counters'] as { unknownStatusAnswers: number }).unknownStatusAnswers;

/** Waits until the unit has answered `total` unknown codes in all and then two status requests more. */
async function throughUnknownAnswers(rig: Id003Rig, total: number): Promise<void> {
  await waitUntil(`${total} unknown status answers`, () => unknownAnswers(rig) >= total);
  const after = statusRequests(rig);
  // The second request is written only after the driver handled the answer to the first.
  await waitUntil('two status requests answered normally', () => statusRequests(rig) >= after + 2);
  expect(unknownAnswers(rig)).toBe(total);
}

describe('ID-003 driver on a status code the protocol does not define (inProcess)', () => {
  it('reports it once per entry, keeps its status and sends nothing but polls; then idles and takes notes', async () => {
    const rig = await rigWith();
    await startAndEnable(rig);
    const statusEvents = rig.events.status.length;
    const from = rig.received.length;

    rig.control({ action: 'status.unknown', code: 0x5a, count: 4 });
    await throughUnknownAnswers(rig, 4);

    expect(rig.events.unknownStatus).toEqual([{ deviceCode: 0x5a, data: '' }]);
    expect(rig.acceptor.driver.status).toEqual({ state: 'online' });
    expect(rig.events.status).toHaveLength(statusEvents);
    // No RESET, no settings, no STACK: the driver only went on asking.
    expect(new Set(rig.received.slice(from).map((r) => r.kind))).toEqual(new Set(['statusRequest']));
    expect(rig.events.escrow).toEqual([]);
    expect(rig.events.credited).toEqual([]);
    expect(rig.ledger()).toEqual([]);
    expect(rig.model().status).toBe('idling');

    // Back to normal idling: acceptance is still on and a note is credited once.
    expect(await insertAndSettle(rig, { denomination: 1000 })).toBe('credited');
    expect(rig.host.creditedDenominations()).toEqual([1000]);

    // A later burst of another code is a new entry, reported again.
    rig.control({ action: 'status.unknown', code: 0xe7, count: 2 });
    await throughUnknownAnswers(rig, 6);
    expect(rig.events.unknownStatus).toEqual([
      { deviceCode: 0x5a, data: '' },
      { deviceCode: 0xe7, data: '' },
    ]);
    expect(rig.acceptor.driver.status).toEqual({ state: 'online' });
    expect(rig.events.credited.map((c) => c.denomination)).toEqual([1000]);
    expect(rig.host.anomalies).toEqual([]);
  });

  it('never stacks a note the unit held in escrow while it answered unknown codes; the unit returns it', async () => {
    // The unit's escrow timeout (400 ms) runs out well inside 15 unknown answers (~1.5 s of polls).
    const rig = await rigWith({ timing: { escrowTimeoutMs: 400 } });
    await startAndEnable(rig);
    const from = rig.received.length;

    rig.control({ action: 'status.unknown', code: 0x5a, count: 15 });
    const { noteId } = rig.control({ action: 'note.insert', denomination: 5000 }) as { noteId: string };
    await throughUnknownAnswers(rig, 15);

    const notes = rig.model()['notes'] as Array<{ noteId: string; outcome: string }>;
    expect(notes).toEqual([expect.objectContaining({ noteId, outcome: 'returned' })]);
    expect(rig.events.unknownStatus).toEqual([{ deviceCode: 0x5a, data: '' }]);
    expect(rig.host.decisions).toEqual([]);
    expect(rig.events.escrow).toEqual([]);
    expect(rig.events.credited).toEqual([]);
    expect(rig.host.creditedDenominations()).toEqual([]);
    expect(rig.ledger()).toEqual([]);
    expect(rig.received.slice(from).filter((r) => r.kind !== 'statusRequest')).toEqual([]);
    expect(rig.acceptor.driver.status).toEqual({ state: 'online' });

    expect(await insertAndSettle(rig, { denomination: 2000 })).toBe('credited');
    expect(rig.host.creditedDenominations()).toEqual([2000]);
    expect(rig.ledger().map((e) => e.denomination)).toEqual([2000]);
  });

  it('treats escrow seen again after unknown codes as the same note: one escrow, one STACK, one credit', async () => {
    const rig = await rigWith({ timing: { escrowTimeoutMs: 5_000 } });
    await startAndEnable(rig);
    let release = (): void => {};
    rig.host.decisionGate = new Promise<void>((resolve) => {
      release = resolve;
    });
    rig.control({ action: 'note.insert', denomination: 5000 });
    await waitUntil('the driver to see the note in escrow', () => rig.events.escrow.length === 1);

    rig.control({ action: 'status.unknown', code: 0x5a, count: 3 });
    await throughUnknownAnswers(rig, 3);
    expect(rig.events.unknownStatus).toEqual([{ deviceCode: 0x5a, data: '' }]);
    expect(rig.model().status).toBe('escrow:0x65');

    rig.host.decisionGate = undefined;
    release();
    await waitUntil(
      'the note to be credited and the unit idle',
      () => rig.events.credited.length === 1 && rig.model().status === 'idling',
    );
    expect(rig.events.escrow).toHaveLength(1);
    expect(rig.host.decisions).toHaveLength(1);
    expect(rig.received.filter((r) => r.kind === 'stack2')).toHaveLength(1);
    expect(rig.events.credited).toEqual([expect.objectContaining({ source: 'credit', denomination: 5000 })]);
    expect(rig.ledger().map((e) => e.denomination)).toEqual([5000]);
    expect(rig.host.creditedDenominations()).toEqual([5000]);
    expect(rig.host.anomalies).toEqual([]);
  });
});
