import { bitCount } from './bytes.js';

export type CounterStep = { ok: true; counter: number } | { ok: false; reason: 'dukptOverflow' };

/**
 * The next transaction counter after `counter` with at most `maxOneBits` one-bits, or
 * dukptOverflow when none is left at or below `maxCounter`. DUKPT bounds the one-bits so
 * the pad never needs more than that many derivations per key; a counter past the limit is
 * skipped by adding its lowest set bit, which carries into the next usable value. Running
 * out is final: the counter never wraps, so no key is ever used twice.
 */
export function nextCounter(counter: number, maxCounter: number, maxOneBits: number): CounterStep {
  let next = counter + 1;
  while (next <= maxCounter && bitCount(next) > maxOneBits) next += (next & -next) >>> 0;
  return next > maxCounter ? { ok: false, reason: 'dukptOverflow' } : { ok: true, counter: next };
}
