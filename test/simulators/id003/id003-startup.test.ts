import { describe, expect, it } from 'vitest';
import { encodeCommand, encodeFrame } from '../../../devices/cash-acceptor/id003/codec/index.js';
import { id003SimulatorFactory } from '../../../simulators/id003/id003-factory.js';
import { fastHost, VirtualHost } from './virtual-host.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('id003 simulator: start-up and settings', () => {
  it('runs the documented start-up: power up, version, RESET, settings echoed in INITIALIZE, disabled, idling', () => {
    const host = fastHost();
    expect(host.poll()).toBe('powerUp');
    expect(host.send({ kind: 'get', what: 'version' })).toEqual([
      { kind: 'version', text: 'JCM ID-003 SIM V1.00 CNY' },
    ]);
    expect(host.ask({ kind: 'reset' })).toBe('ack');
    expect(host.poll()).toBe('initialize');

    expect(host.send({ kind: 'setEnable', disabledMask: 0x0003 })).toEqual([
      { kind: 'settingEcho', command: 0xc0, data: Uint8Array.of(0x03, 0x00) },
    ]);
    expect(host.send({ kind: 'setSecurity', mask: 0x0102 })).toEqual([
      { kind: 'settingEcho', command: 0xc1, data: Uint8Array.of(0x02, 0x01) },
    ]);
    expect(host.send({ kind: 'setCommunicationMode', mode: 0 })).toEqual([
      { kind: 'settingEcho', command: 0xc2, data: Uint8Array.of(0) },
    ]);
    expect(host.send({ kind: 'setDirection', mask: 0 })).toEqual([
      { kind: 'settingEcho', command: 0xc4, data: Uint8Array.of(0) },
    ]);
    expect(host.send({ kind: 'setOptionalFunction', value: 0x0201 })).toEqual([
      { kind: 'settingEcho', command: 0xc5, data: Uint8Array.of(0x01, 0x02) },
    ]);
    expect(host.send({ kind: 'setBarcodeFunction', data: Uint8Array.of(0x01, 0x12) })).toEqual([
      { kind: 'settingEcho', command: 0xc6, data: Uint8Array.of(0x01, 0x12) },
    ]);
    expect(host.send({ kind: 'setBarInhibit', value: 0xfe })).toEqual([
      { kind: 'settingEcho', command: 0xc7, data: Uint8Array.of(0xfe) },
    ]);
    expect(host.send({ kind: 'get', what: 'enable' })).toEqual([
      { kind: 'settingReport', request: 0x80, data: Uint8Array.of(0x03, 0x00) },
    ]);
    expect(host.send({ kind: 'get', what: 'security' })).toEqual([
      { kind: 'settingReport', request: 0x81, data: Uint8Array.of(0x02, 0x01) },
    ]);
    expect(host.send({ kind: 'get', what: 'inhibit' })).toEqual([
      { kind: 'settingReport', request: 0x83, data: Uint8Array.of(1) },
    ]);

    const seen = host.pollUntil((s) => s === 'disabled');
    expect(new Set(seen)).toEqual(new Set(['initialize', 'disabled']));
    expect(host.now).toBeGreaterThanOrEqual(30);
    expect(host.ask({ kind: 'setInhibit', inhibit: false })).toBe('settingEcho');
    expect(host.poll()).toBe('idling');
    expect(host.ask({ kind: 'setInhibit', inhibit: true })).toBe('settingEcho');
    expect(host.poll()).toBe('disabled');
  });

  it('answers the golden frames byte for byte', () => {
    const host = fastHost();
    const raw: Uint8Array[] = [];
    host.model.receive(Uint8Array.from(Buffer.from('fc05112756', 'hex')), 0);
    raw.push(...host.model.advance(5));
    expect(raw.map(hex)).toEqual([hex(encodeFrame(0x40))]);
    host.model.receive(Uint8Array.from(Buffer.from('fc05402b15', 'hex')), 5);
    expect(host.model.advance(10).map(hex)).toEqual(['fc0550aa05']);
  });

  it('reports the currency table, CNY by default and a configured "lying" one when asked to', () => {
    const host = fastHost();
    const [reply] = host.send({ kind: 'get', what: 'currencyAssignment' });
    expect(reply).toMatchObject({ kind: 'currencyAssignment' });
    const entries = (reply as { entries: Array<{ escrowCode: number; base: number; exponent: number }> })
      .entries;
    expect(entries.map((e) => [e.escrowCode, e.base * 10 ** e.exponent])).toEqual([
      [0x61, 1],
      [0x62, 5],
      [0x63, 10],
      [0x64, 20],
      [0x65, 50],
      [0x66, 100],
    ]);

    const lying = [{ escrowCode: 0x61, countryCode: 0x01, base: 5, exponent: 1 }];
    const liar = fastHost({ reportedCurrencyTable: lying });
    expect(liar.send({ kind: 'get', what: 'currencyAssignment' })).toEqual([
      { kind: 'currencyAssignment', entries: lying },
    ]);
    // The unit still recognises notes by its real table: escrow 0x61 is 1 yuan in the ledger.
    liar.startUp();
    liar.escrow({ escrowCode: 0x61 });
    liar.ask({ kind: 'stack2' });
    liar.pollUntil((s) => s === 'vendValid');
    expect(liar.ledger().map((e) => e.denomination)).toEqual([100]);
  });

  it('restores default settings on RESET: inhibit on, every note enabled', () => {
    const host = fastHost();
    host.startUp();
    host.ask({ kind: 'setEnable', disabledMask: 0xffff });
    expect(host.poll()).toBe('idling');
    host.ask({ kind: 'reset' });
    host.pollUntil((s) => s === 'disabled');
    expect(host.send({ kind: 'get', what: 'enable' })).toEqual([
      { kind: 'settingReport', request: 0x80, data: Uint8Array.of(0, 0) },
    ]);
  });

  it('answers INVALID COMMAND to commands the current state does not take and to unknown codes', () => {
    const host = fastHost();
    expect(host.ask({ kind: 'stack1' })).toBe('invalidCommand');
    expect(host.ask({ kind: 'ack' })).toBe('invalidCommand');
    host.startUp();
    expect(host.ask({ kind: 'stack2' })).toBe('invalidCommand');
    expect(host.ask({ kind: 'return' })).toBe('invalidCommand');
    expect(host.ask({ kind: 'hold' })).toBe('invalidCommand');
    expect(host.ask({ kind: 'wait' })).toBe('invalidCommand');
    expect(host.ask({ kind: 'unknownCommand', code: 0x99, data: new Uint8Array(0) })).toBe('invalidCommand');
    // A known code with data that does not fit it is refused the same way.
    expect(host.ask({ kind: 'unknownCommand', code: 0xc3, data: Uint8Array.of(7) })).toBe('invalidCommand');
    host.escrow();
    expect(host.ask({ kind: 'setInhibit', inhibit: true })).toBe('invalidCommand');
    expect(host.ask({ kind: 'ack' })).toBe('invalidCommand');
    expect(host.snapshot().counters['invalidCommands']).toBe(10);
    expect(host.snapshot().settings['inhibit']).toBe(false);
  });

  it('gives no answer to a frame with a bad CRC by default, and COMMUNICATION ERROR when configured', () => {
    const corrupt = encodeCommand({ kind: 'statusRequest' });
    corrupt[3] = corrupt[3]! ^ 0xff;

    const silent = fastHost();
    expect(silent.sendBytes(corrupt, 50)).toEqual([]);
    expect(silent.snapshot().counters['badFrames']).toBe(1);
    expect(silent.poll()).toBe('powerUp');

    const loud = fastHost({ onBadFrame: 'communicationError' });
    expect(loud.sendBytes(corrupt, 50)).toEqual([{ kind: 'status', status: 'communicationError' }]);
  });

  it('answers each frame exactly once, frames split or joined however they arrive', () => {
    const host = fastHost();
    const poll = encodeCommand({ kind: 'statusRequest' });
    const two = new Uint8Array([...poll, ...encodeCommand({ kind: 'get', what: 'bootVersion' })]);
    expect(host.sendBytes(two, 5)).toEqual([
      { kind: 'status', status: 'powerUp' },
      { kind: 'bootVersion', text: 'JCM ID-003 SIM BOOT V1.00' },
    ]);
    expect(host.sendBytes(poll.subarray(0, 2), 0)).toEqual([]);
    expect(host.sendBytes(poll.subarray(2), 5)).toEqual([{ kind: 'status', status: 'powerUp' }]);
    expect(host.sendBytes(Uint8Array.of(0x00, 0x11, 0x27), 50)).toEqual([]);
    expect(host.snapshot().counters['framesIn']).toBe(3);
  });

  it('drops a half frame left by a host that went quiet mid-frame', () => {
    const host = fastHost();
    const poll = encodeCommand({ kind: 'statusRequest' });
    // FC 07 promises seven bytes; without the timeout it would swallow the next poll.
    host.sendBytes(Uint8Array.of(0xfc, 0x07, 0x11), 150);
    expect(host.sendBytes(poll, 5)).toEqual([{ kind: 'status', status: 'powerUp' }]);
  });

  it('answers answerDelayMs after the frame with realistic timing (3 ms) and keeps the 9600 8E1 line', () => {
    const model = id003SimulatorFactory.create();
    expect(model.line).toMatchObject({ baudRate: 9600, dataBits: 8, parity: 'even', stopBits: 1 });
    const host = new VirtualHost(model);
    model.receive(encodeCommand({ kind: 'statusRequest' }), 10);
    expect(model.nextDeadline()).toBe(13);
    expect(model.advance(12.9)).toEqual([]);
    expect(model.advance(13)).toHaveLength(1);
    expect(model.nextDeadline()).toBeUndefined();
    expect(host.received).toEqual([]);
  });
});
