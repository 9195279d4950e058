/**
 * Per-worker setup: points every AWS SDK client (and any Python child process) at the emulator the global setup
 * started, with dummy credentials, before a test file imports anything.
 */
import { inject } from 'vitest';

const endpoint = inject('awsEndpoint');
process.env.AWS_ENDPOINT_URL = endpoint;
process.env.AWS_REGION = 'us-east-1';
// The SDK warns once per process that releases after January 2027 need Node 22; the pinned versions run on 20.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.AWS_DEFAULT_REGION = 'us-east-1';
process.env.AWS_ACCESS_KEY_ID = 'moto';
process.env.AWS_SECRET_ACCESS_KEY = 'moto';
delete process.env.AWS_SESSION_TOKEN;
delete process.env.AWS_PROFILE;
