import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';

describe('log redaction of PIN blocks and KSNs', () => {
  it.each(['trace', 'info'] as const)(
    'redacts pinBlock and ksn fields at %s, up to two levels down',
    (level) => {
      const stream = new PassThrough();
      const lines: string[] = [];
      stream.on('data', (chunk: Buffer) => lines.push(chunk.toString('utf8')));
      const logger = createLogger({ level, destination: stream });
      const block = 'c0febabe24681099';
      const ksn = 'ffff9876543210e00007';
      logger.info({ pinBlock: block, ksn }, 'top level');
      logger.info({ request: { pinBlock: block, ksn } }, 'one down');
      logger.child({ component: 'x' }).info({ query: { body: { pinBlock: block, ksn } } }, 'two down');
      const text = lines.join('');
      expect(lines).toHaveLength(3);
      expect(text).not.toContain(block);
      expect(text).not.toContain(ksn);
      expect(text.match(/\[redacted\]/g)).toHaveLength(6);
    },
  );
});
