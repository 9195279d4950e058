/**
 * A live tail of an EventBridge bus for `celeriac events`: a queue of its own (`celeriac-events-<random>`), a rule
 * on the bus matching `Source: celeriac` whose target is that queue (with a queue policy that lets only that rule
 * send), and long polls of the queue. `close()` removes the target, the rule and the queue. Nothing about a tail
 * touches the workers: they put events on the bus whether anyone listens or not.
 */
import { randomUUID } from 'node:crypto';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { backendError } from './aws-error.js';
import { type AwsClientOptions, sdkClientConfig } from './clients.js';

/** What {@link openEventBusTail} needs. */
export interface EventBusTailOptions {
  readonly sqs: SQSClient;
  /** Region and endpoint of the EventBridge client the tail creates. */
  readonly clientOptions?: Pick<AwsClientOptions, 'region' | 'endpoint'>;
  /** Bus name or ARN. */
  readonly eventBusName: string;
  /** EventBridge `Source` to match. Default `celeriac`. */
  readonly source?: string;
}

/** An open tail. */
export interface EventBusTail {
  /** The next events (each an entry's `detail`), waiting up to `waitSeconds` or until `signal` aborts. */
  receive(waitSeconds: number, signal?: AbortSignal): Promise<unknown[]>;
  /** Removes the rule, its target and the queue. */
  close(): Promise<void>;
}

/** Creates the queue and the rule, and returns the tail. */
export async function openEventBusTail(options: EventBusTailOptions): Promise<EventBusTail> {
  const sdk = await import('@aws-sdk/client-eventbridge');
  const { sqs, eventBusName } = options;
  const eventbridge = new sdk.EventBridgeClient(sdkClientConfig(options.clientOptions));
  const name = `celeriac-events-${randomUUID().slice(0, 8)}`;
  let queueUrl: string | undefined;
  let ruleCreated = false;
  const close = async (): Promise<void> => {
    if (ruleCreated) {
      await eventbridge
        .send(new sdk.RemoveTargetsCommand({ Rule: name, EventBusName: eventBusName, Ids: ['tail'] }))
        .catch(() => undefined);
      await eventbridge
        .send(new sdk.DeleteRuleCommand({ Name: name, EventBusName: eventBusName }))
        .catch(() => undefined);
    }
    if (queueUrl) await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl })).catch(() => undefined);
  };
  try {
    ({ QueueUrl: queueUrl } = await sqs.send(
      new CreateQueueCommand({ QueueName: name, Attributes: { MessageRetentionPeriod: '3600' } }),
    ));
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
    );
    const queueArn = Attributes?.QueueArn ?? '';
    const { RuleArn } = await eventbridge.send(
      new sdk.PutRuleCommand({
        Name: name,
        EventBusName: eventBusName,
        EventPattern: JSON.stringify({ source: [options.source ?? 'celeriac'] }),
        Description: 'celeriac events: a live tail, removed when it closes',
      }),
    );
    ruleCreated = true;
    await sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: queueUrl,
        Attributes: {
          Policy: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Principal: { Service: 'events.amazonaws.com' },
                Action: 'sqs:SendMessage',
                Resource: queueArn,
                Condition: { ArnEquals: { 'aws:SourceArn': RuleArn } },
              },
            ],
          }),
        },
      }),
    );
    await eventbridge.send(
      new sdk.PutTargetsCommand({
        Rule: name,
        EventBusName: eventBusName,
        Targets: [{ Id: 'tail', Arn: queueArn }],
      }),
    );
  } catch (error) {
    await close();
    throw backendError(`opening an event tail on ${eventBusName}`, error);
  }
  const url = queueUrl ?? '';
  return {
    async receive(waitSeconds: number, signal?: AbortSignal): Promise<unknown[]> {
      let Messages: Message[];
      try {
        ({ Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: waitSeconds }),
          signal ? { abortSignal: signal } : {},
        ));
      } catch (error) {
        if (signal?.aborted) return [];
        throw backendError(`SQS ReceiveMessage(${url})`, error);
      }
      if (Messages.length === 0) return [];
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: url,
          Entries: Messages.map((message, i) => ({
            Id: String(i),
            ReceiptHandle: message.ReceiptHandle ?? '',
          })),
        }),
      );
      return Messages.flatMap((message) => {
        try {
          const entry = JSON.parse(message.Body ?? '') as { detail?: unknown };
          return entry.detail === undefined ? [] : [entry.detail];
        } catch {
          return [];
        }
      });
    },
    async close(): Promise<void> {
      await close();
      eventbridge.destroy();
    },
  };
}
