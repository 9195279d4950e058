/**
 * Reading Celery-style security settings from files: `security_key` and `security_certificate` are paths of
 * PEM files, `security_cert_store` a directory (every file in it), a file, or a glob-free path, as Celery's
 * `FSCertStore` reads it.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { SecuritySettings } from '../config/resolve-config.js';

/** Paths of the PEM files, as Celery's settings name them. */
export interface SecurityFiles {
  /** Celery `security_key`: the private key's PEM file. */
  readonly key?: string;
  readonly keyPassword?: string;
  /** Celery `security_certificate`: the certificate's PEM file. */
  readonly certificate?: string;
  /** Celery `security_cert_store`: a directory of PEM files, or one PEM file (of one or more certificates). */
  readonly certStore?: string;
  /** Celery `security_digest`. Default `sha256`. */
  readonly digest?: string;
}

/**
 * Reads the files into settings for `createApp({ security })`.
 *
 * @example
 * createApp({ security: loadSecurityFiles({ key: 'signer.key', certificate: 'signer.pem', certStore: 'certs/' }) });
 */
export function loadSecurityFiles(files: SecurityFiles): SecuritySettings {
  const storePaths =
    files.certStore === undefined
      ? undefined
      : statSync(files.certStore).isDirectory()
        ? readdirSync(files.certStore)
            .sort()
            .map((name) => path.join(files.certStore as string, name))
            .filter((file) => statSync(file).isFile())
        : [files.certStore];
  return {
    ...(files.key === undefined ? {} : { key: readFileSync(files.key) }),
    ...(files.keyPassword === undefined ? {} : { keyPassword: files.keyPassword }),
    ...(files.certificate === undefined ? {} : { certificate: readFileSync(files.certificate) }),
    ...(storePaths === undefined ? {} : { certStore: storePaths.map((file) => readFileSync(file)) }),
    ...(files.digest === undefined ? {} : { digest: files.digest }),
  };
}
