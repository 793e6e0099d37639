import { describe, expect, it } from 'vitest';
import { startControlServer } from '../../../simulators/harness/control-server.js';
import { SimulatorRegistry } from '../../../simulators/harness/simulator-registry.js';

describe('simulator control server address', () => {
  it('listens on the loopback host it is given (::1), not always on 127.0.0.1', async () => {
    const server = await startControlServer({ devices: new SimulatorRegistry(), host: '::1' });
    try {
      expect(server.url).toMatch(/^http:\/\/\[::1\]:\d+$/);
      const answer = await fetch(`${server.url}/devices`);
      expect(answer.status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
