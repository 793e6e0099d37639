export * from './fleet-link.js';
export * from './fleet-link-config.js';
export * from './fleet-link-context.js';
export * from './kiosk-status-board.js';
export * from './start-fleet-link.js';
export * from './status-board-commands.js';
