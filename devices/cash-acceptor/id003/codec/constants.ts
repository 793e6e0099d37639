/**
 * Every byte value of JCM ID-003 the codec, driver and simulator share, named once.
 * Sources: PROTOCOLS.md (ID-003 section); codes PROTOCOLS.md lists only as a range or
 * not at all are marked with where they come from.
 */

/** Host → acceptor command codes. */
export const Id003Command = {
  StatusRequest: 0x11,
  Ack: 0x50,
  Reset: 0x40,
  Stack1: 0x41,
  Stack2: 0x42,
  Return: 0x43,
  Hold: 0x44,
  /** Unverified: listed in public implementations, not confirmed against the JCM manual. */
  Wait: 0x45,
  SetEnable: 0xc0,
  SetSecurity: 0xc1,
  SetCommunicationMode: 0xc2,
  SetInhibit: 0xc3,
  SetDirection: 0xc4,
  /** Unverified: data layout not confirmed against the JCM manual. */
  SetOptionalFunction: 0xc5,
  SetBarcodeFunction: 0xc6,
  SetBarInhibit: 0xc7,
  GetEnable: 0x80,
  GetSecurity: 0x81,
  GetCommunicationMode: 0x82,
  GetInhibit: 0x83,
  GetDirection: 0x84,
  GetOptionalFunction: 0x85,
  GetVersion: 0x88,
  GetBootVersion: 0x89,
  GetCurrencyAssignment: 0x8a,
} as const;
export type Id003CommandCode = (typeof Id003Command)[keyof typeof Id003Command];

/**
 * Acceptor → host status codes. They share numbers with commands (0x11, 0x40–0x45), so a
 * frame can only be interpreted once its direction is known.
 */
export const Id003Status = {
  Idling: 0x11,
  Accepting: 0x12,
  Escrow: 0x13,
  Stacking: 0x14,
  VendValid: 0x15,
  Stacked: 0x16,
  Rejecting: 0x17,
  Returning: 0x18,
  Holding: 0x19,
  Disabled: 0x1a,
  Initialize: 0x1b,
  PowerUp: 0x40,
  PowerUpBillInAcceptor: 0x41,
  PowerUpBillInStacker: 0x42,
  StackerFull: 0x43,
  StackerOpen: 0x44,
  JamInAcceptor: 0x45,
  JamInStacker: 0x46,
  Pause: 0x47,
  Cheated: 0x48,
  Failure: 0x49,
  CommunicationError: 0x4a,
  InvalidCommand: 0x4b,
} as const;
export type Id003StatusCode = (typeof Id003Status)[keyof typeof Id003Status];

/** The reply to an operation command (RESET, STACK, RETURN, HOLD, WAIT) shares 0x50 with the host's ACK. */
export const Id003ReplyAck = 0x50;

/** Escrow codes: 0x61 + n is the note enabled by bit n of the SET ENABLE mask. */
export const ESCROW_CODE_FIRST = 0x61;
export const ESCROW_CODE_LAST = 0x68;
/** A ticket with a barcode; the barcode characters follow the code in the ESCROW data. */
export const ESCROW_CODE_BARCODE_TICKET = 0x6f;

export type RejectReasonName =
  | 'insertion'
  | 'magnetic'
  | 'remainedBillInHead'
  | 'multiplyAmplitude'
  | 'conveying'
  | 'identification'
  | 'photoPattern'
  | 'photoLevel'
  | 'inhibited'
  | 'operation'
  | 'billInTransportAtWrongTime'
  | 'length'
  | 'colourPattern'
  | 'counterfeit';

/** Reject reasons carried by REJECTING (0x17). */
export const REJECT_REASONS: Record<number, RejectReasonName> = {
  113: 'insertion',
  114: 'magnetic',
  115: 'remainedBillInHead',
  116: 'multiplyAmplitude',
  117: 'conveying',
  118: 'identification',
  119: 'photoPattern',
  120: 'photoLevel',
  121: 'inhibited',
  123: 'operation',
  124: 'billInTransportAtWrongTime',
  125: 'length',
  126: 'colourPattern',
  // Unverified: not in PROTOCOLS.md; seen in public ID-003 firmware headers ("counterfeit feature").
  127: 'counterfeit',
};

export type FailureName =
  | 'stackMotor'
  | 'transportMotorSpeed'
  | 'transportMotor'
  | 'aligningMotor'
  | 'solenoid'
  | 'pbUnit'
  | 'cashboxNotReady'
  | 'optical'
  | 'magnetic'
  | 'headRemoved'
  | 'bootRom'
  | 'externalRom'
  | 'ram'
  | 'externalRomWriting';

/** Failure codes carried by FAILURE (0x49). */
export const FAILURE_CODES: Record<number, FailureName> = {
  162: 'stackMotor',
  165: 'transportMotorSpeed',
  166: 'transportMotor',
  167: 'aligningMotor',
  // Unverified: A8/A9 are not in PROTOCOLS.md; named after public ID-003 implementations.
  168: 'solenoid',
  169: 'pbUnit',
  171: 'cashboxNotReady',
  172: 'optical',
  173: 'magnetic',
  175: 'headRemoved',
  // Unverified: PROTOCOLS.md only says "B0–B3 ROM/RAM faults"; the split below is what
  // several public implementations agree on.
  176: 'bootRom',
  177: 'externalRom',
  178: 'ram',
  179: 'externalRomWriting',
};

export const SYNC = 0xfc;
/** SYNC, LNG, code and two CRC bytes: a frame with no data. */
export const MIN_FRAME_LENGTH = 5;
/** LNG is one byte, so no frame is longer. */
export const MAX_FRAME_LENGTH = 255;
/** SYNC, LNG, code before the data; CRC after it. */
export const FRAME_OVERHEAD = MIN_FRAME_LENGTH;
export const MAX_DATA_LENGTH = MAX_FRAME_LENGTH - FRAME_OVERHEAD;
