export * from './constants.js';
export * from './crc.js';
export * from './frame.js';
export * from './frame-parser.js';
export * from './frame-stream.js';
export * from './messages.js';
