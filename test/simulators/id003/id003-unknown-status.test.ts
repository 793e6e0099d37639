import { describe, expect, it } from 'vitest';
import { ErrorCode, isKioskError } from '../../../core/errors.js';
import {
  decodeReply,
  encodeCommand,
  encodeReply,
  Id003FrameParser,
  Id003Status,
} from '../../../devices/cash-acceptor/id003/codec/index.js';
import { id003SimulatorFactory } from '../../../simulators/id003/id003-factory.js';
import { FAST_TIMING } from '../../../simulators/id003/timing.js';
import { fastHost, type VirtualHost } from './virtual-host.js';

/** CRC-16/KERMIT written out bit by bit, independent of the codec's table. */
function kermit(bytes: number[]): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x8408 : crc >>> 1;
  }
  return crc;
}

/** The raw answer bytes to one status request, straight from the model (no decoder in between). */
function rawStatusAnswer(host: VirtualHost): number[] {
  host.model.receive(encodeCommand({ kind: 'statusRequest' }), host.now);
  host.now += 20;
  const chunks = host.model.advance(host.now);
  expect(chunks).toHaveLength(1);
  return [...chunks[0]!];
}

function badControl(fn: () => unknown): { fields: string[]; message: string } {
  try {
    fn();
  } catch (error) {
    if (!isKioskError(error, ErrorCode.SimBadControl)) throw error;
    const details = error.details as { issues?: Array<{ field: string }> };
    return { fields: details.issues?.map((i) => i.field) ?? [], message: error.message };
  }
  throw new Error('expected a SimBadControl error');
}

/** Started up (settings changed) with a note in escrow: state a refused control must not touch. */
function busyHost(): VirtualHost {
  const host = fastHost();
  host.startUp();
  host.escrow({ denomination: 2000 });
  return host;
}

interface Snap {
  lineFaults: { unknownStatus: { code: number; remaining: number } | null };
  counters: Record<string, number>;
}
const snap = (host: VirtualHost): Snap => host.snapshot() as unknown as Snap;

describe('id003 simulator: status.unknown', () => {
  it('answers the status request with a byte-correct ID-003 frame carrying the code', () => {
    // The codec's well-known poll frame checks the independent CRC first.
    expect(kermit([0xfc, 0x05, 0x11])).toBe(0x5627);
    const host = fastHost();
    host.startUp();
    host.control({ action: 'status.unknown', code: 0x5a });
    const bytes = rawStatusAnswer(host);
    const crc = kermit([0xfc, 0x05, 0x5a]);
    expect(bytes).toEqual([0xfc, 0x05, 0x5a, crc & 0xff, crc >>> 8]);
    const frames = new Id003FrameParser().push(Uint8Array.from(bytes));
    expect(frames.map(decodeReply)).toEqual([{ kind: 'unknownStatus', code: 0x5a, data: new Uint8Array(0) }]);
    // count defaults to 1: the next answer is the real status again.
    expect(rawStatusAnswer(host)).toEqual([...encodeReply({ kind: 'status', status: 'idling' })]);
    expect(host.poll()).toBe('idling');
  });

  it('answers exactly the next N status requests, then the real status; other commands pass through', () => {
    const host = fastHost();
    host.startUp();
    expect(host.control({ action: 'status.unknown', code: 0xe0, count: 3 })).toEqual({
      phase: 'idle',
      status: 'idling',
      unknownStatus: { code: 0xe0, remaining: 3 },
    });
    expect(host.poll()).toBe('unknown:0xe0');
    // A non-status command is answered normally and does not use up the count.
    expect(host.send({ kind: 'get', what: 'version' })).toEqual([
      { kind: 'version', text: 'JCM ID-003 SIM V1.00 CNY' },
    ]);
    expect(snap(host).lineFaults.unknownStatus).toEqual({ code: 0xe0, remaining: 2 });
    expect([host.poll(), host.poll(), host.poll(), host.poll()]).toEqual([
      'unknown:0xe0',
      'unknown:0xe0',
      'idling',
      'idling',
    ]);
    expect(snap(host).lineFaults.unknownStatus).toBeNull();
    expect(snap(host).counters['unknownStatusAnswers']).toBe(3);
  });

  it('leaves the unit running underneath: an escrowed note times out and is returned, nothing stacked', () => {
    const host = fastHost();
    host.startUp();
    const noteId = host.escrow({ denomination: 5000 });
    host.control({ action: 'status.unknown', code: 0x30, count: 1000 });
    const seen = new Set<string>();
    for (let i = 0; i < 100; i++) {
      seen.add(host.poll());
      host.run(15);
    }
    expect(host.now).toBeGreaterThan(FAST_TIMING.escrowTimeoutMs + FAST_TIMING.returningMs);
    expect([...seen]).toEqual(['unknown:0x30']);
    expect(host.snapshot().notes).toEqual([expect.objectContaining({ noteId, outcome: 'returned' })]);
    expect(host.ledger()).toEqual([]);
    // A new control replaces the armed one.
    host.control({ action: 'status.unknown', code: 0x31, count: 2 });
    expect([host.poll(), host.poll(), host.poll()]).toEqual(['unknown:0x31', 'unknown:0x31', 'idling']);
  });

  it('is refused for exactly the codes the codec decodes as something defined', () => {
    const accepted: number[] = [];
    for (let code = 0; code <= 0xff; code++) {
      const host = fastHost();
      const before = host.snapshot();
      let ok = true;
      try {
        host.control({ action: 'status.unknown', code });
      } catch (error) {
        if (!isKioskError(error, ErrorCode.SimBadControl)) throw error;
        expect(host.snapshot()).toEqual(before);
        ok = false;
      }
      const decoded = decodeReply({ code, data: new Uint8Array(0) });
      expect(ok, `code 0x${code.toString(16)}`).toBe(decoded.kind === 'unknownStatus' && !decoded.malformed);
      if (ok) accepted.push(code);
    }
    // Every status code of the protocol is among the refused ones; ACK and the setting codes too.
    for (const code of Object.values(Id003Status)) expect(accepted).not.toContain(code);
    for (const code of [0x50, 0x80, 0x85, 0x88, 0x89, 0x8a, 0xc0, 0xc7]) expect(accepted).not.toContain(code);
    expect(accepted).toContain(0x00);
    expect(accepted).toContain(0xff);
    expect(accepted).toHaveLength(256 - 23 - 1 - 6 - 3 - 8);
  });
});

describe('id003 simulator: status.unknown validation', () => {
  const cases: Array<[string, Record<string, unknown>, string, RegExp?]> = [
    ['no code', { action: 'status.unknown' }, 'code'],
    ['a code above a byte', { action: 'status.unknown', code: 0x100 }, 'code'],
    ['a negative code', { action: 'status.unknown', code: -1 }, 'code'],
    ['a fractional code', { action: 'status.unknown', code: 90.5 }, 'code'],
    ['a code given as a string', { action: 'status.unknown', code: '0x5a' }, 'code'],
    ['IDLING', { action: 'status.unknown', code: 0x11 }, 'code', /0x11 is the status Idling/],
    ['ESCROW', { action: 'status.unknown', code: 0x13 }, 'code', /0x13 is the status Escrow/],
    ['FAILURE', { action: 'status.unknown', code: 0x49 }, 'code', /0x49 is the status Failure/],
    [
      'INVALID COMMAND',
      { action: 'status.unknown', code: 0x4b },
      'code',
      /0x4b is the status InvalidCommand/,
    ],
    ['the ACK reply', { action: 'status.unknown', code: 0x50 }, 'code', /0x50 is the ack reply/],
    ['the version reply', { action: 'status.unknown', code: 0x88 }, 'code', /version reply/],
    ['a setting echo', { action: 'status.unknown', code: 0xc3 }, 'code', /setting echo or report/],
    ['a zero count', { action: 'status.unknown', code: 0x5a, count: 0 }, 'count'],
    ['a count above 1000', { action: 'status.unknown', code: 0x5a, count: 1001 }, 'count'],
    ['a fractional count', { action: 'status.unknown', code: 0x5a, count: 2.5 }, 'count'],
    ['a count given as a string', { action: 'status.unknown', code: 0x5a, count: '3' }, 'count'],
    ['a misspelt field', { action: 'status.unknown', code: 0x5a, cout: 3 }, 'cout'],
  ];
  for (const [what, command, field, message] of cases) {
    it(`refuses ${what}, naming ${field}, and changes nothing`, () => {
      const host = busyHost();
      host.control({ action: 'status.unknown', code: 0x5a, count: 7 });
      const before = host.snapshot();
      const error = badControl(() => host.control(command));
      expect(error.fields).toEqual([field]);
      expect(error.message).toContain(`${field}:`);
      if (message) expect(error.message).toMatch(message);
      expect(host.snapshot()).toEqual(before);
      // The armed control is the one from before: seven unknown answers, then the escrow again.
      const answers = Array.from({ length: 8 }, () => host.poll());
      expect(answers).toEqual([...Array(7).fill('unknown:0x5a'), 'escrow:0x64']);
    });
  }

  it('takes the bounds of both fields', () => {
    const unit = id003SimulatorFactory.create({ timingPreset: 'fast' });
    expect(unit.control({ action: 'status.unknown', code: 0x00, count: 1 }, 0)).toMatchObject({
      unknownStatus: { code: 0x00, remaining: 1 },
    });
    expect(unit.control({ action: 'status.unknown', code: 0xff, count: 1000 }, 0)).toMatchObject({
      unknownStatus: { code: 0xff, remaining: 1000 },
    });
  });
});
