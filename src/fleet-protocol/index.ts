export * from './canonical-json.js';
export * from './command-signature.js';
export * from './ed25519-signature.js';
export * from './mqtt-client-tuning.js';
export * from './payloads.js';
export * from './payment-ack-signature.js';
export * from './topics.js';
