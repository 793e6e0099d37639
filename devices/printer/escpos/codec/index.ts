export * from './commands.js';
export * from './document-encoder.js';
export * from './line-wrap.js';
export * from './print-stream-decoder.js';
export * from './printable-text.js';
export * from './qr-code.js';
export * from './status-bytes.js';
export * from './status-parser.js';
