import { describe, expect, it } from 'vitest';
import { editDistance, nearestKey } from '../../src/config/nearest-key.js';

describe('nearestKey', () => {
  it('counts a swap of neighbouring letters as one edit', () => {
    expect(editDistance('brokre', 'broker')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  it('suggests the one close key, ignoring case', () => {
    expect(nearestKey('brokre', ['enabled', 'broker', 'topicPrefix'])).toBe('broker');
    expect(nearestKey('KIOSKID', ['kioskId', 'log'])).toBe('kioskId');
  });

  it('suggests nothing when no key is close or two are equally close', () => {
    expect(nearestKey('colour', ['kioskId', 'log', 'api'])).toBeUndefined();
    expect(nearestKey('0x69', ['0x61', '0x62'])).toBeUndefined();
  });
});
