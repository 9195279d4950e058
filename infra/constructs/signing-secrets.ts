/**
 * Message-signing keys from AWS Secrets Manager, for a function the constructs create (a `TaskQueue`'s worker, a
 * `CallerFunction`): each secret is granted to the function (`secret.grantRead`: `secretsmanager:GetSecretValue`
 * and `DescribeSecret` on the secret, and `kms:Decrypt` through Secrets Manager on its key when it has a customer
 * managed one), and its id is set in the variable `loadSecuritySecrets()` reads (`CELERIAC_SECURITY_*_SECRET`).
 * The function's code then calls `createApp({ security: await loadSecuritySecrets() })`.
 */
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { ENV } from '../../src/config/env.js';
import type { PropValidator } from './validation.js';

/**
 * The Secrets Manager secrets a function signs and verifies messages with, each holding one PEM as its
 * `SecretString` (docs/security.md, "Message signing"). Give `key` and `certificate` to sign what the function
 * sends, `certStore` to accept only signed messages; a worker, which also sends (retries, chain steps), usually
 * needs all three.
 */
export interface SigningSecrets {
  /**
   * The RSA private key (Celery's `security_key`). Requires `certificate`.
   *
   * @default - none: the function does not sign
   */
  readonly key?: secretsmanager.ISecret;

  /**
   * The private key's passphrase (Celery's `security_key_password`). Requires `key`.
   *
   * @default - the key is not encrypted
   */
  readonly keyPassword?: secretsmanager.ISecret;

  /**
   * The certificate of `key` (Celery's `security_certificate`). Requires `key`.
   *
   * @default - none: the function does not sign
   */
  readonly certificate?: secretsmanager.ISecret;

  /**
   * The trusted certificates, one PEM after another (Celery's `security_cert_store`): the function's worker
   * accepts only messages signed by one of them.
   *
   * @default - none: the function's worker does not verify signatures
   */
  readonly certStore?: secretsmanager.ISecret;
}

/** Each signing secret and the variable that carries its id. */
const VARIABLES = [
  ['key', ENV.SECURITY_KEY_SECRET],
  ['keyPassword', ENV.SECURITY_KEY_PASSWORD_SECRET],
  ['certificate', ENV.SECURITY_CERTIFICATE_SECRET],
  ['certStore', ENV.SECURITY_CERT_STORE_SECRET],
] as const satisfies ReadonlyArray<readonly [keyof SigningSecrets, string]>;

/** The variables {@link grantSigningSecrets} sets, which a function's `environment` may not set beside `signing`. */
export const SIGNING_VARIABLES: readonly string[] = VARIABLES.map(([, name]) => name);

/**
 * Checks that the secrets make a usable signing setup: a key with its certificate (and a passphrase only with a
 * key), or a certificate store, or both; and that `environment` does not also set their variables.
 */
export function validateSigning(
  validate: PropValidator,
  prop: string,
  signing: SigningSecrets | undefined,
  environment: Readonly<Record<string, string>> | undefined,
): void {
  if (signing === undefined) return;
  const given = VARIABLES.filter(([field]) => signing[field] !== undefined).map(([field]) => field);
  const shown = `{ ${given.join(', ')} }`;
  if (given.length === 0) {
    validate.fail(
      prop,
      '{}',
      'names no secret; give `key` and `certificate`, `certStore`, or leave it unset.',
    );
  }
  if ((signing.key === undefined) !== (signing.certificate === undefined)) {
    validate.fail(
      prop,
      shown,
      'has one of `key` and `certificate` without the other; signing needs the private key and its ' +
        'certificate (the certificate names the signer to the receiver).',
    );
  }
  if (signing.keyPassword !== undefined && signing.key === undefined) {
    validate.fail(prop, shown, 'has `keyPassword` without `key`; the passphrase unlocks the private key.');
  }
  for (const name of Object.keys(environment ?? {})) {
    if (SIGNING_VARIABLES.includes(name)) {
      validate.fail(
        prop,
        shown,
        `is given and \`environment\` sets ${name} too; the secret ids come from \`${prop}\`, so remove the variable.`,
      );
    }
  }
}

/**
 * Grants `fn` read access to each secret (`secret.grantRead`) and sets the variable holding its id: the
 * secret's full ARN when known, else its name.
 */
export function grantSigningSecrets(fn: lambda.Function, signing: SigningSecrets | undefined): void {
  if (signing === undefined) return;
  for (const [field, variable] of VARIABLES) {
    const secret = signing[field];
    if (secret === undefined) continue;
    secret.grantRead(fn);
    fn.addEnvironment(variable, secret.secretFullArn ?? secret.secretName);
  }
}
