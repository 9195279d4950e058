/**
 * The `signing` prop of a TaskQueue's worker and of CallerFunction: each named Secrets Manager secret is granted
 * to the function (read, and decrypt through Secrets Manager on its customer managed key), its id is set in the
 * variable `loadSecuritySecrets()` reads, and a setup that could not sign or verify is refused naming the prop.
 */
import { Template } from 'aws-cdk-lib/assertions';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, it } from 'vitest';
import {
  CallerFunction,
  CeleriacConfigurationError,
  ResultStore,
  type SigningSecrets,
  TaskQueue,
} from '../../infra/index.js';
import { securitySecretIdsFromEnv } from '../../src/aws/load-security-secrets.js';
import { ENV } from '../../src/config/env.js';
import { allowedPairs, environmentOf, logicalIdOf, newStack, rendered, WORKER_ENTRY } from './helpers.js';

const SECRET_ACTIONS = ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'];
const ARN = (name: string) => `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${name}-AbCdEf`;

describe('TaskQueue worker.signing', () => {
  it('grants the worker each secret and its customer managed key, and sets the ids loadSecuritySecrets reads', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'SigningKey', { enableKeyRotation: true });
    const signing = {
      key: new secretsmanager.Secret(stack, 'SignerKey', { encryptionKey: key }),
      certificate: new secretsmanager.Secret(stack, 'SignerCertificate', { encryptionKey: key }),
      certStore: new secretsmanager.Secret(stack, 'Trusted', { encryptionKey: key }),
    };
    const results = new ResultStore(stack, 'Results');
    const tasks = new TaskQueue(stack, 'Tasks', {
      resultStore: results,
      worker: { entry: WORKER_ENTRY, signing },
    });
    const template = Template.fromStack(stack);
    const role = tasks.workerFunction.role as iam.IRole;
    const secretPairs = Object.values(signing).flatMap((secret) =>
      SECRET_ACTIONS.map((action) => `${action} on ${JSON.stringify(stack.resolve(secret.secretArn))}`),
    );
    expect(
      allowedPairs(template, logicalIdOf(role)).filter((pair) => pair.startsWith('secretsmanager:')),
    ).toEqual(secretPairs.sort());
    // The key is in this stack, so its decrypt grant is in the key policy: the worker role, through Secrets
    // Manager only.
    const keyPolicy = template.toJSON().Resources[logicalIdOf(key)].Properties.KeyPolicy;
    const forWorker = keyPolicy.Statement.filter(
      (statement: { Principal?: { AWS?: unknown } }) =>
        JSON.stringify(statement.Principal?.AWS) === JSON.stringify(stack.resolve(role.roleArn)),
    );
    expect(forWorker).toEqual([
      {
        Action: 'kms:Decrypt',
        Condition: {
          StringEquals: {
            'kms:ViaService': {
              'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']],
            },
          },
        },
        Effect: 'Allow',
        Principal: { AWS: stack.resolve(role.roleArn) },
        Resource: '*',
      },
    ]);
    const environment = environmentOf(template, logicalIdOf(tasks.workerFunction));
    expect(environment).toMatchObject({
      [ENV.SECURITY_KEY_SECRET]: rendered(stack, signing.key.secretArn),
      [ENV.SECURITY_CERTIFICATE_SECRET]: rendered(stack, signing.certificate.secretArn),
      [ENV.SECURITY_CERT_STORE_SECRET]: rendered(stack, signing.certStore.secretArn),
    });
    expect(environment[ENV.SECURITY_KEY_PASSWORD_SECRET]).toBeUndefined();
  });

  it('grants nothing of Secrets Manager without signing', () => {
    const stack = newStack();
    const tasks = new TaskQueue(stack, 'Tasks', {
      resultStore: new ResultStore(stack, 'Results'),
      worker: { entry: WORKER_ENTRY },
    });
    const template = Template.fromStack(stack);
    const pairs = allowedPairs(template, logicalIdOf(tasks.workerFunction.role as iam.IRole));
    expect(pairs.filter((pair) => pair.startsWith('secretsmanager:'))).toEqual([]);
    const variables = Object.keys(environmentOf(template, logicalIdOf(tasks.workerFunction)));
    expect(variables.filter((name) => name.startsWith('CELERIAC_SECURITY'))).toEqual([]);
  });
});

describe('CallerFunction signing', () => {
  it('sets an imported secret by its full ARN, or by its name when that is all that is known', () => {
    const stack = newStack();
    const api = new CallerFunction(stack, 'Api', {
      entry: WORKER_ENTRY,
      signing: {
        key: secretsmanager.Secret.fromSecretCompleteArn(stack, 'Key', ARN('celeriac/signer-key')),
        keyPassword: secretsmanager.Secret.fromSecretCompleteArn(stack, 'Pass', ARN('celeriac/signer-pass')),
        certificate: secretsmanager.Secret.fromSecretNameV2(stack, 'Cert', 'celeriac/signer-certificate'),
      },
    });
    const template = Template.fromStack(stack);
    const environment = environmentOf(template, logicalIdOf(api.function));
    const ids = securitySecretIdsFromEnv(environment as Record<string, string>);
    expect(ids).toEqual({
      key: ARN('celeriac/signer-key'),
      keyPassword: ARN('celeriac/signer-pass'),
      certificate: 'celeriac/signer-certificate',
    });
    const pairs = allowedPairs(template, logicalIdOf(api.function.role as iam.IRole)).filter((pair) =>
      pair.startsWith('secretsmanager:'),
    );
    expect(pairs).toHaveLength(6);
    expect(pairs.filter((pair) => pair.includes('celeriac/signer-key-AbCdEf'))).toEqual(
      SECRET_ACTIONS.map((action) => `${action} on "${ARN('celeriac/signer-key')}"`),
    );
  });
});

describe('signing validation', () => {
  const secret = (stack: ReturnType<typeof newStack>, name: string) =>
    secretsmanager.Secret.fromSecretCompleteArn(stack, name, ARN(name));
  const refused = (
    signing: (stack: ReturnType<typeof newStack>) => SigningSecrets,
    environment?: Record<string, string>,
  ) => {
    return () => {
      const stack = newStack();
      return new CallerFunction(stack, 'Api', {
        entry: WORKER_ENTRY,
        signing: signing(stack),
        ...(environment ? { environment } : {}),
      });
    };
  };

  it('refuses a key without its certificate, naming the prop and what was given', () => {
    const attempt = refused((stack) => ({ key: secret(stack, 'k') }));
    expect(attempt).toThrow(CeleriacConfigurationError);
    expect(attempt).toThrow(/signing.*\{ key \}.*without the other/s);
  });

  it('refuses a certificate without its key', () => {
    expect(refused((stack) => ({ certificate: secret(stack, 'c'), certStore: secret(stack, 's') }))).toThrow(
      /\{ certificate, certStore \}.*`key` and `certificate`/s,
    );
  });

  it('refuses a passphrase without a key', () => {
    expect(refused((stack) => ({ keyPassword: secret(stack, 'p'), certStore: secret(stack, 's') }))).toThrow(
      /\{ keyPassword, certStore \}.*`keyPassword` without `key`/s,
    );
  });

  it('refuses an empty signing prop', () => {
    expect(refused(() => ({}))).toThrow(/signing.*\{\}.*names no secret/s);
  });

  it('refuses a secret id variable also set in environment', () => {
    expect(
      refused((stack) => ({ certStore: secret(stack, 's') }), { [ENV.SECURITY_CERT_STORE_SECRET]: 'other' }),
    ).toThrow(new RegExp(`${ENV.SECURITY_CERT_STORE_SECRET} too`));
  });

  it('validates the worker prop under its own name', () => {
    const stack = newStack();
    expect(
      () =>
        new TaskQueue(stack, 'Tasks', {
          resultStore: new ResultStore(stack, 'Results'),
          worker: { entry: WORKER_ENTRY, signing: { certificate: secret(stack, 'c') } },
        }),
    ).toThrow(/worker\.signing.*\{ certificate \}/s);
  });
});
