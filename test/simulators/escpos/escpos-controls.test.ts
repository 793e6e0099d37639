import { describe, expect, it } from 'vitest';
import { ErrorCode, isKioskError } from '../../../core/errors.js';
import { escposSimulatorFactory } from '../../../simulators/escpos/escpos-factory.js';
import { PrinterRig, SAMPLE_RECEIPT } from './printer-rig.js';

function badControlField(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (!isKioskError(error, ErrorCode.SimBadControl)) throw error;
    const details = error.details as { field?: string; issues?: Array<{ field: string }> };
    return details.field ?? details.issues?.map((i) => i.field).join(',') ?? '';
  }
  throw new Error('expected a SimBadControl error');
}

/** A printer part-way through a receipt with ASB on, a jam armed and a near-end roll: plenty to disturb. */
function busyRig(): PrinterRig {
  const rig = new PrinterRig({ timing: { printSpeedMmPerS: 100 } });
  rig.send(Uint8Array.of(0x1d, 0x61, 0x0f));
  rig.control({ action: 'paper.nearEnd' });
  rig.control({ action: 'cutter.jam' });
  rig.print(SAMPLE_RECEIPT);
  rig.run(100);
  return rig;
}

describe('escpos simulator: control validation', () => {
  const cases: Array<[string, unknown, string]> = [
    ['not an object', 'paper.out', 'action'],
    ['an array', [], 'action'],
    ['no action', {}, 'action'],
    ['empty action', { action: '' }, 'action'],
    ['unknown action', { action: 'paper.eat' }, 'action'],
    ['extra field', { action: 'cover.open', now: true }, 'now'],
    ['negative lines', { action: 'paper.outAfter', lines: -1 }, 'lines'],
    ['fractional lines', { action: 'paper.outAfter', lines: 1.5 }, 'lines'],
    ['missing lines', { action: 'paper.outAfter' }, 'lines'],
    ['zero-length roll', { action: 'paper.load', lengthMm: 0 }, 'lengthMm'],
    ['roll as text', { action: 'paper.load', lengthMm: '80m' }, 'lengthMm'],
    ['unknown direction', { action: 'line.corrupt', direction: 'both', bytes: 1 }, 'direction'],
    ['no bytes to corrupt', { action: 'line.corrupt', direction: 'toHost', bytes: 0 }, 'bytes'],
    ['hold too long', { action: 'xoff.hold', ms: 600_001 }, 'ms'],
    ['hold of zero', { action: 'xoff.hold', ms: 0 }, 'ms'],
    ['a FEED press too long', { action: 'button.feed', ms: 30_001 }, 'ms'],
    ['too many receipts', { action: 'paper.receipts', last: 0 }, 'last'],
    ['too many in the SVG', { action: 'paper.svg', last: 21 }, 'last'],
  ];
  for (const [name, command, field] of cases) {
    it(`refuses ${name}, naming ${field}, and changes nothing`, () => {
      const rig = busyRig();
      const before = rig.snapshot();
      const receipts = rig.receipts();
      expect(badControlField(() => rig.model.control(command, rig.now))).toBe(field);
      expect(rig.snapshot()).toEqual(before);
      expect(rig.receipts()).toEqual(receipts);
    });
  }

  it('refuses xoff.hold while the printer is off, saying why', () => {
    const rig = busyRig();
    rig.control({ action: 'power.cut' });
    const before = rig.snapshot();
    expect(() => rig.control({ action: 'xoff.hold', ms: 100 })).toThrow(/printer is off/);
    expect(rig.snapshot()).toEqual(before);
  });

  for (const [state, setUp, why] of [
    ['off', { action: 'power.cut' }, /the printer is off/],
    ['the cover open', { action: 'cover.open' }, /the cover is open/],
    ['no paper', { action: 'paper.out' }, /there is no paper/],
    ['the button held', { action: 'button.feed', ms: 1000 }, /already held/],
  ] as const) {
    it(`refuses the FEED button with ${state}, saying why`, () => {
      const rig = busyRig();
      rig.control(setUp);
      const before = rig.snapshot();
      expect(() => rig.control({ action: 'button.feed', ms: 100 })).toThrow(why);
      expect(rig.snapshot()).toEqual(before);
    });
  }

  it('lists the known actions when the action is unknown', () => {
    const rig = new PrinterRig();
    expect(() => rig.control({ action: 'paper.eat' })).toThrow(/known: paper\.nearEnd, .*paper\.svg/);
  });
});

describe('escpos simulator: options', () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['an unsupported baud rate', { baudRate: 4800 }, 'baudRate'],
    ['an unknown flow control', { flowControl: 'dtrdsr' }, 'flowControl'],
    ['an odd paper width', { columns: 40 }, 'columns'],
    ['a tiny buffer', { bufferBytes: 16 }, 'bufferBytes'],
    ['XON below XOFF', { xoffAtFree: 600, xonAtFree: 500 }, 'xonAtFree'],
    ['XON at the capacity', { bufferBytes: 512, xonAtFree: 512 }, 'xonAtFree'],
    ['a timing typo', { timing: { printSpeed: 100 } }, 'timing.printSpeed'],
    ['a zero print speed', { timing: { printSpeedMmPerS: 0 } }, 'timing.printSpeedMmPerS'],
    ['an unknown option', { colour: 'red' }, 'colour'],
  ];
  for (const [name, options, field] of cases) {
    it(`refuses ${name}, naming ${field}`, () => {
      expect(badControlField(() => escposSimulatorFactory.create(options))).toBe(field);
    });
  }

  it('speaks the configured line', () => {
    expect(escposSimulatorFactory.create({ baudRate: 115200, flowControl: 'rtscts' }).line).toEqual({
      baudRate: 115200,
      dataBits: 8,
      parity: 'none',
      stopBits: 1,
      rtscts: true,
      xonxoff: false,
    });
  });
});
