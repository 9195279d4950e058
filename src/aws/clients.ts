/**
 * AWS SDK clients, created once per app and reused (in Lambda, across invocations). The same code runs against
 * AWS and any emulator: with an `endpoint`, every client goes there, S3 uses path-style addressing (emulators
 * cannot resolve `<bucket>.localhost`), and SQS ignores the host inside queue URLs (emulators hand out
 * AWS-looking ones); without one, the SDK's regional endpoints apply.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';

/** Where the clients go. */
export interface AwsClientOptions {
  readonly region: string;
  /** An emulator's URL, e.g. `http://127.0.0.1:4566`; none for AWS. */
  readonly endpoint?: string | undefined;
}

/** The SDK clients celeriac uses. */
export interface AwsClients {
  readonly sqs: SQSClient;
  readonly dynamodb: DynamoDBClient;
  readonly s3: S3Client;
}

/** Creates the clients; no network traffic happens until the first call. */
export function createAwsClients(options: AwsClientOptions): AwsClients {
  const { region, endpoint } = options;
  const base = endpoint ? { region, endpoint } : { region };
  return {
    sqs: new SQSClient({ ...base, useQueueUrlAsEndpoint: !endpoint }),
    dynamodb: new DynamoDBClient(base),
    s3: new S3Client({ ...base, forcePathStyle: Boolean(endpoint) }),
  };
}
