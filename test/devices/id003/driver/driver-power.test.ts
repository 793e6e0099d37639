import { describe, expect, it } from 'vitest';
import {
  closeRigsAfterEach,
  ID003_RIG_CASES,
  type Id003Rig,
  insertAndSettle,
  startAndEnable,
  startId003Rig,
  waitUntil,
} from '../../../helpers/id003-rig.js';

const rigs = closeRigsAfterEach();

/** Arms a power cut, inserts a note, and powers the unit back on once the driver has lost it. */
async function cutWithNoteAt(rig: Id003Rig, phase: string, denomination: number): Promise<void> {
  rig.control({ action: 'power.cutAt', phase });
  rig.control({ action: 'note.insert', denomination });
  await waitUntil(`the power cut at ${phase}`, () => rig.model().phase === 'off');
  await waitUntil('the driver to notice', () => rig.acceptor.driver.status.state === 'offline');
  rig.control({ action: 'power.on' });
  await waitUntil('the acceptor to be back in service', () => rig.model().status === 'idling', 10_000);
}

describe.each(ID003_RIG_CASES)(
  'ID-003 driver across power cuts ($variant, unit answers host ACK: $answersHostAck)',
  (rigCase) => {
    it('note in the acceptor at power-up: RESET hands it back, nothing is credited', async () => {
      const rig = await startId003Rig(rigCase);
      rigs.push(rig);
      await startAndEnable(rig);
      await cutWithNoteAt(rig, 'escrow', 5000);
      expect(rig.events.powerUpWithNote).toEqual([{ where: 'acceptor' }]);
      expect(rig.events.returned).toHaveLength(1);
      expect(rig.events.credited).toEqual([]);
      expect(rig.host.creditCalls).toBe(0);
      expect(rig.ledger()).toEqual([]);
      expect(rig.host.creditedDenominations()).toEqual([]);
      expect(rig.host.pendingIntents()).toBe(0);
      // The enable state came back with the unit.
      expect(await insertAndSettle(rig, { denomination: 100 })).toBe('credited');
      expect(rig.host.creditedDenominations()).toEqual([100]);
    });

    it('note in the stacker at power-up: credited once, from the persisted escrow intent', async () => {
      const rig = await startId003Rig(rigCase);
      rigs.push(rig);
      await startAndEnable(rig);
      await cutWithNoteAt(rig, 'stacking', 2000);
      expect(rig.events.powerUpWithNote).toEqual([{ where: 'stacker' }]);
      const intent = rig.host.decisions[0]?.decision;
      expect(intent?.action).toBe('stack');
      expect(rig.events.credited).toEqual([
        {
          source: 'powerUpInStacker',
          noteId: intent?.action === 'stack' ? intent.noteId : '',
          deviceCode: 0x64,
          denomination: 2000,
        },
      ]);
      expect(rig.host.creditCalls).toBe(1);
      expect(rig.ledger().map((e) => [e.denomination, e.via])).toEqual([[2000, 'powerUpStack']]);
      expect(rig.host.creditedDenominations()).toEqual([2000]);
      expect(rig.host.pendingIntents()).toBe(0);
      expect(rig.journal.orphans.list()).toEqual([]);
    });

    it('cut as VEND VALID is reported: the note went in and is credited once', async () => {
      const rig = await startId003Rig(rigCase);
      rigs.push(rig);
      await startAndEnable(rig);
      await cutWithNoteAt(rig, 'vendValid', 10_000);
      await waitUntil('the credit', () => rig.events.credited.length === 1);
      expect(rig.events.credited[0]).toMatchObject({ source: 'powerUpInStacker', denomination: 10_000 });
      expect(rig.host.creditCalls).toBe(1);
      expect(rig.ledger().map((e) => e.denomination)).toEqual([10_000]);
      expect(rig.host.creditedDenominations()).toEqual([10_000]);
      expect(rig.host.pendingIntents()).toBe(0);
      expect(rig.journal.orphans.list()).toEqual([]);
    });

    it('cut after VEND VALID was committed but before the ACK landed: still one credit', async () => {
      const rig = await startId003Rig(rigCase);
      rigs.push(rig);
      await startAndEnable(rig);
      let release!: () => void;
      rig.host.creditGate = new Promise<void>((resolve) => {
        release = resolve;
      });
      rig.control({ action: 'note.insert', denomination: 5000 });
      await waitUntil('the credit hook to be called', () => rig.host.creditCalls === 1);
      rig.control({ action: 'power.cut' });
      release();
      await waitUntil('the driver to notice', () => rig.acceptor.driver.status.state === 'offline');
      rig.control({ action: 'power.on' });
      await waitUntil('the acceptor to be back in service', () => rig.model().status === 'idling', 10_000);
      expect(rig.host.creditCalls).toBe(1);
      expect(rig.events.credited).toHaveLength(1);
      expect(rig.ledger().map((e) => e.denomination)).toEqual([5000]);
      expect(rig.host.creditedDenominations()).toEqual([5000]);
    });
  },
);
