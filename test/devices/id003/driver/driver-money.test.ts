import { describe, expect, it } from 'vitest';
import {
  CNY_NOTES,
  closeRigsAfterEach,
  ID003_RIG_CASES,
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
) {
  const rig = await startId003Rig({ ...rigCase, ...options });
  rigs.push(rig);
  return rig;
}

describe.each(ID003_RIG_CASES)(
  'ID-003 driver money rules ($variant, unit answers host ACK: $answersHostAck)',
  (rigCase) => {
    it('starts the unit from power-up, sends its settings and reaches online', async () => {
      const rig = await rigFor(rigCase);
      await rig.acceptor.start();
      expect(rig.acceptor.driver.status).toEqual({ state: 'online' });
      expect(rig.events.identity[0]?.firmware).toContain('JCM ID-003 SIM');
      expect(rig.model().status).toBe('disabled');
      await rig.acceptor.driver.enable(CNY_NOTES);
      expect(rig.model().status).toBe('idling');
      expect(rig.events.status.map((s) => s.state)).toEqual(['online']);
    });

    it('accepts and credits each denomination once, matching the cashbox ledger', async () => {
      const rig = await rigFor(rigCase);
      await startAndEnable(rig);
      for (const denomination of CNY_NOTES) {
        expect(await insertAndSettle(rig, { denomination })).toBe('credited');
      }
      expect(rig.events.credited.map((c) => c.denomination)).toEqual([...CNY_NOTES]);
      expect(rig.events.credited.every((c) => c.source === 'credit' && typeof c.noteId === 'string')).toBe(
        true,
      );
      expect(rig.host.creditedDenominations()).toEqual([...CNY_NOTES]);
      expect(rig.ledger().map((e) => e.denomination)).toEqual([...CNY_NOTES]);
      expect(rig.host.anomalies).toEqual([]);
      expect(rig.host.pendingIntents()).toBe(0);
    });

    it('returns a note above the limit without crediting or journaling it', async () => {
      const rig = await rigFor(rigCase, { maxNote: 5000 });
      await startAndEnable(rig);
      expect(await insertAndSettle(rig, { denomination: 10_000 })).toBe('returned');
      await waitUntil('the note to be handed back', () => rig.model().note === null);
      expect(rig.events.credited).toEqual([]);
      expect(rig.ledger()).toEqual([]);
      expect(rig.host.creditedDenominations()).toEqual([]);
      expect(rig.host.pendingIntents()).toBe(0);
      expect(rig.host.decisions.map((d) => d.decision.action)).toEqual(['return']);
    });
  },
);
