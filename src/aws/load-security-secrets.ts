/**
 * Reading message-signing settings from AWS Secrets Manager: each of Celery's `security_*` settings as the
 * `SecretString` of a secret (PEM text; the certificate store may hold several certificates one after another).
 * The Secrets Manager client is loaded only when this is called, so apps that do not sign pay nothing for it at
 * start-up (a Lambda cold start included).
 */
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ENV } from '../config/env.js';
import type { SecuritySettings } from '../config/resolve-config.js';
import { backendError } from './aws-error.js';

/** Secret ids (names or ARNs) holding each setting. */
export interface SecuritySecretIds {
  /** The RSA private key, PEM (Celery `security_key`). */
  readonly key?: string;
  /** The key's passphrase (Celery `security_key_password`). */
  readonly keyPassword?: string;
  /** The key's certificate, PEM (Celery `security_certificate`). */
  readonly certificate?: string;
  /** The trusted certificates, PEM, one after another (Celery `security_cert_store`). */
  readonly certStore?: string;
  /** The digest (Celery `security_digest`); not a secret, passed through. Default `sha256`. */
  readonly digest?: string;
}

/**
 * The secret ids the constructs' `signing` prop sets on a function: `CELERIAC_SECURITY_KEY_SECRET`,
 * `CELERIAC_SECURITY_KEY_PASSWORD_SECRET`, `CELERIAC_SECURITY_CERTIFICATE_SECRET`,
 * `CELERIAC_SECURITY_CERT_STORE_SECRET`, and the digest from `CELERIAC_SECURITY_DIGEST`. Unset or empty
 * variables are left out.
 */
export function securitySecretIdsFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
): SecuritySecretIds {
  const pick = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value ? value : undefined;
  };
  const ids: Record<string, string | undefined> = {
    key: pick(ENV.SECURITY_KEY_SECRET),
    keyPassword: pick(ENV.SECURITY_KEY_PASSWORD_SECRET),
    certificate: pick(ENV.SECURITY_CERTIFICATE_SECRET),
    certStore: pick(ENV.SECURITY_CERT_STORE_SECRET),
    digest: pick(ENV.SECURITY_DIGEST),
  };
  return Object.fromEntries(Object.entries(ids).filter(([, value]) => value !== undefined));
}

/**
 * Fetches the secrets (one `GetSecretValue` each, in parallel) into settings for `createApp({ security })`. The
 * caller needs `secretsmanager:GetSecretValue` on them (and `kms:Decrypt` on their key, if customer-managed);
 * the constructs' `signing` prop grants both and sets the variables {@link securitySecretIdsFromEnv} reads,
 * which are the ids used when none are given.
 *
 * @throws {BackendError} naming the secret when it cannot be read or holds no `SecretString`.
 * @example
 * const app = createApp({ security: await loadSecuritySecrets({ key: 'celeriac/signer-key', certificate: 'celeriac/signer-cert', certStore: 'celeriac/trusted' }) });
 * // in a function deployed with `signing: { ... }`: the ids come from its environment
 * const app = createApp({ security: await loadSecuritySecrets() });
 */
export async function loadSecuritySecrets(
  ids: SecuritySecretIds = securitySecretIdsFromEnv(),
  client?: SecretsManagerClient,
): Promise<SecuritySettings> {
  const { GetSecretValueCommand, SecretsManagerClient: Client } = await import(
    '@aws-sdk/client-secrets-manager'
  );
  const secrets = client ?? new Client({});
  const read = async (secretId: string | undefined): Promise<string | undefined> => {
    if (secretId === undefined) return undefined;
    let text: string | undefined;
    try {
      text = (await secrets.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString;
    } catch (error) {
      throw backendError(
        `Secrets Manager GetSecretValue(${secretId})`,
        error,
        'Check the secret id and that this role has secretsmanager:GetSecretValue on it',
      );
    }
    if (text === undefined) {
      throw backendError(
        `Secrets Manager GetSecretValue(${secretId})`,
        new Error('the secret has no SecretString'),
        'Store the PEM text as the secret string',
      );
    }
    return text;
  };
  const [key, keyPassword, certificate, certStore] = await Promise.all([
    read(ids.key),
    read(ids.keyPassword),
    read(ids.certificate),
    read(ids.certStore),
  ]);
  return {
    ...(key === undefined ? {} : { key }),
    ...(keyPassword === undefined ? {} : { keyPassword }),
    ...(certificate === undefined ? {} : { certificate }),
    ...(certStore === undefined ? {} : { certStore: [certStore] }),
    ...(ids.digest === undefined ? {} : { digest: ids.digest }),
  };
}
