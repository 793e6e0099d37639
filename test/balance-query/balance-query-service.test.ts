import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../core/errors.js';
import {
  BALANCE_FEN,
  type BalanceQueryRig,
  startBalanceQueryRig,
  TOKEN,
  waitFor,
} from './balance-query-rig.js';
import { ACCOUNTS } from './test-account-service.js';

const PIN = '246810';

describe('balance query service over a scripted pad and an HTTP account service', () => {
  let rig: BalanceQueryRig;
  beforeEach(async () => {
    rig = await startBalanceQueryRig();
  });
  afterEach(async () => {
    await rig.close();
  });

  const pinEntryRunning = () => waitFor(() => rig.pad.entry?.kind === 'pin', 'the pad to take the PIN');
  const ended = () =>
    waitFor(() => rig.service.current()?.state === 'ended' && rig.service.current(), 'the query to end');
  async function queryUpToPin(account: string) {
    rig.service.start('en');
    await waitFor(() => rig.pad.entry?.kind === 'data', 'the pad to take the account');
    expect(rig.service.enterAccount(account).state).toBe('enteringPin');
    await pinEntryRunning();
  }

  it('shows the balance for the configured time, counting digits from masked keys only', async () => {
    const started = rig.service.start('en');
    expect(started).toMatchObject({ state: 'enteringAccount', digitsEntered: 0, balanceFen: null });
    await waitFor(() => rig.pad.entry?.kind === 'data', 'the pad to take the account');
    rig.service.enterAccount(ACCOUNTS.known);
    await pinEntryRunning();
    // The account typed on the screen ended the pad's own account entry first.
    expect(rig.pad.calls.slice(0, 3)).toEqual(['dataEntry', 'cancelEntry', 'pinEntry']);
    expect(rig.pad.entry?.options).toEqual({ minLength: 6, maxLength: 6, timeoutMs: 2_000, autoEnd: false });
    rig.pad.press('2468');
    expect(rig.service.current()?.digitsEntered).toBe(4);
    rig.pad.press('B');
    expect(rig.service.current()?.digitsEntered).toBe(3);
    rig.pad.press('X');
    expect(rig.service.current()?.digitsEntered).toBe(0);
    rig.pad.press(`${PIN}E`);
    const shown = await waitFor(
      () => rig.service.current()?.state === 'showingBalance' && rig.service.current(),
      'the balance',
    );
    expect(shown).toMatchObject({ balanceFen: BALANCE_FEN, message: 'balanceShown', digitsEntered: 6 });
    expect(rig.pad.blockRequests).toEqual([{ format: 'iso0', account: ACCOUNTS.known }]);
    expect(rig.accounts.seen).toEqual([
      {
        authorization: `Bearer ${TOKEN}`,
        contentType: 'application/json',
        body: {
          account: ACCOUNTS.known,
          format: 'iso0',
          pinBlock: Buffer.from(rig.pad.block.pinBlock).toString('hex'),
          ksn: Buffer.from(rig.pad.block.ksn).toString('hex'),
        },
      },
    ]);
    expect(rig.customers.holder).toBe('balanceQuery');
    const end = await ended();
    // After the show time the balance is gone from what the screen can read.
    expect(end).toMatchObject({ outcome: 'shown', balanceFen: null, message: 'balanceQueryDone' });
    expect(rig.customers.holder).toBeNull();
    expect(rig.modeCalls).toEqual(['started', 'ended']);
  });

  it('takes the account typed on the pad, and refuses a number that is not a CN mobile number', async () => {
    rig.service.start();
    await waitFor(() => rig.pad.entry?.kind === 'data', 'the pad to take the account');
    rig.pad.press('1234');
    expect(rig.service.current()?.accountTyped).toBe('1234');
    rig.pad.press('B5X');
    expect(rig.service.current()?.accountTyped).toBe('');
    rig.pad.press('12345678901E');
    await waitFor(
      () => rig.pad.entry?.kind === 'data' && rig.service.current()?.message === 'invalidAccount',
      'a refusal',
    );
    rig.pad.press(`${ACCOUNTS.known}E`);
    await pinEntryRunning();
    expect(rig.service.current()).toMatchObject({
      state: 'enteringPin',
      account: ACCOUNTS.known,
      accountTyped: '',
    });
    expect(() => rig.service.enterAccount(ACCOUNTS.known)).toThrow(
      expect.objectContaining({ code: ErrorCode.ApiConflict, details: { messageCode: 'wrongStep' } }),
    );
  });

  it('ends with the tries left on a wrong password', async () => {
    rig.pad.block = { ...rig.pad.block, pinBlock: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]) };
    await queryUpToPin(ACCOUNTS.known);
    rig.pad.press(`${PIN}E`);
    expect(await ended()).toMatchObject({
      outcome: 'wrongPin',
      triesLeft: 2,
      message: 'wrongServicePassword',
    });
  });

  it.each([
    [
      ACCOUNTS.locked,
      { outcome: 'locked', lockedUntil: '2026-12-05T14:00:00.000Z', message: 'accountLocked' },
    ],
    [ACCOUNTS.unknown, { outcome: 'unknownAccount', message: 'accountNotFound' }],
    [ACCOUNTS.failing, { outcome: 'serviceUnavailable', message: 'accountServiceUnavailable' }],
    [ACCOUNTS.silent, { outcome: 'timeout', message: 'balanceQueryTimeout' }],
  ])('account %s ends cleanly with a customer message', async (account, expected) => {
    await queryUpToPin(account);
    rig.pad.press(`${PIN}E`);
    expect(await ended()).toMatchObject({ ...expected, balanceFen: null });
    expect(rig.customers.holder).toBeNull();
  });

  it('says the service is unavailable when nothing listens there', async () => {
    await rig.close();
    rig = await startBalanceQueryRig({
      accountService: { url: 'http://127.0.0.1:9', token: TOKEN, timeoutMs: 400 },
    });
    await queryUpToPin(ACCOUNTS.known);
    rig.pad.press(`${PIN}E`);
    expect(await ended()).toMatchObject({ outcome: 'serviceUnavailable' });
  });

  it('cancels from the screen mid-entry: the pad entry ends and the slot is free', async () => {
    await queryUpToPin(ACCOUNTS.known);
    rig.pad.press('246');
    expect(rig.service.cancel()).toMatchObject({
      state: 'ended',
      outcome: 'cancelled',
      message: 'balanceQueryCancelled',
    });
    await waitFor(() => rig.pad.entry === undefined, 'the pad to end its entry');
    expect(rig.pad.calls.at(-1)).toBe('cancelEntry');
    expect(rig.pad.blockRequests).toEqual([]);
    expect(rig.customers.holder).toBeNull();
    expect(() => rig.service.cancel()).toThrow(
      expect.objectContaining({ details: { messageCode: 'noBalanceQuery' } }),
    );
  });

  it('ends for maintenance when a technician enters service mode: the pad entry ends, the slot is free', async () => {
    expect(rig.service.endForMaintenance()).toBe('none');
    await queryUpToPin(ACCOUNTS.known);
    rig.pad.press('24');
    expect(rig.service.endForMaintenance()).toBe('ended');
    expect(rig.service.current()).toMatchObject({
      state: 'ended',
      outcome: 'maintenance',
      message: 'kioskMaintenance',
    });
    await waitFor(() => rig.pad.entry === undefined, 'the pad to end its entry');
    expect(rig.pad.calls.at(-1)).toBe('cancelEntry');
    expect(rig.pad.blockRequests).toEqual([]);
    expect(rig.customers.holder).toBeNull();
    expect(rig.service.endForMaintenance()).toBe('none');
  });

  it('cancels from the pad', async () => {
    await queryUpToPin(ACCOUNTS.known);
    rig.pad.press('24C');
    expect(await ended()).toMatchObject({ outcome: 'cancelled' });
    expect(rig.pad.blockRequests).toEqual([]);
  });

  it('ends as a pad fault when the pad is unplugged mid-entry, and refuses to start without it', async () => {
    await queryUpToPin(ACCOUNTS.known);
    rig.pad.press('24');
    rig.pad.unplug();
    expect(await ended()).toMatchObject({ outcome: 'padFault', message: 'pinPadFault' });
    expect(rig.customers.holder).toBeNull();
    expect(() => rig.service.start()).toThrow(
      expect.objectContaining({ code: ErrorCode.ApiConflict, details: { messageCode: 'pinPadUnavailable' } }),
    );
    expect(rig.customers.holder).toBeNull();
  });

  it('ends as a pad fault when the PIN block cannot be read', async () => {
    rig.pad.pinBlockFault = new Error('dukptOverflow');
    await queryUpToPin(ACCOUNTS.known);
    rig.pad.press(`${PIN}E`);
    expect(await ended()).toMatchObject({ outcome: 'padFault' });
    expect(rig.accounts.seen).toEqual([]);
  });

  it('ends when no PIN key comes in time', async () => {
    await rig.close();
    rig = await startBalanceQueryRig({
      pinEntry: { minLength: 6, maxLength: 6, timeoutMs: 100, autoEnd: true },
    });
    await queryUpToPin(ACCOUNTS.known);
    expect(await ended()).toMatchObject({ outcome: 'pinEntryTimeout', message: 'balanceQueryEntryTimeout' });
  });

  it('ends the entry by itself at maxLength with autoEnd', async () => {
    await rig.close();
    rig = await startBalanceQueryRig({
      pinEntry: { minLength: 6, maxLength: 6, timeoutMs: 2_000, autoEnd: true },
    });
    await queryUpToPin(ACCOUNTS.known);
    rig.pad.press(PIN);
    await waitFor(() => rig.service.current()?.state === 'showingBalance', 'the balance');
  });

  it('shares one slot with the top-up: neither starts while the other runs', async () => {
    const release = rig.customers.claim('topUp');
    expect(() => rig.service.start()).toThrow(
      expect.objectContaining({
        code: ErrorCode.ApiConflict,
        details: { messageCode: 'topUpActive', activity: 'topUp' },
      }),
    );
    release();
    rig.service.start();
    expect(() => rig.customers.claim('topUp')).toThrow(
      expect.objectContaining({ details: { messageCode: 'balanceQueryActive', activity: 'balanceQuery' } }),
    );
    expect(() => rig.service.start()).toThrow(
      expect.objectContaining({ details: { messageCode: 'balanceQueryActive' } }),
    );
  });

  it('refuses to start while the kiosk is not in service', () => {
    rig.modes.mode = 'maintenance';
    expect(() => rig.service.start()).toThrow(
      expect.objectContaining({ details: { messageCode: 'kioskMaintenance' } }),
    );
    expect(rig.customers.holder).toBeNull();
  });

  it('never lets the PIN block, the KSN or the PIN reach a log line, an event or a view', async () => {
    for (const account of [ACCOUNTS.known, ACCOUNTS.failing, ACCOUNTS.silent]) {
      await queryUpToPin(account);
      rig.pad.press(`${PIN}E`);
      await ended();
    }
    const block = Buffer.from(rig.pad.block.pinBlock).toString('hex');
    const ksn = Buffer.from(rig.pad.block.ksn).toString('hex');
    const outputs = [
      rig.logLines.join(''),
      JSON.stringify(rig.events),
      JSON.stringify(rig.service.current()),
    ];
    expect(rig.logLines.length).toBeGreaterThan(5);
    expect(rig.events.some((e) => e.data.balanceFen === BALANCE_FEN)).toBe(true);
    for (const output of outputs) {
      for (const secret of [block, block.toUpperCase(), ksn, ksn.toUpperCase(), PIN])
        expect(output).not.toContain(secret);
    }
    // The account service did get them: the test would be vacuous otherwise.
    expect(JSON.stringify(rig.accounts.seen)).toContain(block);
  });
});
