import { describe, expect, it } from 'vitest';
import type { DeviceStatus } from '../../../../devices/device-status.js';
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

interface FaultCase {
  name: string;
  fault: Record<string, unknown>;
  status: DeviceStatus;
  /** The events the fault must raise, and how many of each. */
  events: Partial<Record<'jam' | 'cashboxFull' | 'cashboxRemoved' | 'cheat', unknown[]>>;
  /** How staff clear it; the acceptor is online again afterwards. */
  clear?: (rig: Id003Rig) => Promise<void> | void;
  clearedEvents?: Partial<Record<'cashboxReplaced', unknown[]>>;
}

const FAULTS: FaultCase[] = [
  {
    name: 'jam in the acceptor',
    fault: { action: 'jam', where: 'acceptor' },
    status: { state: 'hardwareError', action: 'clear', reason: 'jamInAcceptor' },
    events: { jam: [{ where: 'acceptor' }] },
    clear: (rig) => void rig.control({ action: 'jam.clear' }),
  },
  {
    name: 'jam in the stacker',
    fault: { action: 'jam', where: 'stacker' },
    status: { state: 'hardwareError', action: 'maintenance', reason: 'jamInStacker' },
    events: { jam: [{ where: 'stacker' }] },
    clear: (rig) => void rig.control({ action: 'jam.clear' }),
  },
  {
    name: 'stacker full',
    fault: { action: 'stacker.full' },
    status: { state: 'hardwareError', action: 'clear', reason: 'stackerFull' },
    events: { cashboxFull: [null] },
    clear: (rig) => {
      rig.control({ action: 'cashbox.remove' });
      rig.control({ action: 'cashbox.replace', emptied: true });
    },
  },
  {
    name: 'cashbox removed and put back',
    fault: { action: 'cashbox.remove' },
    status: { state: 'hardwareError', action: 'clear', reason: 'cashboxRemoved' },
    events: { cashboxRemoved: [null] },
    clear: (rig) => void rig.control({ action: 'cashbox.replace' }),
    clearedEvents: { cashboxReplaced: [null] },
  },
  {
    name: 'cheat',
    fault: { action: 'cheat' },
    status: { state: 'fraudAttempt', action: 'reset', reason: 'cheated' },
    events: { cheat: [null] },
    clear: (rig) => rig.acceptor.driver.reset(),
  },
  {
    name: 'failure of the stack motor',
    fault: { action: 'failure', code: 0xa2 },
    status: { state: 'hardwareError', action: 'maintenance', reason: 'stackMotor' },
    events: {},
  },
];

describe.each(ID003_RIG_CASES)(
  'ID-003 driver fault reporting ($variant, unit answers host ACK: $answersHostAck)',
  (rigCase) => {
    it('surfaces the reject reason of a counterfeit note and stays online', async () => {
      // REJECTING must outlast a poll interval to be seen at all, as on a real unit (~800 ms).
      const rig = await startId003Rig({ ...rigCase, model: { timing: { rejectingMs: 300 } } });
      rigs.push(rig);
      await startAndEnable(rig);
      expect(await insertAndSettle(rig, { kind: 'counterfeit', rejectReason: 0x7f })).toBe('rejected');
      expect(rig.events.rejected).toEqual([{ reason: 'counterfeit', deviceCode: 0x7f }]);
      expect(await insertAndSettle(rig, { kind: 'damaged', rejectReason: 0x77 })).toBe('rejected');
      expect(rig.events.rejected[1]).toEqual({ reason: 'photoPattern', deviceCode: 0x77 });
      expect(rig.events.escrow).toEqual([]);
      expect(rig.events.credited).toEqual([]);
      expect(rig.acceptor.driver.status).toEqual({ state: 'online' });
      expect(rig.events.status.map((s) => s.state)).toEqual(['online']);
    });

    it.each(FAULTS)('reports $name with the right status, action and events', async (c) => {
      const rig = await startId003Rig(rigCase);
      rigs.push(rig);
      await startAndEnable(rig);
      rig.control(c.fault);
      await waitUntil(`status ${JSON.stringify(c.status)}`, () => rig.events.status.length > 1);
      expect(rig.acceptor.driver.status).toEqual(c.status);
      expect(rig.events.status.at(-1)).toEqual(c.status);
      // A repeated status on every poll raises its event once.
      await new Promise((resolve) => setTimeout(resolve, 350));
      for (const [event, expected] of Object.entries(c.events)) {
        expect(rig.events[event as keyof typeof c.events]).toEqual(expected);
      }
      expect(rig.events.status).toHaveLength(2);
      if (!c.clear) return;
      await c.clear(rig);
      await waitUntil('the acceptor back online', () => rig.acceptor.driver.status.state === 'online');
      for (const [event, expected] of Object.entries(c.clearedEvents ?? {})) {
        expect(rig.events[event as 'cashboxReplaced']).toEqual(expected);
      }
      // Back in service: the enable state survived, and a note goes through.
      expect(await insertAndSettle(rig, { denomination: 2000 })).toBe('credited');
      expect(rig.host.creditedDenominations()).toEqual([2000]);
    });
  },
);
