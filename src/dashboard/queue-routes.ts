/**
 * The Queues and Dead-letter queues API: depths of every known queue (each on its own, so one missing queue is
 * named without hiding the others), dead-letter queues and their messages decoded, and the actions: redrive one
 * message or all, delete, purge a queue (the body must repeat the queue's name: the page's confirmation step).
 */

import {
  deleteDeadLetters,
  listDeadLetterQueues,
  redriveDeadLetterQueue,
  showDeadLetters,
} from '../ops/dead-letters.js';
import { knownQueues } from '../ops/ops-context.js';
import { purgeQueues, queueStatus } from '../ops/queues.js';
import { DashboardRequestError, toApiError } from './api-errors.js';
import { type Route, type RouteRequest, SEGMENT } from './route.js';

/** The most queues one `/api/queues?queue=` request may name: each costs two SQS calls and a CloudWatch one. */
const MAX_REQUESTED_QUEUES = 50;

function requestedQueues({ ctx, query }: RouteRequest): string[] {
  const asked = query.getAll('queue').flatMap((q) => q.split(',').map((name) => name.trim()));
  const named = [...new Set(asked.filter(Boolean))];
  if (named.length > MAX_REQUESTED_QUEUES) {
    throw new DashboardRequestError(
      400,
      'bad-request',
      `Name at most ${MAX_REQUESTED_QUEUES} queues at once (asked for ${named.length})`,
    );
  }
  return named.length > 0 ? named : knownQueues(ctx.ops);
}

async function queues(request: RouteRequest): Promise<unknown> {
  const { ctx } = request;
  return {
    sampledAtMs: Date.now(),
    queues: await Promise.all(
      requestedQueues(request).map(async (queue) => {
        try {
          const [status] = await queueStatus(ctx.ops, [queue]);
          return { queue, status };
        } catch (error) {
          return { queue, error: toApiError(error).body };
        }
      }),
    ),
  };
}

async function deadLetterQueues(request: RouteRequest): Promise<unknown> {
  const { ctx } = request;
  const seen = new Set<string>();
  const found: unknown[] = [];
  const errors: unknown[] = [];
  for (const queue of requestedQueues(request)) {
    try {
      for (const dlq of await listDeadLetterQueues(ctx.ops, [queue])) {
        if (seen.has(dlq.url)) continue;
        seen.add(dlq.url);
        found.push(dlq);
      }
    } catch (error) {
      errors.push({ queue, error: toApiError(error).body });
    }
  }
  return { deadLetterQueues: found, errors };
}

function messageIds(body: RouteRequest['body']): string[] | undefined {
  const ids = body.messageIds;
  if (ids === undefined || ids === 'all') return undefined;
  if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string') || ids.length === 0) {
    throw new DashboardRequestError(400, 'bad-request', 'messageIds must be "all" or a list of message ids');
  }
  return ids;
}

/** The routes. */
export const QUEUE_ROUTES: readonly Route[] = [
  { method: 'GET', pattern: /^\/api\/queues$/, handle: queues },
  { method: 'GET', pattern: /^\/api\/dlq$/, handle: deadLetterQueues },
  {
    method: 'GET',
    pattern: new RegExp(`^/api/dlq/${SEGMENT}/messages$`),
    handle: async ({ ctx, params, query }) =>
      await showDeadLetters(ctx.ops, params[0] ?? '', {
        max: Math.min(100, Number(query.get('max') ?? 20) || 20),
      }),
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/api/dlq/${SEGMENT}/redrive$`),
    handle: async ({ ctx, params, body }) => {
      const ids = messageIds(body);
      return await redriveDeadLetterQueue(ctx.ops, params[0] ?? '', ids ? { messageIds: ids } : {});
    },
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/api/dlq/${SEGMENT}/delete$`),
    handle: async ({ ctx, params, body }) => {
      if (body.messageIds === undefined) {
        throw new DashboardRequestError(
          400,
          'bad-request',
          'Say which messages to delete: messageIds, or "all"',
        );
      }
      return await deleteDeadLetters(ctx.ops, params[0] ?? '', messageIds(body) ?? 'all');
    },
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/api/queues/${SEGMENT}/purge$`),
    handle: async ({ ctx, params, body }) => {
      const queue = params[0] ?? '';
      if (body.confirm !== queue) {
        throw new DashboardRequestError(
          400,
          'confirmation-required',
          `Purging deletes every message of ${queue}: confirm by sending {"confirm": ${JSON.stringify(queue)}}`,
        );
      }
      return { purged: await purgeQueues(ctx.ops, [queue]) };
    },
  },
];
