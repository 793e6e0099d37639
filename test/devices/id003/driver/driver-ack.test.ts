import { describe, expect, it } from 'vitest';
import {
  closeRigsAfterEach,
  ID003_RIG_CASES,
  type Id003Rig,
  type Id003RigCase,
  insertAndSettle,
  startAndEnable,
  startId003Rig,
  waitUntil,
} from '../../../helpers/id003-rig.js';

const rigs = closeRigsAfterEach();

async function rigFor(
  rigCase: Id003RigCase,
  options: Omit<Parameters<typeof startId003Rig>[0], keyof Id003RigCase> = {},
): Promise<Id003Rig> {
  const rig = await startId003Rig({ ...rigCase, ...options });
  rigs.push(rig);
  await startAndEnable(rig);
  return rig;
}

function gate(rig: Id003Rig): () => void {
  let release!: () => void;
  rig.host.creditGate = new Promise<void>((resolve) => {
    release = resolve;
  });
  return () => {
    rig.host.creditGate = undefined;
    release();
  };
}

const acksReceived = (rig: Id003Rig): number => rig.received.filter((r) => r.kind === 'ack').length;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(ID003_RIG_CASES)(
  'ID-003 driver acknowledges VEND VALID only after the credit ($variant, unit answers host ACK: $answersHostAck)',
  (rigCase) => {
    it('sends no ACK while commitCredit is pending, and one right after it resolves', async () => {
      const rig = await rigFor(rigCase);
      const release = gate(rig);
      rig.control({ action: 'note.insert', denomination: 1000 });
      await waitUntil('the credit hook to be called', () => rig.host.creditCalls === 1);
      // Several polls go by, each answered VEND VALID; the commit is still in flight.
      await sleep(450);
      expect(rig.model().phase).toBe('vendValid');
      expect(acksReceived(rig)).toBe(0);
      const vendValidPolls = rig.received.filter(
        (r) => r.kind === 'statusRequest' && r.phase === 'vendValid',
      ).length;
      expect(vendValidPolls).toBeGreaterThanOrEqual(3);
      expect(rig.host.creditCalls).toBe(1);
      expect(rig.events.credited).toEqual([]);

      release();
      await waitUntil('the ACK to reach the unit', () => acksReceived(rig) === 1);
      expect(rig.received.find((r) => r.kind === 'ack')?.phase).toBe('vendValid');
      await waitUntil('the unit to idle', () => rig.model().status === 'idling');
      expect(rig.events.credited).toHaveLength(1);
      expect(rig.host.creditCalls).toBe(1);
      expect(rig.host.creditedDenominations()).toEqual([1000]);
      expect(rig.ledger().map((e) => e.denomination)).toEqual([1000]);
    });

    it('ACKs a VEND VALID repeated after a lost ACK again, without a second credit', async () => {
      const rig = await rigFor(rigCase);
      const release = gate(rig);
      rig.control({ action: 'note.insert', denomination: 500 });
      await waitUntil('the credit hook to be called', () => rig.host.creditCalls === 1);
      // Every chunk on the line is lost: the ACK that follows the commit never reaches the unit.
      rig.control({ action: 'line.set', dropRate: 1 });
      release();
      await waitUntil('the credit to be committed', () => rig.events.credited.length === 1);
      await sleep(300);
      expect(rig.model().phase).toBe('vendValid');
      rig.control({ action: 'line.set', dropRate: 0 });
      await waitUntil('the unit to idle', () => rig.model().status === 'idling', 10_000);
      expect(acksReceived(rig)).toBeGreaterThanOrEqual(1);
      expect(
        rig.received.filter((r) => r.kind === 'statusRequest' && r.phase === 'vendValid').length,
      ).toBeGreaterThanOrEqual(1);
      expect(rig.host.creditCalls).toBe(1);
      expect(rig.events.credited).toHaveLength(1);
      expect(rig.host.creditedDenominations()).toEqual([500]);
      expect(rig.ledger().map((e) => e.denomination)).toEqual([500]);
    });

    it('goes on polling after the ACK of VEND VALID and takes the next note at once', async () => {
      // The production timing: a driver waiting for an answer to its ACK would stall 4 × 300 ms.
      const rig = await rigFor(rigCase, { driver: { answerTimeoutMs: 300, retries: 3 } });
      expect(await insertAndSettle(rig, { denomination: 1000 })).toBe('credited');
      // The next customer's note as soon as the unit takes one; the fast unit gives it back
      // after 200 ms in escrow, so a driver not polling then loses it.
      expect(await insertAndSettle(rig, { denomination: 500 }, 10_000)).toBe('credited');
      // The credit event comes before the ACK is written; the ACK (and a unit's answer to it)
      // cross the line after it.
      const expectedAnswers = rigCase.answersHostAck ? 2 : 0;
      await waitUntil(
        'the second ACK to reach the unit and any answer to come back',
        () =>
          acksReceived(rig) === 2 &&
          rig.model().status === 'idling' &&
          rig.acceptor.driver.counters.hostAckAnswers === expectedAnswers,
      );
      const counters = rig.acceptor.driver.counters;
      expect(acksReceived(rig)).toBe(2);
      const firstAck = rig.received.findIndex((r) => r.kind === 'ack');
      // Confirmed by the next status, not by an answer: a status request follows, not a resend.
      expect(rig.received[firstAck + 1]?.kind).toBe('statusRequest');
      expect(counters.retries).toBe(0);
      expect(counters.failures).toBe(0);
      // An answer to the ACK, from a unit that sends one, is taken and dropped, never taken
      // for a status.
      expect(counters.hostAckAnswers).toBe(expectedAnswers);
      expect(counters.unsolicited).toBe(0);
      expect(rig.host.creditedDenominations()).toEqual([500, 1000]);
      expect(rig.ledger().map((e) => e.denomination)).toEqual([1000, 500]);
    });

    it('does not ACK when the commit fails, and commits on a later VEND VALID', async () => {
      const rig = await rigFor(rigCase);
      rig.host.failCommits = 2;
      rig.control({ action: 'note.insert', denomination: 2000 });
      await waitUntil('the credit', () => rig.events.credited.length === 1, 5_000);
      expect(rig.host.creditCalls).toBe(3);
      await waitUntil('the unit to idle', () => rig.model().status === 'idling');
      // Only the commit that worked was acknowledged.
      expect(acksReceived(rig)).toBe(1);
      expect(rig.host.creditedDenominations()).toEqual([2000]);
      expect(rig.ledger().map((e) => e.denomination)).toEqual([2000]);
    });
  },
);
