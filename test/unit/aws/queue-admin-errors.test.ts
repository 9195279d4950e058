/** How an SDK error of an operator action becomes an error that says what to do. */
import { describe, expect, it } from 'vitest';
import {
  PermissionDeniedError,
  PurgeInProgressError,
  QueueNotFoundError,
  queueAdminError,
} from '../../../src/aws/queue-admin-errors.js';
import { BackendError } from '../../../src/errors.js';
import { serviceError } from './sdk-errors.js';

const URL = 'https://sqs.us-east-1.amazonaws.com/111122223333/tasks';

describe('queueAdminError', () => {
  it('names the IAM action and resource the service denied, from its message when it says', () => {
    const error = queueAdminError(
      'sqs:PurgeQueue',
      URL,
      serviceError(
        'AccessDenied',
        403,
        'User: arn:aws:iam::111122223333:user/ops is not authorized to perform: sqs:GetQueueAttributes on resource: arn:aws:sqs:us-east-1:111122223333:tasks',
      ),
    );
    expect(error).toBeInstanceOf(PermissionDeniedError);
    expect(error).toMatchObject({
      action: 'sqs:GetQueueAttributes',
      resource: 'arn:aws:sqs:us-east-1:111122223333:tasks',
    });
    expect(error.message).toMatch(
      /^Permission denied: sqs:GetQueueAttributes on arn:aws:sqs:us-east-1:111122223333:tasks\. Grant sqs:GetQueueAttributes to these credentials/,
    );
  });

  it('falls back on the action attempted when the denial does not name one', () => {
    const error = queueAdminError(
      'sqs:PurgeQueue',
      URL,
      serviceError('AccessDeniedException', 403, 'Access denied'),
    );
    expect(error).toMatchObject({ name: 'PermissionDeniedError', action: 'sqs:PurgeQueue', resource: URL });
  });

  it('names a queue that does not exist, in every spelling SQS uses', () => {
    for (const code of ['QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue']) {
      const error = queueAdminError('sqs:GetQueueUrl', 'nope', serviceError(code, 400));
      expect(error).toBeInstanceOf(QueueNotFoundError);
      expect(error.message).toMatch(/^No queue "nope" exists in this account and region/);
    }
  });

  it("explains SQS's 60 s purge cooldown", () => {
    const error = queueAdminError(
      'sqs:PurgeQueue',
      URL,
      serviceError('AWS.SimpleQueueService.PurgeQueueInProgress', 403),
    );
    expect(error).toBeInstanceOf(PurgeInProgressError);
    expect(error.message).toMatch(/purged less than 60 s ago .* wait a minute and run the purge again/);
  });

  it('wraps anything else as a BackendError that says whether a retry may help', () => {
    const error = queueAdminError('sqs:ReceiveMessage', URL, serviceError('ServiceUnavailable', 503));
    expect(error).toBeInstanceOf(BackendError);
    expect(error).toMatchObject({ retryable: true, operation: `SQS ReceiveMessage(${URL})` });
  });
});
