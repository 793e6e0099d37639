import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../core/errors.js';
import { FleetLink } from '../../src/fleet-link/fleet-link.js';
import { KioskStatusBoard } from '../../src/fleet-link/kiosk-status-board.js';
import { statusBoardCommandHandlers } from '../../src/fleet-link/status-board-commands.js';
import { serviceEventPayloadSchema } from '../../src/fleet-protocol/index.js';
import { silentLogger } from '../../src/log.js';
import { forwardServiceEvents } from '../../src/service-mode/service-events-to-fleet.js';
import {
  FleetObserver,
  KIOSK_ID,
  linkConfig,
  onCleanup,
  openJournal,
  startTestBroker,
  tempDir,
} from '../fleet-link/fleet-link-rig.js';
import { GOOD_PASSWORD, password, serviceFixture } from './service-fixtures.js';

describe('service-mode actions on the fleet link', () => {
  it('publishes each action with the technician id on kiosk/v1/{id}/event, QoS 1, valid by the zod schema', async () => {
    const broker = await startTestBroker();
    const dir = tempDir();
    const journal = openJournal(dir);
    const board = new KioskStatusBoard({ mode: 'inService' });
    const fleet = await FleetObserver.connect(broker.url);
    const link = new FleetLink({
      config: linkConfig({ dataDir: dir, brokerUrl: broker.url }),
      journal,
      context: board,
      commands: statusBoardCommandHandlers(board, journal),
      logger: silentLogger(),
    });
    link.start();
    onCleanup(() => link.stop());
    await link.waitForConnection(5000);

    const fixture = await serviceFixture();
    onCleanup(() => fixture.close());
    const detach = forwardServiceEvents(fixture.service, link, silentLogger());
    onCleanup(detach);
    const console = Symbol('console');
    await fixture.service.login('t-001', password(GOOD_PASSWORD), console, 'test');
    await fixture.service.run(console, 'mode', ['outOfService']);
    await expect(fixture.service.run(console, 'reset', ['toaster'])).rejects.toMatchObject({
      code: 'badArgs',
    });
    fixture.service.end(console, 'exit');

    const events = await fleet.waitFor('four service events', () => {
      const received = fleet.on('event');
      return received.length >= 4 ? received : undefined;
    });
    const payloads = events.map((event) => {
      expect(event.qos).toBe(1);
      expect(event.retain).toBe(false);
      return serviceEventPayloadSchema.parse(event.json);
    });
    expect(payloads.map((p) => [p.technician, p.action, p.outcome])).toEqual([
      ['t-001', 'service.enter', 'ok'],
      ['t-001', 'mode', 'ok'],
      ['t-001', 'reset', 'refused'],
      ['t-001', 'service.exit', 'ok'],
    ]);
    expect(payloads.every((p) => p.kioskId === KIOSK_ID && p.kind === 'service')).toBe(true);
    expect(payloads[2]!.error).toContain('unknown device "toaster"');
    expect(JSON.stringify(payloads)).not.toContain(GOOD_PASSWORD);

    expect(() =>
      link.publishServiceEvent({
        ts: new Date().toISOString(),
        technician: 'bad id!',
        action: 'x',
        args: [],
        outcome: 'ok',
      }),
    ).toThrow(expect.objectContaining({ code: ErrorCode.FleetBadPayload, details: { field: 'technician' } }));
  });
});
