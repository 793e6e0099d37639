import { describe, expect, it } from 'vitest';
import { ErrorCode, isKioskError } from '../../../core/errors.js';
import { id003SimulatorFactory } from '../../../simulators/id003/id003-factory.js';
import { fastHost, type VirtualHost } from './virtual-host.js';

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

/** A unit with a note in escrow, a stacked note, settings and line faults set: plenty to disturb. */
function busyHost(): VirtualHost {
  const host = fastHost();
  host.startUp();
  host.escrow({ denomination: 100 });
  host.ask({ kind: 'stack2' });
  host.pollUntil((s) => s === 'vendValid');
  host.ask({ kind: 'ack' });
  host.pollUntil((s) => s === 'idling');
  host.escrow({ denomination: 2000 });
  host.control({ action: 'answers.delay', ms: 3 });
  return host;
}

describe('id003 simulator: control validation', () => {
  const cases: Array<[string, unknown, string]> = [
    ['not an object', 'insert', 'action'],
    ['no action', {}, 'action'],
    ['unknown action', { action: 'note.eat' }, 'action'],
    ['fractional denomination', { action: 'note.insert', denomination: 10.5 }, 'denomination'],
    ['negative denomination', { action: 'note.insert', denomination: -100 }, 'denomination'],
    ['unknown note kind', { action: 'note.insert', kind: 'forged' }, 'kind'],
    [
      'reject reason out of range',
      { action: 'note.insert', kind: 'damaged', rejectReason: 0x20 },
      'rejectReason',
    ],
    ['misspelt field', { action: 'note.insert', denomnation: 100 }, 'denomnation'],
    ['jam with no place', { action: 'jam' }, 'where'],
    ['jam in a made-up place', { action: 'jam', where: 'bezel' }, 'where'],
    ['failure code not a byte', { action: 'failure', code: 300 }, 'code'],
    ['emptied not boolean', { action: 'cashbox.replace', emptied: 'yes' }, 'emptied'],
    ['cutAt unknown phase', { action: 'power.cutAt', phase: 'idling' }, 'phase'],
    ['cutAt negative delay', { action: 'power.cutAt', phase: 'escrow', afterMs: -1 }, 'afterMs'],
    ['drop with neither', { action: 'answers.drop' }, 'count'],
    ['drop with both', { action: 'answers.drop', count: 1, rate: 0.5 }, 'count'],
    ['drop rate above 1', { action: 'answers.drop', rate: 2 }, 'rate'],
    ['delay negative', { action: 'answers.delay', ms: -5 }, 'ms'],
    ['hostAck without answer', { action: 'answers.hostAck' }, 'answer'],
    ['hostAck answer not boolean', { action: 'answers.hostAck', answer: 'yes' }, 'answer'],
  ];
  for (const [what, command, field] of cases) {
    it(`refuses ${what}, naming ${field}, and changes nothing`, () => {
      const host = busyHost();
      const before = host.snapshot();
      expect(badControlField(() => host.control(command as Record<string, unknown>))).toContain(field);
      expect(host.snapshot()).toEqual(before);
    });
  }

  const stateCases: Array<[string, (h: VirtualHost) => void, Record<string, unknown>, string]> = [
    ['a second note while one is in the path', () => {}, { action: 'note.insert' }, 'note.insert'],
    [
      'a reject reason on a genuine note',
      () => {},
      { action: 'note.insert', rejectReason: 0x77 },
      'rejectReason',
    ],
    ['jam.clear with no jam', () => {}, { action: 'jam.clear' }, 'jam.clear'],
    ['failure.clear with no failure', () => {}, { action: 'failure.clear' }, 'failure.clear'],
    ['cashbox.replace while in place', () => {}, { action: 'cashbox.replace' }, 'cashbox.replace'],
    ['power.on while on', () => {}, { action: 'power.on' }, 'power.on'],
    [
      'a second jam',
      (h) => h.control({ action: 'jam', where: 'stacker' }),
      { action: 'jam', where: 'acceptor' },
      'jam',
    ],
    [
      'cashbox.remove twice',
      (h) => h.control({ action: 'cashbox.remove' }),
      { action: 'cashbox.remove' },
      'cashbox.remove',
    ],
    [
      'a jam while powered off',
      (h) => h.control({ action: 'power.cut' }),
      { action: 'jam', where: 'acceptor' },
      'jam',
    ],
    [
      'a note while powered off',
      (h) => h.control({ action: 'power.cut' }),
      { action: 'note.insert' },
      'note.insert',
    ],
  ];
  for (const [what, prepare, command, field] of stateCases) {
    it(`refuses ${what} and changes nothing`, () => {
      const host = busyHost();
      prepare(host);
      const before = host.snapshot();
      expect(badControlField(() => host.control(command))).toBe(field);
      expect(host.snapshot()).toEqual(before);
    });
  }

  it('refuses an escrow code that contradicts the denomination', () => {
    const host = fastHost();
    host.startUp();
    const before = host.snapshot();
    expect(
      badControlField(() => host.control({ action: 'note.insert', escrowCode: 0x61, denomination: 500 })),
    ).toBe('escrowCode');
    expect(host.snapshot()).toEqual(before);
  });

  it('returns the note id and the expected outcome from note.insert', () => {
    const host = fastHost();
    host.startUp();
    expect(host.control({ action: 'note.insert', escrowCode: 0x64 })).toEqual({
      noteId: 'note-1',
      escrowCode: 0x64,
      denomination: 2000,
      willBe: 'escrowed',
      rejectReason: null,
    });
  });
});

describe('id003 simulator: factory options', () => {
  it('is registered as kind id003 and builds independent units', () => {
    expect(id003SimulatorFactory.kind).toBe('id003');
    const a = id003SimulatorFactory.create({ timingPreset: 'fast' });
    const b = id003SimulatorFactory.create({ timingPreset: 'fast' });
    a.control({ action: 'power.cut' }, 0);
    expect((b.snapshot() as { powered: boolean }).powered).toBe(true);
  });

  const bad: Array<[string, Record<string, unknown>, string]> = [
    ['an unknown preset', { timingPreset: 'slow' }, 'timingPreset'],
    ['a negative timing', { timing: { stackingMs: -1 } }, 'timing.stackingMs'],
    ['an unknown timing field', { timing: { stackMs: 5 } }, 'timing.stackMs'],
    ['answersHostAck not boolean', { answersHostAck: 'no' }, 'answersHostAck'],
    ['a zero capacity', { capacity: 0 }, 'capacity'],
    ['a non-ASCII version', { version: 'JCM 人民币' }, 'version'],
    ['an unknown option', { colour: 'blue' }, 'colour'],
    [
      'an escrow code the mask cannot address',
      { currencyTable: [{ escrowCode: 0x50, countryCode: 1, base: 1, exponent: 0 }] },
      'currencyTable.0.escrowCode',
    ],
    [
      'a duplicate escrow code',
      {
        currencyTable: [
          { escrowCode: 0x61, countryCode: 1, base: 1, exponent: 0 },
          { escrowCode: 0x61, countryCode: 1, base: 5, exponent: 0 },
        ],
      },
      'currencyTable.1.escrowCode',
    ],
    ['an empty table', { currencyTable: [] }, 'currencyTable'],
    ['a bad onBadFrame', { onBadFrame: 'shout' }, 'onBadFrame'],
  ];
  for (const [what, options, field] of bad) {
    it(`refuses ${what}, naming ${field}`, () => {
      expect(badControlField(() => id003SimulatorFactory.create(options))).toBe(field);
    });
  }

  it('takes a configured table, version and timing', () => {
    const host = fastHost({
      currencyTable: [{ escrowCode: 0x62, countryCode: 0x12, base: 2, exponent: 1 }],
      version: 'TEST UNIT',
      timing: { acceptingMs: 77 },
    });
    expect(host.send({ kind: 'get', what: 'version' })).toEqual([{ kind: 'version', text: 'TEST UNIT' }]);
    host.startUp();
    host.control({ action: 'note.insert' });
    host.run(76);
    expect(host.poll()).toBe('accepting');
    host.run(1);
    expect(host.poll()).toBe('escrow:0x62');
  });
});
