/**
 * A dead letter as an operator reads it: the Celery task it carries (id, name, args, kwargs, retries, ETA) and
 * the FAILURE stored for it, if any; or, for a message that is not a Celery task, its raw text and why it could
 * not be decoded. Decoding uses the app's own settings (accepted content, signature verifier, size limits), so
 * what this calls undecodable is what the workers refused.
 */
import type { PeekedMessage } from '../aws/sqs-queue-admin.js';
import { toMessageAttribute } from '../ports/message-attribute.js';
import { decodeTaskMessageAsync } from '../protocol/task-message.js';
import type { OpsContext } from './ops-context.js';

/** The stored outcome of a dead-lettered task. */
export interface StoredOutcome {
  readonly state: string;
  /** The exception in Celery's shape for FAILURE; the value otherwise. */
  readonly result: unknown;
  readonly traceback: string | null;
}

/** One dead letter, decoded when it can be. */
export interface DeadLetterView {
  readonly messageId: string;
  /** Receives so far (the look that read it included). */
  readonly receiveCount: number;
  /** When it was first sent (ISO 8601), if SQS said. */
  readonly sentAt: string | null;
  /** The queue it was dead-lettered from (its ARN), if SQS said. */
  readonly sourceArn: string | null;
  /** The task, when the body is a Celery task message. */
  readonly task?: {
    readonly id: string;
    readonly name: string;
    readonly args: readonly unknown[];
    readonly kwargs: Readonly<Record<string, unknown>>;
    readonly retries: number;
    readonly eta: string | null;
  };
  /** What the result store holds for the task id, if anything. */
  readonly stored?: StoredOutcome;
  /** The body as received, when it could not be decoded. */
  readonly raw?: string;
  /** Why it could not be decoded. */
  readonly decodeError?: string;
}

/** Decodes one dead letter (resolving an S3 pointer) and reads its stored outcome. */
export async function describeDeadLetter(ctx: OpsContext, message: PeekedMessage): Promise<DeadLetterView> {
  const base = {
    messageId: message.messageId,
    receiveCount: message.receiveCount,
    sentAt: message.sentTimestampMs === undefined ? null : new Date(message.sentTimestampMs).toISOString(),
    sourceArn: message.sourceArn ?? null,
  };
  const { runtime } = ctx.app;
  const settings = runtime.settings;
  let decoded: Awaited<ReturnType<typeof decodeTaskMessageAsync>>;
  try {
    const attributes = Object.fromEntries(
      Object.entries(message.attributes).map(([key, value]) => [key, toMessageAttribute('String', value)]),
    );
    const body = await runtime.payloads.resolveMessage(message.body, attributes);
    decoded = await decodeTaskMessageAsync(body, {
      maxPayloadBytes: settings.maxPayloadBytes,
      maxBzip2Bytes: settings.maxBzip2Bytes,
      acceptContent: settings.acceptContent,
      ...(settings.verifier ? { verifier: settings.verifier } : {}),
      exactValues: settings.exactValues,
    });
  } catch (error) {
    return {
      ...base,
      raw: message.body,
      decodeError: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    };
  }
  const { headers } = decoded;
  const stored = await runtime.results.get(headers.id);
  return {
    ...base,
    task: {
      id: headers.id,
      name: headers.task,
      args: decoded.args,
      kwargs: decoded.kwargs,
      retries: headers.retries ?? 0,
      eta: headers.eta ?? null,
    },
    ...(stored
      ? { stored: { state: stored.status, result: stored.result, traceback: stored.traceback ?? null } }
      : {}),
  };
}
