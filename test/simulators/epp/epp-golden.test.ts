import { describe, expect, it } from 'vitest';
import { frameText, PadRig } from './pad-rig.js';

/** STX + text + ETX, the way epp.md writes its golden frames. */
const frame = (text: string) => Uint8Array.from([0x02, ...Buffer.from(text, 'latin1'), 0x03]);

/** The text of every frame the pad sent since `from`. */
function sentSince(rig: PadRig, from: number): string[] {
  return rig.chunks.slice(from).map((c) => frameText(c.hex));
}

describe('epp simulator: the golden frames of docs/devices/epp.md', () => {
  it('answers getStatus with the status frame of a fresh TDES pad', () => {
    const rig = new PadRig();
    rig.sendBytes(frame('013130'));
    rig.quiet();
    expect(sentSince(rig, 0)).toEqual(['183100000100074550502D53494D043030303105312E302E3021']);
  });

  it('answers reset OK', () => {
    const rig = new PadRig();
    rig.sendBytes(frame('013031'));
    rig.quiet();
    expect(sentSince(rig, 0)).toEqual(['02300032']);
  });

  it('answers the golden beep and cancelEntry frames OK (check: 02^32^00 = 30, 02^42^00 = 40)', () => {
    const rig = new PadRig();
    rig.sendBytes(frame('033200C8F9'));
    rig.quiet();
    rig.sendBytes(frame('014243'));
    rig.quiet();
    expect(sentSince(rig, 0)).toEqual(['02320030', '02420040']);
    expect((rig.snapshot()['counters'] as { beeps: number }).beeps).toBe(1);
  });

  it('masks each PIN digit as *, then sends enter and the end of the entry with 6 digits', () => {
    const rig = new PadRig();
    rig.send({ kind: 'startPinEntry', minLength: 4, maxLength: 6, timeoutMs: 30_000, autoEnd: false });
    const from = rig.chunks.length;
    rig.press('246810E');
    expect(sentSince(rig, from)).toEqual([...Array(6).fill('02502A78'), '02500D5F', '0352000657']);
  });

  it('refuses getPinBlock with no PIN held: noPin', () => {
    const rig = new PadRig();
    rig.sendBytes(frame('0D430031333830303133383030307E'));
    rig.quiet();
    expect(sentSince(rig, 0)).toEqual(['0243E3A2']);
  });

  it('makes the PROTOCOLS.md format-0 block at KSN …E00001 for PIN 1234, account 4012345678909', () => {
    const rig = new PadRig();
    rig.send({ kind: 'startPinEntry', minLength: 4, maxLength: 12, timeoutMs: 30_000, autoEnd: false });
    rig.press('1234E');
    const from = rig.chunks.length;
    rig.send({ kind: 'getPinBlock', format: 'iso0', account: '4012345678909' });
    expect(sentSince(rig, from)).toEqual(['154300001B9C1845EB993A7AFFFF9876543210E00001C7']);
  });

  it('shows data-entry digits in clear and ends with the value typed', () => {
    const rig = new PadRig();
    rig.send({ kind: 'startDataEntry', minLength: 11, maxLength: 11, timeoutMs: 60_000, autoEnd: false });
    const from = rig.chunks.length;
    rig.press('5B13800138000E');
    const sent = sentSince(rig, from);
    expect(sent[0]).toBe('02513566');
    expect(sent.at(-1)).toBe('0D530031333830303133383030306E');
  });

  it('takes the golden startPinEntry and startDataEntry frames (6–6 autoEnd, 11–11 autoEnd)', () => {
    const rig = new PadRig();
    rig.sendBytes(frame('0840060600007530010C'));
    rig.quiet();
    // OK reply to 40: LEN 02, CODE 40, status 00, check 02^40^00 = 42.
    expect(sentSince(rig, 0)).toEqual(['02400042']);
    rig.press('246810');
    // autoEnd: the sixth digit ends the entry by itself: completion 01 (auto), 6 digits, check 56.
    expect(sentSince(rig, 1)).toEqual([...Array(6).fill('02502A78'), '0352010656']);
    const mark = rig.chunks.length;
    rig.sendBytes(frame('08410B0B0000EA6001C2'));
    rig.quiet();
    expect(sentSince(rig, mark)).toEqual(['02410043']);
  });

  it('answers getPinBlock with dukptOverflow once the TDES counter is spent', () => {
    // 0x1FF800 is the last TDES counter with at most 10 one-bits below 0x1FFFFF.
    const rig = new PadRig({ initialCounter: 0x1f_f800 });
    rig.send({ kind: 'startPinEntry', minLength: 4, maxLength: 12, timeoutMs: 30_000, autoEnd: false });
    rig.press('246810E');
    const from = rig.chunks.length;
    rig.sendBytes(frame('0D430031333830303133383030307E'));
    rig.quiet();
    expect(sentSince(rig, from)).toEqual(['0243E4A5']);
  });
});
