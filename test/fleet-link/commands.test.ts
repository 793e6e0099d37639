import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { startFleetLink } from '../../src/fleet-link/start-fleet-link.js';
import {
  type CommandResult,
  commandResultSchema,
  type UnsignedCommand,
} from '../../src/fleet-protocol/index.js';
import { silentLogger } from '../../src/log.js';
import {
  type FleetObserver as Fleet,
  FleetObserver,
  fleetSigner,
  KIOSK_ID,
  linkConfig,
  onCleanup,
  openJournal,
  startTestBroker,
  tempDir,
} from './fleet-link-rig.js';

const MINUTE = 60_000;

function unsigned(
  action: string,
  args: Record<string, unknown> = {},
  fields: Partial<UnsignedCommand> = {},
): UnsignedCommand {
  const now = Date.now();
  return {
    cmdId: `cmd-${randomBytes(8).toString('hex')}`,
    kioskId: KIOSK_ID,
    action,
    args,
    issuedAt: new Date(now - 1000).toISOString(),
    expiresAt: new Date(now + MINUTE).toISOString(),
    ...fields,
  };
}

async function rig() {
  const broker = await startTestBroker();
  const dir = tempDir();
  const journal = openJournal(dir);
  const signer = fleetSigner();
  const fleet = await FleetObserver.connect(broker.url);
  const config = linkConfig({
    dataDir: dir,
    brokerUrl: broker.url,
    publicKeyPem: signer.publicKeyPem,
    fleet: { commands: { maxPayloadBytes: 2048 } },
  });
  const { link, board } = startFleetLink({ config, journal, logger: silentLogger() });
  onCleanup(() => link.stop());
  await link.waitForConnection(5000);
  let results = 0;
  /** The next result on cmd/result (results are answered in order of arrival here). */
  const nextResult = async (): Promise<CommandResult> => {
    const index = results++;
    const message = await fleet.waitFor(`result #${index + 1}`, () => fleet.on('cmd/result')[index]);
    return commandResultSchema.parse(message.json);
  };
  const audits = (cmdId: string | null) =>
    journal.audit
      .tail(100)
      .filter(
        (e) =>
          e.actor === 'fleet' && e.action.startsWith('command.') && (e.details['cmdId'] ?? null) === cmdId,
      )
      .map((e) => ({ action: e.action, reason: e.details['reason'] }));
  /** After any rejection the link must still run a good command. */
  const stillWorks = async () => {
    const good = signer.sign(unsigned('status'));
    await fleet.publish('cmd', good);
    const result = await nextResult();
    expect(result).toMatchObject({ cmdId: good.cmdId, status: 'ok' });
    expect(link.connected).toBe(true);
  };
  return { fleet, journal, signer, link, board, nextResult, audits, stillWorks };
}

async function expectRejected(
  r: Awaited<ReturnType<typeof rig>>,
  send: (fleet: Fleet) => Promise<unknown>,
  reason: string,
  cmdId: string | null,
): Promise<void> {
  await send(r.fleet);
  const result = await r.nextResult();
  expect(result).toMatchObject({ kioskId: KIOSK_ID, cmdId, status: 'rejected', error: { reason } });
  expect(result.result).toBeUndefined();
  if (UNAUTHENTICATED.has(reason)) {
    // Anyone could have sent it: counted (and audited per window), not one row each.
    expect(r.link.refusalCounts().get(`command:${reason}`)).toBe(1);
    expect(r.audits(cmdId)).toEqual([]);
  } else {
    expect(r.audits(cmdId)).toContainEqual({ action: 'command.rejected', reason });
  }
  await r.stillWorks();
}

/** Refusals of commands no configured key signed. */
const UNAUTHENTICATED = new Set(['malformed', 'oversized', 'unsigned', 'badSignature']);

describe('fleet link commands', () => {
  it('runs a valid signed command and answers ok with its result, audited as accepted and ok', async () => {
    const r = await rig();
    const command = r.signer.sign(unsigned('setMode', { mode: 'outOfService' }));
    await r.fleet.publish('cmd', command);
    const result = await r.nextResult();
    expect(result).toMatchObject({ cmdId: command.cmdId, status: 'ok', result: { mode: 'outOfService' } });
    expect(r.board?.mode()).toBe('outOfService');
    expect(r.audits(command.cmdId)).toEqual([
      { action: 'command.accepted', reason: undefined },
      { action: 'command.ok', reason: undefined },
    ]);
    const status = r.signer.sign(unsigned('status'));
    await r.fleet.publish('cmd', status);
    expect((await r.nextResult()).result).toMatchObject({ state: 'online', mode: 'outOfService', epoch: 1 });
  });

  it('rejects an unsigned command as unsigned', async () => {
    const r = await rig();
    const command = unsigned('status');
    await expectRejected(r, (fleet) => fleet.publish('cmd', command), 'unsigned', command.cmdId);
  });

  it('rejects a command signed with a key the kiosk does not trust as badSignature', async () => {
    const r = await rig();
    const command = fleetSigner().sign(unsigned('status'));
    await expectRejected(r, (fleet) => fleet.publish('cmd', command), 'badSignature', command.cmdId);
  });

  it('rejects a command altered after signing as badSignature', async () => {
    const r = await rig();
    const command = {
      ...r.signer.sign(unsigned('setMode', { mode: 'inService' })),
      args: { mode: 'outOfService' },
    };
    await expectRejected(r, (fleet) => fleet.publish('cmd', command), 'badSignature', command.cmdId);
    expect(r.board?.mode()).toBe('inService');
  });

  it('rejects an expired command as expired', async () => {
    const r = await rig();
    const past = Date.now() - 10 * MINUTE;
    const command = r.signer.sign(
      unsigned(
        'status',
        {},
        { issuedAt: new Date(past).toISOString(), expiresAt: new Date(past + MINUTE).toISOString() },
      ),
    );
    await expectRejected(r, (fleet) => fleet.publish('cmd', command), 'expired', command.cmdId);
  });

  it('rejects a command issued beyond the allowed clock skew as notYetValid', async () => {
    const r = await rig();
    const future = Date.now() + 10 * MINUTE;
    const command = r.signer.sign(
      unsigned(
        'status',
        {},
        { issuedAt: new Date(future).toISOString(), expiresAt: new Date(future + MINUTE).toISOString() },
      ),
    );
    await expectRejected(r, (fleet) => fleet.publish('cmd', command), 'notYetValid', command.cmdId);
  });

  it('rejects a replayed command as replayed and does not run it twice', async () => {
    const r = await rig();
    const command = r.signer.sign(unsigned('setMode', { mode: 'outOfService' }));
    await r.fleet.publish('cmd', command);
    expect(await r.nextResult()).toMatchObject({ cmdId: command.cmdId, status: 'ok' });
    r.board?.setMode('inService');
    await expectRejected(r, (fleet) => fleet.publish('cmd', command), 'replayed', command.cmdId);
    expect(r.board?.mode()).toBe('inService');
  });

  it('rejects a command addressed to another kiosk as wrongKiosk', async () => {
    const r = await rig();
    const command = r.signer.sign(unsigned('status', {}, { kioskId: 'K-0002' }));
    await expectRejected(r, (fleet) => fleet.publish('cmd', command), 'wrongKiosk', command.cmdId);
  });

  it('rejects an action off the allowlist as unknownAction', async () => {
    const r = await rig();
    const command = r.signer.sign(unsigned('openCashbox'));
    await expectRejected(r, (fleet) => fleet.publish('cmd', command), 'unknownAction', command.cmdId);
  });

  it('rejects arguments that fail the action schema as badArgs', async () => {
    const r = await rig();
    const command = r.signer.sign(unsigned('setMode', { mode: 'party' }));
    await expectRejected(r, (fleet) => fleet.publish('cmd', command), 'badArgs', command.cmdId);
    expect(r.board?.mode()).toBe('inService');
  });

  it('drops an oversized payload unread as oversized, with a null cmdId', async () => {
    const r = await rig();
    const command = r.signer.sign(unsigned('status', { padding: 'x'.repeat(4096) }));
    await expectRejected(r, (fleet) => fleet.publish('cmd', command), 'oversized', null);
  });

  it('drops a payload that is not JSON as malformed, with a null cmdId', async () => {
    const r = await rig();
    await expectRejected(r, (fleet) => fleet.publish('cmd', '{"cmdId": "abc'), 'malformed', null);
  });

  it('answers failed when the action itself fails, audited as failed', async () => {
    const r = await rig();
    const command = r.signer.sign(unsigned('resetDevice', { device: 'printer' }));
    await r.fleet.publish('cmd', command);
    const result = await r.nextResult();
    expect(result).toMatchObject({ cmdId: command.cmdId, status: 'failed', error: { reason: 'error3004' } });
    expect(r.audits(command.cmdId).map((a) => a.action)).toEqual(['command.accepted', 'command.failed']);
    await r.stillWorks();
  });
});
