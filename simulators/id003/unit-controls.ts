import { ErrorCode, KioskError } from '../../core/errors.js';
import { denominationEnabled } from './acceptor-settings.js';
import type { Id003Control } from './controls.js';
import { minorUnitsOf } from './currency-table.js';
import { describeReply, type Id003Unit, type NoteRecord } from './id003-unit.js';
import type { Id003ModelConfig } from './options.js';

/** The controls that act on the unit's mechanism, power and cashbox (not on its serial line). */
export type UnitControl = Exclude<
  Id003Control,
  { action: 'answers.drop' | 'answers.delay' | 'answers.hostAck' | 'status.unknown' }
>;

function bad(field: string, message: string, details: Record<string, unknown> = {}): never {
  throw new KioskError(ErrorCode.SimBadControl, `${field}: ${message}`, { details: { field, ...details } });
}

function requirePower(unit: Id003Unit, field: string): void {
  if (unit.phase === 'off') bad(field, 'the unit is powered off', { phase: unit.phase });
}

/**
 * A physical-world action on the unit: a note, a jam, the cashbox, tampering, a failure, the
 * power. An action the unit's state does not allow throws SimBadControl and changes nothing.
 */
export function applyUnitControl(unit: Id003Unit, config: Id003ModelConfig, c: UnitControl): unknown {
  switch (c.action) {
    case 'note.insert':
      return insertNote(unit, config, c);
    case 'jam':
      requirePower(unit, 'jam');
      if (unit.jam) bad('jam', `the unit is already jammed in the ${unit.jam}`);
      unit.jam = c.where;
      unit.interrupt();
      return unit.brief();
    case 'jam.clear':
      if (!unit.jam) bad('jam.clear', 'there is no jam to clear');
      // Clearing leaves a note in the stacker where it is; RESET then finishes stacking it.
      if (unit.note?.where === 'stacker') unit.stackerRecoveryVia = 'jamClearStack';
      unit.jam = undefined;
      unit.leaveFaultIfResolved();
      return unit.brief();
    case 'stacker.full':
      unit.cashbox.forceFull();
      return unit.brief();
    case 'cashbox.remove':
      if (!unit.cashbox.present) bad('cashbox.remove', 'the cashbox is already out');
      unit.cashbox.remove();
      if (unit.phase !== 'off') unit.interrupt();
      return unit.brief();
    case 'cashbox.replace': {
      if (unit.cashbox.present) bad('cashbox.replace', 'the cashbox is already in place');
      const collection = unit.cashbox.replace(c.emptied ?? false, unit.now);
      unit.leaveFaultIfResolved();
      return { ...unit.brief(), collection: collection ?? null };
    }
    case 'cheat':
      requirePower(unit, 'cheat');
      unit.cheated = true;
      unit.interrupt();
      return unit.brief();
    case 'failure':
      requirePower(unit, 'failure');
      unit.failure = { code: c.code, cleared: false };
      unit.interrupt();
      return unit.brief();
    case 'failure.clear':
      if (!unit.failure) bad('failure.clear', 'there is no failure to clear');
      unit.failure = { code: unit.failure.code, cleared: true };
      return unit.brief();
    case 'power.cut':
      requirePower(unit, 'power.cut');
      unit.cutPower();
      return unit.brief();
    case 'power.on':
      if (unit.phase !== 'off') bad('power.on', 'the unit is already powered');
      unit.powerOn();
      return unit.brief();
    case 'power.cutAt':
      unit.armedCut = { phase: c.phase, afterMs: c.afterMs ?? 0 };
      return unit.brief();
    case 'ledger':
      return unit.cashbox.entries();
  }
}

function insertNote(
  unit: Id003Unit,
  config: Id003ModelConfig,
  c: Extract<Id003Control, { action: 'note.insert' }>,
): unknown {
  const kind = c.kind ?? 'genuine';
  if (kind === 'genuine' && c.rejectReason !== undefined) {
    bad('rejectReason', 'only a counterfeit or damaged note is given a reject reason');
  }
  if (unit.phase === 'off') bad('note.insert', 'the unit is powered off: the note is not drawn in');
  if (unit.note) bad('note.insert', `note ${unit.note.noteId} is still in the path`);
  if (unit.phase !== 'idle' || unit.cashbox.full || unit.settings.inhibit) {
    bad('note.insert', `the unit is ${describeReply(unit.statusReply())}: the note is not drawn in`, {
      phase: unit.phase,
    });
  }
  const table = config.currencyTable;
  const byCode = c.escrowCode === undefined ? undefined : table.find((e) => e.escrowCode === c.escrowCode);
  const byValue =
    c.denomination === undefined
      ? undefined
      : table.find((e) => minorUnitsOf(e, config.minorPerMajor) === c.denomination);
  if (byCode && c.denomination !== undefined && byCode !== byValue) {
    bad('escrowCode', `escrow code 0x${byCode.escrowCode.toString(16)} is not a ${c.denomination} note`);
  }
  const entry =
    byCode ?? byValue ?? (c.escrowCode === undefined && c.denomination === undefined ? table[0] : undefined);

  let rejectReason: number | undefined;
  if (kind !== 'genuine') rejectReason = c.rejectReason ?? 0x77;
  // A note the unit's table does not know fails identification, like a foreign note would.
  else if (!entry) rejectReason = 0x76;
  else if (!denominationEnabled(unit.settings, entry.escrowCode)) rejectReason = 0x79;

  const note: NoteRecord = {
    noteId: `note-${unit.nextNoteNumber++}`,
    kind,
    escrowCode: entry?.escrowCode ?? c.escrowCode,
    denomination: entry ? minorUnitsOf(entry, config.minorPerMajor) : c.denomination,
    rejectReason,
    insertedAt: unit.now,
    where: 'acceptor',
    outcome: 'inPath',
    endedAt: undefined,
  };
  unit.note = note;
  unit.notes.push(note);
  unit.enter('accepting', unit.now + config.timing.acceptingMs);
  return {
    noteId: note.noteId,
    escrowCode: note.escrowCode ?? null,
    denomination: note.denomination ?? null,
    willBe: rejectReason === undefined ? 'escrowed' : 'rejected',
    rejectReason: rejectReason ?? null,
  };
}
