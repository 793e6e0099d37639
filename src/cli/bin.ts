#!/usr/bin/env node
import { main } from './main.js';
import { EXIT_FAILURE } from './usage.js';

main(process.argv.slice(2)).then(
  (status) => {
    process.exitCode = status;
    // Every command resolves only once its work is done (the daemon after a clean stop), so a
    // handle still holding the event loop open here is a leak we refuse to hang on.
    setTimeout(() => process.exit(status), 100).unref();
  },
  (error: unknown) => {
    process.stderr.write(`kioskd: ${String(error)}\n`);
    process.exit(EXIT_FAILURE);
  },
);
