/**
 * Signing keys from AWS Secrets Manager (on the emulator): the PEMs stored as secret strings become an app's
 * `security`, which signs and verifies; a missing secret fails naming it.
 */
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { loadSecuritySecrets, securitySecretIdsFromEnv } from '../../src/aws/load-security-secrets.js';
import { ENV } from '../../src/config/env.js';
import { createApp } from '../../src/index.js';
import { createMemoryTransport } from '../../src/memory/index.js';
import { decodeTaskMessage } from '../../src/protocol/task-message.js';
import { uniqueName } from '../emulator/unique-name.js';
import { makeTestCertificate } from '../helpers/test-certificates.js';

const client = new SecretsManagerClient({ endpoint: process.env.AWS_ENDPOINT_URL, region: 'us-east-1' });

describe('loadSecuritySecrets', () => {
  it('reads key, certificate and store from secrets, and the app signs with them', async () => {
    const pair = makeTestCertificate({ commonName: 'secrets-signer' });
    const prefix = uniqueName('celeriac-signing');
    for (const [name, value] of [
      ['key', pair.keyPem],
      ['certificate', pair.certificatePem],
      ['store', pair.certificatePem],
    ] as const) {
      await client.send(new CreateSecretCommand({ Name: `${prefix}/${name}`, SecretString: value }));
    }
    const security = await loadSecuritySecrets(
      { key: `${prefix}/key`, certificate: `${prefix}/certificate`, certStore: `${prefix}/store` },
      client,
    );
    const transport = createMemoryTransport();
    const queueUrl = transport.broker.createQueue('celery');
    const app = createApp({ security, transport, env: {} });
    await app.sendTask('tasks.add', [2, 3]);
    const [sent] = await transport.broker.receive(queueUrl, { maxMessages: 1, waitTimeSeconds: 0 });
    const settings = app.runtime.settings;
    expect(settings.verifier?.store.ids()).toEqual([settings.signer?.certificate.id]);
    const verifier = settings.verifier;
    if (!verifier) throw new Error('no verifier');
    expect(decodeTaskMessage(sent?.body ?? '', { verifier }).args).toEqual([2, 3]);
  });

  it('reads the secret ids the constructs set (CELERIAC_SECURITY_*_SECRET) from the environment', async () => {
    const pair = makeTestCertificate({ commonName: 'env-signer' });
    const prefix = uniqueName('celeriac-signing-env');
    await client.send(new CreateSecretCommand({ Name: `${prefix}/key`, SecretString: pair.keyPem }));
    await client.send(new CreateSecretCommand({ Name: `${prefix}/cert`, SecretString: pair.certificatePem }));
    const ids = securitySecretIdsFromEnv({
      [ENV.SECURITY_KEY_SECRET]: `${prefix}/key`,
      [ENV.SECURITY_CERTIFICATE_SECRET]: `${prefix}/cert`,
      [ENV.SECURITY_CERT_STORE_SECRET]: '',
      [ENV.SECURITY_DIGEST]: 'sha512',
    });
    expect(ids).toEqual({ key: `${prefix}/key`, certificate: `${prefix}/cert`, digest: 'sha512' });
    expect(await loadSecuritySecrets(ids, client)).toEqual({
      key: pair.keyPem,
      certificate: pair.certificatePem,
      digest: 'sha512',
    });
  });

  it('names a secret it cannot read', async () => {
    await expect(loadSecuritySecrets({ key: uniqueName('missing') }, client)).rejects.toThrow(
      /Secrets Manager GetSecretValue\(missing/,
    );
  });
});
