import { describe, expect, it } from 'vitest';
import {
  closeRigsAfterEach,
  type Id003Rig,
  type Id003Variant,
  startAndEnable,
  startId003Rig,
  waitUntil,
} from '../../../helpers/id003-rig.js';

const rigs = closeRigsAfterEach();

async function rigFor(variant: Id003Variant): Promise<Id003Rig> {
  const rig = await startId003Rig({ variant });
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

describe.each<Id003Variant>(['inProcess', 'pty'])(
  'ID-003 driver acknowledges VEND VALID only after the credit (%s)',
  (variant) => {
    it('sends no ACK while commitCredit is pending, and one right after it resolves', async () => {
      const rig = await rigFor(variant);
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
      const rig = await rigFor(variant);
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

    it('does not ACK when the commit fails, and commits on a later VEND VALID', async () => {
      const rig = await rigFor(variant);
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
