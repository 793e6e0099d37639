export * from './constants.js';
export { decodeFrame, decodeFrameBody, type EppFrame, encodeFrame, type FrameBodyResult } from './frame.js';
export {
  EppFrameParser,
  type EppFrameParserOptions,
  type EppFrameParserStats,
  type EppStreamItem,
} from './frame-parser.js';
export {
  decodeCommand,
  decodePadMessage,
  type EppDataKey,
  type EppEntrySettings,
  type EppHostCommand,
  type EppIdentity,
  type EppPadMessage,
  type EppPinKey,
  encodeCommand,
  encodePadMessage,
} from './messages.js';
