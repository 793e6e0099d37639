export * from './canonical-json.js';
export * from './command-signature.js';
export * from './mqtt-client-tuning.js';
export * from './payloads.js';
export * from './topics.js';
