import type { IncomingMessage } from 'node:http';

/**
 * A message body as text, at most `limit` bytes. A body declared or found larger rejects with
 * `tooLarge()` and the rest is read and dropped rather than the socket reset, so a client
 * still gets to read the answer (413) sent for its request. Shared by the kiosk API and the
 * simulators' control channel (request bodies from clients on 127.0.0.1 that must not exhaust
 * the daemon's memory) and the account check (answers from the lookup service, which destroys
 * its request on a rejection since it wants nothing more of that answer).
 */
export function readBoundedBody(req: IncomingMessage, limit: number, tooLarge: () => Error): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > limit) {
      req.resume();
      reject(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', (error) => {
      if (failed) return;
      failed = true;
      reject(error);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}
