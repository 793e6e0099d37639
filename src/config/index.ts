export { type ConfigFormat, parseConfigText } from './config-text.js';
export { embeddedDemoConfigPath } from './demo-config-path.js';
export { parseEd25519PublicKey, readEd25519PublicKey } from './ed25519-public-key.js';
export { configJsonSchema } from './json-schema.js';
export { loadConfigFile } from './load-config-file.js';
export { parseConfig } from './parse-config.js';
export { type KioskConfig, type KioskConfigInput, kioskConfigSchema } from './schema.js';
