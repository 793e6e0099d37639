import { describe, expect, it } from 'vitest';
import {
  CNY_NOTES,
  closeRigsAfterEach,
  ID003_RIG_CASES,
  insertAndSettle,
  startAndEnable,
  startId003Rig,
  waitUntil,
} from '../../../helpers/id003-rig.js';

const rigs = closeRigsAfterEach();

describe.each(ID003_RIG_CASES)(
  'ID-003 driver when the line goes away ($variant, unit answers host ACK: $answersHostAck)',
  (rigCase) => {
    it('goes offline on unplug, re-initialises on replug and restores the enable state', async () => {
      // REJECTING must outlast a poll to be seen, as on a real unit.
      const rig = await startId003Rig({ ...rigCase, model: { timing: { rejectingMs: 300 } } });
      rigs.push(rig);
      await startAndEnable(rig, [1000, 2000]);
      expect(await insertAndSettle(rig, { denomination: 1000 })).toBe('credited');
      const settingsBefore = rig.received.filter((r) => r.kind === 'setEnable').length;

      await rig.unplug();
      await waitUntil('the driver to report offline', () => rig.acceptor.driver.status.state === 'offline');
      await expect(rig.acceptor.driver.enable([1000])).rejects.toMatchObject({ code: 3004 });
      // The driver cannot know what happened to the unit while the line was gone: it must put back
      // the settings the host wanted (the enable mask from before; the refused enable() changed nothing).
      await rig.plug();
      await waitUntil(
        'the driver to come back online',
        () => rig.acceptor.driver.status.state === 'online',
        10_000,
      );
      // "online" comes with the first status answer; the settings follow it. On the pty the unit
      // itself never lost power (only the cable went), so it idles all along: wait for the
      // settings to reach it, not for a state it never left.
      await waitUntil(
        'the enable settings sent again',
        () => rig.received.filter((r) => r.kind === 'setEnable').length > settingsBefore,
        5_000,
      );
      await waitUntil('acceptance to be restored', () => rig.model().status === 'idling', 5_000);
      expect(rig.received.filter((r) => r.kind === 'reset')).toHaveLength(1);
      // While socat is down its link path is gone: a reopen that falls in that gap (a loaded
      // machine makes it likelier) reports noDevice (ENOENT), as a pulled USB adapter would.
      const states = rig.events.status.map((s) => s.state);
      expect(states.filter((s) => s !== 'noDevice')).toEqual(['online', 'offline', 'starting', 'online']);
      const gap = states.slice(states.indexOf('offline') + 1, states.indexOf('starting'));
      expect(gap.every((s) => s === 'noDevice')).toBe(true);
      expect(rig.events.status.filter((s) => s.state === 'noDevice').map((s) => s.reason)).toEqual(
        gap.map(() => 'ENOENT'),
      );

      expect(await insertAndSettle(rig, { denomination: 2000 })).toBe('credited');
      expect(rig.host.creditedDenominations()).toEqual([1000, 2000]);
      expect(rig.ledger().map((e) => e.denomination)).toEqual([1000, 2000]);
      // The mask from before the unplug still holds: 5 yuan stays refused.
      expect(await insertAndSettle(rig, { denomination: 500 })).toBe('rejected');
    });

    it('a command while offline is refused at once', async () => {
      const rig = await startId003Rig(rigCase);
      rigs.push(rig);
      await startAndEnable(rig);
      await rig.unplug();
      await waitUntil('the driver to report offline', () => rig.acceptor.driver.status.state === 'offline');
      const started = performance.now();
      for (const command of [
        () => rig.acceptor.driver.stack(),
        () => rig.acceptor.driver.readIdentity(),
        () => rig.acceptor.driver.disable(),
      ]) {
        await expect(command()).rejects.toMatchObject({ code: 3004 });
      }
      expect(performance.now() - started).toBeLessThan(50);
    });
  },
);

describe('ID-003 driver on a line corrupting 1 % of frames (inProcess)', () => {
  it('credits each of 1,000 notes exactly once or returns it, and the journal matches the cashbox', async () => {
    const rig = await startId003Rig({
      variant: 'inProcess',
      wireTime: false,
      seed: 20_240_601,
      model: {
        capacity: 100_000,
        timing: {
          answerDelayMs: 0,
          acceptingMs: 2,
          stackingMs: 4,
          stackedMs: 1,
          rejectingMs: 2,
          returningMs: 2,
        },
      },
      // Fast polling compresses time; the answer timeout stays above the unit's 100 ms
      // inter-byte timeout, as in production, so a retry is never glued onto a stale half frame
      // the unit still holds (which would replay an old STACK against the next note).
      driver: { pollIntervalMs: 2, answerTimeoutMs: 120, retries: 3 },
    });
    rigs.push(rig);
    await startAndEnable(rig);
    rig.control({ action: 'line.set', corruptRate: 0.01 });
    const outcomes = { credited: 0, returned: 0, rejected: 0 };
    for (let i = 0; i < 1000; i++) {
      outcomes[await insertAndSettle(rig, { denomination: CNY_NOTES[i % CNY_NOTES.length]! }, 5_000)]++;
    }
    await waitUntil(
      'the last note to finish',
      () => rig.model().note === null && rig.model().status === 'idling',
    );
    rig.control({ action: 'line.set', corruptRate: 0 });
    const line = rig.sim.snapshot().line;
    expect(line.corruptedChunks).toBeGreaterThan(50);
    expect(outcomes.credited + outcomes.returned + outcomes.rejected).toBe(1000);
    expect(outcomes.credited).toBeGreaterThan(900);

    const ledger = rig
      .ledger()
      .map((e) => e.denomination)
      .sort((a, b) => a - b);
    expect(ledger).toHaveLength(outcomes.credited);
    expect(rig.host.creditedDenominations()).toEqual(ledger);
    expect(rig.host.creditCalls).toBe(outcomes.credited);
    expect(rig.events.credited).toHaveLength(outcomes.credited);
    // Every note the driver saw and did not credit was reported back to the host.
    expect(rig.events.returned.length).toBeLessThanOrEqual(outcomes.returned);
    expect(rig.host.anomalies).toEqual([]);
    expect(rig.host.pendingIntents()).toBe(0);
    expect(rig.journal.orphans.list()).toEqual([]);
  }, 60_000);
});
