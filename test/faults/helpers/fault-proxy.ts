/**
 * A fault-injecting HTTP proxy on 127.0.0.1 in front of the emulator. Worker processes point their AWS SDK at it
 * (`AWS_ENDPOINT_URL`); the proxy forwards every request to the emulator unless a rule says otherwise.
 *
 * How rules are applied:
 * - The operation is read from the AWS JSON protocol's `X-Amz-Target` header (`AmazonSQS.SendMessage`,
 *   `DynamoDB_20120810.PutItem`); requests without one (S3's REST calls) are named `S3.<METHOD>`.
 * - Rules are tried in order; the first whose `match` accepts the operation and whose budget (`count`) is not
 *   spent fires with its `probability` (default 1), drawn from a seeded generator, so a run is reproducible.
 * - Error answers have the exact shape real AWS sends for the JSON protocol (`{"__type": ..., "message": ...}`,
 *   plus `x-amzn-query-error` for SQS, which speaks JSON in query-compatible mode), so the SDK classifies them
 *   as it would the real thing: its retry strategy retries throttling and 5xx, and gives up on the rest.
 * - `freeze(ms)` holds every request that arrives (or is waiting) until the freeze ends, then forwards it.
 * Every request and every injected fault is counted per operation ({@link FaultProxy.stats}).
 */
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** The faults the proxy can inject. */
export const FaultKind = {
  /** HTTP 400 (403 for SQS) with the service's throttling error: SQS `RequestThrottled`, DynamoDB `ProvisionedThroughputExceededException`. */
  Throttle: 'throttle',
  /** HTTP 400 `ThrottlingException` (DynamoDB's control-plane and newer throttling error; SQS has no such shape). */
  ThrottlingException: 'throttling-exception',
  /** HTTP 500 with the service's internal error. */
  Internal500: '500',
  /** HTTP 503 `ServiceUnavailable`. */
  Unavailable503: '503',
  /** Destroy the client's socket before the request reaches the emulator. */
  ResetBefore: 'reset-before',
  /** Forward the request, let the emulator process it, then destroy the client's socket without answering. */
  ResetAfter: 'reset-after',
  /** SQS `KmsThrottled` (`KMS.ThrottlingException`), as SQS answers when its KMS key is throttled. */
  KmsThrottled: 'kms-throttled',
  /** Accept the request and never answer (until the proxy stops). */
  Hang: 'hang',
  /** Forward the request, then hold the emulator's answer for the rule's `delayMs` (a slow network). */
  SlowAnswer: 'slow-answer',
} as const;
export type FaultKind = (typeof FaultKind)[keyof typeof FaultKind];

/** One injection rule. */
export interface FaultRule {
  /** Which operations: an exact name (`AmazonSQS.SendMessage`), a pattern, or a predicate. */
  readonly match: string | RegExp | ((operation: string) => boolean);
  readonly fault: FaultKind;
  /** Chance that a matching request gets the fault, 0-1. Default 1. */
  readonly probability?: number;
  /** At most this many injections by this rule. Default: no limit. */
  readonly count?: number;
  /** Let this many matching requests through before the rule may fire. Default 0. */
  readonly skip?: number;
  /** For {@link FaultKind.SlowAnswer}: how long to hold the answer. Default 1000 ms. */
  readonly delayMs?: number;
}

/** What went through the proxy, per operation. */
export interface FaultStats {
  /** Requests received, by operation. */
  readonly requests: Record<string, number>;
  /** Faults injected, by operation and kind. */
  readonly faults: Record<string, Partial<Record<FaultKind, number>>>;
  /** Faults injected, by kind. */
  readonly faultsByKind: Partial<Record<FaultKind, number>>;
  readonly totalRequests: number;
  readonly totalFaults: number;
  /** Requests held by a freeze. */
  readonly frozen: number;
}

/** A message the emulator handed out through the proxy (from a `ReceiveMessage` answer). */
export interface ObservedMessage {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  readonly atMs: number;
}

/** A running proxy. */
export interface FaultProxy {
  /** `http://127.0.0.1:<port>`: give it to the SDK as `AWS_ENDPOINT_URL`. */
  readonly endpoint: string;
  /** Replaces the rules (the RNG keeps its sequence). */
  setRules(rules: readonly FaultRule[]): void;
  /** Holds every request for `ms` from now. */
  freeze(ms: number): void;
  stats(): FaultStats;
  /** Messages seen in `ReceiveMessage` answers, oldest first. */
  received(): readonly ObservedMessage[];
  /** Stops listening and destroys every open connection (hung requests included). */
  stop(): Promise<void>;
}

/** mulberry32: a small seeded generator, so a run's faults are the same every time for the same seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** The operation a request calls: the `X-Amz-Target`, or `S3.<METHOD>` for REST calls. */
export function operationOf(request: IncomingMessage): string {
  const target = request.headers['x-amz-target'];
  if (typeof target === 'string' && target.length > 0) return target;
  return `S3.${request.method ?? 'GET'}`;
}

const matches = (rule: FaultRule, operation: string): boolean =>
  typeof rule.match === 'string'
    ? rule.match === operation
    : rule.match instanceof RegExp
      ? rule.match.test(operation)
      : rule.match(operation);

interface ErrorAnswer {
  readonly status: number;
  readonly type: string;
  readonly message: string;
  /** SQS's query-compatible error code and fault, for `x-amzn-query-error`. */
  readonly queryError?: string;
}

/** The error real AWS would send for this fault on this operation. */
export function errorAnswer(fault: FaultKind, operation: string): ErrorAnswer | undefined {
  const sqs = operation.startsWith('AmazonSQS.');
  const dynamodb = operation.startsWith('DynamoDB_');
  const ns = sqs ? 'com.amazonaws.sqs#' : dynamodb ? 'com.amazonaws.dynamodb.v20120810#' : '';
  switch (fault) {
    case FaultKind.Throttle:
      return sqs
        ? {
            status: 403,
            type: `${ns}RequestThrottled`,
            message: 'Rate exceeded',
            queryError: 'RequestThrottled;Sender',
          }
        : {
            status: 400,
            type: `${ns}ProvisionedThroughputExceededException`,
            message:
              'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
          };
    case FaultKind.ThrottlingException:
      return sqs
        ? {
            status: 403,
            type: `${ns}RequestThrottled`,
            message: 'Rate exceeded',
            queryError: 'RequestThrottled;Sender',
          }
        : {
            status: 400,
            type: 'com.amazon.coral.availability#ThrottlingException',
            message: 'Rate exceeded',
          };
    case FaultKind.KmsThrottled:
      return {
        status: 400,
        type: `${ns}KmsThrottled`,
        message: 'The request was denied due to request throttling. (Service: AWSKMS; Status Code: 400)',
        queryError: 'KMS.ThrottlingException;Sender',
      };
    case FaultKind.Internal500:
      return sqs
        ? {
            status: 500,
            type: `${ns}InternalError`,
            message: 'We encountered an internal error. Please try again.',
            queryError: 'InternalError;Receiver',
          }
        : { status: 500, type: `${ns}InternalServerError`, message: 'Internal server error' };
    case FaultKind.Unavailable503:
      return {
        status: 503,
        type: `${ns}ServiceUnavailable`,
        message: 'Service Unavailable',
        ...(sqs ? { queryError: 'ServiceUnavailable;Receiver' } : {}),
      };
    default:
      return undefined;
  }
}

function sendError(response: ServerResponse, answer: ErrorAnswer): void {
  const body = JSON.stringify({ __type: answer.type, message: answer.message });
  response.writeHead(answer.status, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': globalThis.crypto.randomUUID(),
    ...(answer.queryError ? { 'x-amzn-query-error': answer.queryError } : {}),
  });
  response.end(body);
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Starts a proxy in front of `upstream` (the emulator's base URL).
 *
 * @example
 * const proxy = await startFaultProxy(process.env.AWS_ENDPOINT_URL, {
 *   seed: 7,
 *   rules: [{ match: /^DynamoDB_/, fault: FaultKind.Throttle, probability: 0.1 }],
 * });
 * startCli([...], { AWS_ENDPOINT_URL: proxy.endpoint });
 */
export async function startFaultProxy(
  upstream: string,
  options: { seed?: number; rules?: readonly FaultRule[] } = {},
): Promise<FaultProxy> {
  const target = new URL(upstream);
  const random = seededRandom(options.seed ?? 1);
  let rules = [...(options.rules ?? [])];
  let used = new Map<FaultRule, { seen: number; fired: number }>();
  let frozenUntil = 0;
  let frozen = 0;
  const requests: Record<string, number> = {};
  const faults: Record<string, Partial<Record<FaultKind, number>>> = {};
  const received: ObservedMessage[] = [];
  const sockets = new Set<Socket>();

  const pick = (operation: string): FaultRule | undefined => {
    for (const rule of rules) {
      if (!matches(rule, operation)) continue;
      const state = used.get(rule) ?? { seen: 0, fired: 0 };
      used.set(rule, state);
      state.seen++;
      if (state.seen <= (rule.skip ?? 0)) continue;
      if (rule.count !== undefined && state.fired >= rule.count) continue;
      if (random() >= (rule.probability ?? 1)) continue;
      state.fired++;
      return rule;
    }
    return undefined;
  };

  const count = (operation: string, fault: FaultKind): void => {
    const byKind = faults[operation] ?? {};
    byKind[fault] = (byKind[fault] ?? 0) + 1;
    faults[operation] = byKind;
  };

  const observe = (operation: string, body: Buffer): void => {
    if (operation !== 'AmazonSQS.ReceiveMessage') return;
    try {
      const parsed = JSON.parse(body.toString('utf8')) as {
        Messages?: { MessageId?: string; ReceiptHandle?: string; Body?: string }[];
      };
      for (const m of parsed.Messages ?? []) {
        received.push({
          messageId: m.MessageId ?? '',
          receiptHandle: m.ReceiptHandle ?? '',
          body: m.Body ?? '',
          atMs: Date.now(),
        });
      }
    } catch {
      // Not JSON (an error page): nothing to record.
    }
  };

  const forward = (
    request: IncomingMessage,
    body: Buffer,
  ): Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const outgoing = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          method: request.method,
          path: request.url,
          headers: { ...request.headers, 'content-length': String(body.length) },
        },
        (answer) => {
          void readBody(answer).then(
            (answerBody) =>
              resolve({ status: answer.statusCode ?? 502, headers: answer.headers, body: answerBody }),
            reject,
          );
        },
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });

  const server = createServer((request, response) => {
    void (async () => {
      const operation = operationOf(request);
      requests[operation] = (requests[operation] ?? 0) + 1;
      const body = await readBody(request);
      if (Date.now() < frozenUntil) {
        frozen++;
        while (Date.now() < frozenUntil) {
          await new Promise((resolve) => setTimeout(resolve, Math.max(1, frozenUntil - Date.now())));
        }
      }
      const rule = pick(operation);
      const fault = rule?.fault;
      if (fault) count(operation, fault);
      if (fault === FaultKind.Hang) return; // the socket stays open until the client gives up or the proxy stops
      if (fault === FaultKind.ResetBefore) {
        request.socket.destroy();
        return;
      }
      const answer = fault ? errorAnswer(fault, operation) : undefined;
      if (answer) {
        sendError(response, answer);
        return;
      }
      let upstreamAnswer: Awaited<ReturnType<typeof forward>>;
      try {
        upstreamAnswer = await forward(request, body);
      } catch {
        request.socket.destroy();
        return;
      }
      if (fault === FaultKind.ResetAfter) {
        request.socket.destroy();
        return;
      }
      if (fault === FaultKind.SlowAnswer) {
        await new Promise((resolve) => setTimeout(resolve, rule?.delayMs ?? 1000));
        if (request.socket.destroyed) return; // the client gave up while the answer was held
      }
      observe(operation, upstreamAnswer.body);
      const headers = { ...upstreamAnswer.headers };
      delete headers['transfer-encoding'];
      headers['content-length'] = String(upstreamAnswer.body.length);
      response.writeHead(upstreamAnswer.status, headers);
      response.end(upstreamAnswer.body);
    })().catch(() => request.socket.destroy());
  });
  server.keepAliveTimeout = 30_000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    setRules(next) {
      rules = [...next];
      used = new Map();
    },
    freeze(ms) {
      frozenUntil = Date.now() + ms;
    },
    stats() {
      const faultsByKind: Partial<Record<FaultKind, number>> = {};
      for (const byKind of Object.values(faults)) {
        for (const [kind, n] of Object.entries(byKind) as [FaultKind, number][]) {
          faultsByKind[kind] = (faultsByKind[kind] ?? 0) + n;
        }
      }
      const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);
      return {
        requests: { ...requests },
        faults: structuredClone(faults),
        faultsByKind,
        totalRequests: sum(Object.values(requests)),
        totalFaults: sum(Object.values(faultsByKind)),
        frozen,
      };
    },
    received: () => received,
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}
