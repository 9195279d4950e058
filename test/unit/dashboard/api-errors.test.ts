/** How the API reports what went wrong: the missing IAM action, the queue that does not exist, a bad request. */
import { describe, expect, it } from 'vitest';
import { backendError } from '../../../src/aws/aws-error.js';
import { queueAdminError } from '../../../src/aws/queue-admin-errors.js';
import { DashboardRequestError, toApiError } from '../../../src/dashboard/api-errors.js';

const sdkError = (name: string, message: string) => Object.assign(new Error(message), { name });
const DENIED =
  'User: arn:aws:iam::123456789012:user/ops is not authorized to perform: dynamodb:Query on resource: arn:aws:dynamodb:us-east-1:123456789012:table/celery';

describe('toApiError', () => {
  it('names the IAM action an SQS call was denied', () => {
    const error = queueAdminError(
      'sqs:GetQueueAttributes',
      'jobs',
      sdkError('AccessDenied', 'Access to the resource is denied'),
    );
    expect(toApiError(error)).toMatchObject({
      status: 403,
      body: { kind: 'permission-denied', action: 'sqs:GetQueueAttributes', resource: 'jobs' },
    });
  });

  it('finds an AccessDenied inside a BackendError (DynamoDB) and names the action from the message', () => {
    const error = backendError(
      'DynamoDB Query(celery, task index)',
      sdkError('AccessDeniedException', DENIED),
    );
    expect(toApiError(error)).toMatchObject({
      status: 403,
      body: {
        kind: 'permission-denied',
        action: 'dynamodb:Query',
        resource: 'arn:aws:dynamodb:us-east-1:123456789012:table/celery',
      },
    });
  });

  it('names a queue that does not exist', () => {
    const error = queueAdminError('sqs:GetQueueUrl', 'missing-q', sdkError('QueueDoesNotExist', 'no'));
    const { status, body } = toApiError(error);
    expect(status).toBe(404);
    expect(body).toMatchObject({ kind: 'queue-not-found', queue: 'missing-q' });
    expect(body.message).toContain('"missing-q"');
  });

  it("keeps a request error's status and kind, and makes anything else a 500 with its message", () => {
    expect(toApiError(new DashboardRequestError(400, 'bad-request', 'nope'))).toEqual({
      status: 400,
      body: { kind: 'bad-request', message: 'nope' },
    });
    expect(toApiError(new RangeError('odd'))).toEqual({
      status: 500,
      body: { kind: 'error', message: 'RangeError: odd' },
    });
  });
});
