/**
 * Errors shaped as the AWS SDK throws them: a service error (name = AWS error code, `$fault`, `$metadata` with
 * the HTTP status), a Node socket error (a `code`, no status), and the request handler's timeout.
 */

/** A service error as the SDK deserializes it. */
export function serviceError(
  name: string,
  httpStatusCode: number,
  message = `${name} from the service`,
): Error {
  return Object.assign(new Error(message), {
    name,
    $fault: httpStatusCode >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode, requestId: 'req-1', attempts: 3, totalRetryDelay: 250 },
  });
}

/** A Node socket error, as the request handler rejects with it. */
export function socketError(code: string): Error {
  return Object.assign(new Error(`socket error ${code}`), { code, $metadata: { attempts: 3 } });
}

/** The request handler's timeout (`connectionTimeout` / `requestTimeout`). */
export function timeoutError(): Error {
  return Object.assign(new Error('a request has exceeded the configured 30000 ms requestTimeout'), {
    name: 'TimeoutError',
    code: 'ETIMEDOUT',
    $metadata: { attempts: 3 },
  });
}
