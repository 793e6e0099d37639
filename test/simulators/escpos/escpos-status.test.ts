import { describe, expect, it } from 'vitest';
import {
  enableAutomaticStatusBack,
  realtimeStatusRequest,
} from '../../../devices/printer/escpos/codec/index.js';
import { ASB_ALL, PrinterRig } from './printer-rig.js';

const ONLINE = {
  offline: false,
  coverOpen: false,
  feedingByButton: false,
  cutterError: false,
  unrecoverableError: false,
  autoRecoverableError: false,
  paper: 'ok',
};

describe('escpos simulator: DLE EOT answers from the real state', () => {
  const cases: Array<[string, Record<string, unknown>[], Record<string, unknown>, number[]]> = [
    ['idle and online', [], ONLINE, [0x12, 0x12, 0x12, 0x12]],
    [
      'paper near end',
      [{ action: 'paper.nearEnd' }],
      { ...ONLINE, paper: 'nearEnd' },
      [0x12, 0x12, 0x12, 0x1e],
    ],
    [
      'paper out',
      [{ action: 'paper.out' }],
      { ...ONLINE, offline: true, paper: 'out' },
      [0x1a, 0x32, 0x12, 0x7e],
    ],
    [
      'cover open',
      [{ action: 'cover.open' }],
      { ...ONLINE, offline: true, coverOpen: true },
      [0x1a, 0x16, 0x12, 0x12],
    ],
    [
      'offline switch',
      [{ action: 'printer.offline' }],
      { ...ONLINE, offline: true },
      [0x1a, 0x12, 0x12, 0x12],
    ],
  ];
  for (const [name, controls, condition, bytes] of cases) {
    it(name, () => {
      const rig = new PrinterRig();
      for (const c of controls) rig.control(c);
      expect(rig.condition()).toEqual(condition);
      const replies = rig.inbound.flatMap((i) => (i.message.kind === 'realtime' ? [i.message.byte] : []));
      expect(replies).toEqual(bytes);
    });
  }

  it('after a cutter jam: offline, waiting for recovery, autocutter error', () => {
    const rig = new PrinterRig();
    rig.control({ action: 'cutter.jam' });
    rig.print({ blocks: [{ kind: 'text', text: 'x' }, { kind: 'cut' }] });
    rig.settle();
    expect(rig.condition()).toEqual({ ...ONLINE, offline: true, cutterError: true });
    const replies = rig.inbound.flatMap((i) => (i.message.kind === 'realtime' ? [i.message.byte] : []));
    expect(replies).toEqual([0x3a, 0x52, 0x1a, 0x12]);
  });

  it('answers a query split across writes, and a query in the middle of print data', () => {
    const rig = new PrinterRig();
    rig.send(Uint8Array.of(0x41, 0x10));
    rig.send(Uint8Array.of(0x04));
    rig.parser.expectReply(4);
    rig.send(Uint8Array.of(0x04, 0x42, 0x0a), 5);
    expect(rig.inbound.map((i) => i.message.kind)).toEqual(['realtime']);
    rig.settle();
    expect(rig.receipts()[0]!.lines).toEqual(['AB']);
  });

  it('does not answer while off or booting; answers again after the boot time', () => {
    const rig = new PrinterRig({ timing: { bootMs: 100 } });
    rig.control({ action: 'power.cut' });
    rig.send(Uint8Array.of(0x10, 0x04, 0x01), 10);
    rig.control({ action: 'power.on' });
    rig.send(Uint8Array.of(0x10, 0x04, 0x01), 50);
    expect(rig.inbound.filter((i) => i.message.kind === 'realtime')).toEqual([]);
    rig.run(60);
    expect(rig.query(1)).toEqual({ offline: false });
    expect(rig.snapshot().counters['bytesLostWhileOff']).toBe(6);
  });
});

describe('escpos simulator: Automatic Status Back', () => {
  it('sends the current status when GS a enables it, then on every watched change only', () => {
    const rig = new PrinterRig();
    rig.send(ASB_ALL);
    expect(rig.asbConditions()).toEqual([ONLINE]);
    rig.control({ action: 'cover.open' });
    rig.control({ action: 'cover.open' });
    rig.control({ action: 'cover.close' });
    rig.control({ action: 'paper.nearEnd' });
    rig.run(5);
    expect(rig.asbConditions()).toEqual([
      ONLINE,
      { ...ONLINE, offline: true, coverOpen: true },
      ONLINE,
      { ...ONLINE, paper: 'nearEnd' },
    ]);
    expect(rig.raw.slice(0, 4)).toEqual([0x10, 0x00, 0x00, 0x00]);
  });

  it('sends a reply taken before a change ahead of the ASB message the change causes, as one UART does', () => {
    const rig = new PrinterRig({ timing: { answerDelayMs: 5 } });
    rig.send(ASB_ALL);
    rig.run(10);
    const before = rig.inbound.length;
    // DLE EOT 2 reaches the printer with the cover shut; the cover opens while the reply waits.
    rig.send(realtimeStatusRequest(2));
    rig.control({ action: 'cover.open' });
    rig.run(10);
    const kinds = rig.inbound.slice(before).map((i) => i.message.kind);
    expect(kinds).toEqual(['realtime', 'asb']);
    expect(rig.asbConditions().at(-1)).toMatchObject({ coverOpen: true });
  });

  it('sends nothing for a change the host did not ask about', () => {
    const rig = new PrinterRig();
    rig.send(enableAutomaticStatusBack(0x08)); // roll paper only
    rig.control({ action: 'cover.open' });
    rig.control({ action: 'cover.close' });
    rig.control({ action: 'paper.out' });
    rig.run(5);
    expect(rig.asbConditions()).toEqual([ONLINE, { ...ONLINE, offline: true, paper: 'out' }]);
  });

  it('reports paper running out in the middle of a receipt, and its return on a new roll', () => {
    const rig = new PrinterRig();
    rig.send(ASB_ALL);
    rig.control({ action: 'paper.outAfter', lines: 2 });
    rig.print({ blocks: ['a', 'b', 'c', 'd'].map((text) => ({ kind: 'text' as const, text })) });
    rig.settle();
    expect(rig.asbConditions().at(-1)).toEqual({ ...ONLINE, offline: true, paper: 'out' });
    rig.control({ action: 'paper.load' });
    rig.settle();
    expect(rig.asbConditions().at(-1)).toEqual(ONLINE);
  });

  it('stays enabled across ESC @ and is off after a power cycle', () => {
    const rig = new PrinterRig({ timing: { bootMs: 10 } });
    rig.send(ASB_ALL);
    rig.send(Uint8Array.of(0x1b, 0x40));
    rig.settle();
    rig.control({ action: 'cover.open' });
    rig.run(1);
    expect(rig.asbConditions()).toHaveLength(2);
    rig.control({ action: 'power.cut' });
    rig.control({ action: 'power.on' });
    rig.run(20);
    rig.control({ action: 'cover.close' });
    rig.run(5);
    expect(rig.asbConditions()).toHaveLength(2);
    expect(rig.snapshot().asbEnabled).toBe(0);
  });
});
