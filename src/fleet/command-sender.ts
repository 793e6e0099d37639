import type { KeyObject } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { ErrorCode, KioskError } from '../../core/errors.js';
import {
  COMMAND_ACTIONS,
  type CommandAction,
  type CommandEnvelope,
  type CommandResult,
  commandArgsSchemas,
  commandEnvelopeSchema,
  commandResultSchema,
  DEFAULT_TOPIC_PREFIX,
  kioskTopics,
  signCommand,
} from '../fleet-protocol/index.js';
import { createUlidFactory } from '../journal/ulid.js';

/**
 * Sends one signed command to one kiosk and waits for its result. The result topic is
 * subscribed before the command goes out, so a fast kiosk's answer is not missed; results
 * of other commands (other operators, earlier runs) are told apart by `cmdId`.
 */
export interface CommandRequest {
  kioskId: string;
  action: string;
  args: Record<string, unknown>;
}

export interface SendCommandOptions {
  client: MqttClient;
  privateKey: KeyObject;
  topicPrefix?: string;
  timeoutMs: number;
  /** How long the kiosk may accept it after issue. */
  validForMs: number;
  clock?: () => Date;
}

export type CommandOutcome =
  | { kind: 'result'; envelope: CommandEnvelope; result: CommandResult }
  | { kind: 'timeout'; envelope: CommandEnvelope };

const nextCmdId = createUlidFactory();

/** Checks the action and its args as the kiosk will, so an operator's typo fails here. */
export function checkCommand(request: CommandRequest): {
  action: CommandAction;
  args: Record<string, unknown>;
} {
  const action = COMMAND_ACTIONS.find((a) => a === request.action);
  if (action === undefined) {
    throw new KioskError(
      ErrorCode.FleetBadPayload,
      `unknown action "${request.action}" (expected one of ${COMMAND_ACTIONS.join(', ')})`,
      { details: { action: request.action } },
    );
  }
  const result = commandArgsSchemas[action].safeParse(request.args);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue?.path.length ? issue.path.map(String).join('.') : 'args';
    throw new KioskError(ErrorCode.FleetBadPayload, `${action} ${where}: ${issue?.message ?? 'invalid'}`, {
      details: { action, issues: result.error.issues.map((i) => i.message) },
    });
  }
  return { action, args: result.data as Record<string, unknown> };
}

export function buildCommand(
  request: CommandRequest,
  privateKey: KeyObject,
  now: Date,
  validForMs: number,
): CommandEnvelope {
  const { action, args } = checkCommand(request);
  const envelope = signCommand(
    {
      cmdId: nextCmdId(),
      kioskId: request.kioskId,
      action,
      args,
      issuedAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + validForMs).toISOString(),
    },
    privateKey,
  );
  const checked = commandEnvelopeSchema.safeParse(envelope);
  if (!checked.success) {
    throw new KioskError(ErrorCode.FleetBadPayload, `kiosk id "${request.kioskId}" cannot be addressed`, {
      details: { kioskId: request.kioskId },
    });
  }
  return checked.data;
}

export async function sendCommand(
  request: CommandRequest,
  options: SendCommandOptions,
): Promise<CommandOutcome> {
  const clock = options.clock ?? (() => new Date());
  const envelope = buildCommand(request, options.privateKey, clock(), options.validForMs);
  const topics = kioskTopics(request.kioskId, options.topicPrefix ?? DEFAULT_TOPIC_PREFIX);
  const { client } = options;
  let onMessage: ((topic: string, payload: Buffer) => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  const answered = new Promise<CommandOutcome>((resolve) => {
    onMessage = (topic, payload) => {
      if (topic !== topics.cmdResult) return;
      let json: unknown;
      try {
        json = JSON.parse(payload.toString());
      } catch {
        return;
      }
      const result = commandResultSchema.safeParse(json);
      if (!result.success || result.data.cmdId !== envelope.cmdId) return;
      resolve({ kind: 'result', envelope, result: result.data });
    };
    client.on('message', onMessage);
  });
  try {
    const granted = await client.subscribeAsync(topics.cmdResult, { qos: 1 });
    if (granted.some((g) => g.qos >= 128)) {
      throw new KioskError(
        ErrorCode.FleetConnect,
        `the broker refused a subscription to ${topics.cmdResult} (ACL?)`,
      );
    }
    await client.publishAsync(topics.cmd, JSON.stringify(envelope), { qos: 1 });
    const timedOut = new Promise<CommandOutcome>((resolve) => {
      timer = setTimeout(() => resolve({ kind: 'timeout', envelope }), options.timeoutMs);
    });
    return await Promise.race([answered, timedOut]);
  } finally {
    clearTimeout(timer);
    if (onMessage) client.removeListener('message', onMessage);
  }
}
