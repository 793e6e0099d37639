import { describe, expect, it } from 'vitest';
import { configJsonSchema } from '../../src/config/index.js';

describe('configJsonSchema', () => {
  it('describes what an operator may write: strict at every level, only kioskId required', () => {
    const schema = configJsonSchema() as {
      type: string;
      required: string[];
      additionalProperties: boolean;
      properties: Record<string, { additionalProperties?: boolean; properties?: Record<string, unknown> }>;
    };
    expect(schema.type).toBe('object');
    expect(schema.properties['kioskId']).toMatchObject({
      type: 'string',
      pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$',
    });
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(['kioskId']);
    expect(schema.properties['fleet']?.additionalProperties).toBe(false);
    const devices = schema.properties['devices']?.properties as Record<
      string,
      { oneOf: { properties: Record<string, unknown>; additionalProperties: boolean }[] }
    >;
    // One shape per acceptor protocol, told apart by `protocol`.
    const shapes = devices['cashAcceptor']?.oneOf ?? [];
    expect(shapes.map((shape) => shape.properties['protocol'])).toEqual([
      { type: 'string', const: 'id003', default: 'id003' },
    ]);
    const id003 = shapes[0]!;
    expect(id003.additionalProperties).toBe(false);
    expect(Object.keys(id003.properties)).toEqual(
      expect.arrayContaining(['stackCommand', 'denominationOverride']),
    );
    expect(id003.properties['pollIntervalMs']).toMatchObject({
      type: 'integer',
      // 10 for a sim: port; a real port's floor of 100 is a cross-field rule JSON Schema does not carry.
      minimum: 10,
      maximum: 200,
      default: 150,
    });
  });

  it('is plain JSON', () => {
    const schema = configJsonSchema();
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema);
  });
});
