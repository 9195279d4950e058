/**
 * The error of message signing and verification, named after Celery's `celery.exceptions.SecurityError`, with a
 * typed reason so a refusal says exactly what was wrong.
 */
import { CeleriacError, type CeleriacErrorOptions } from './errors.js';

/** Why a message or a security setting was refused. */
export const SecurityReason = {
  /** The receiver requires signed messages and this one is not signed (`auth`). */
  UNSIGNED: 'unsigned',
  /** The signed body is not in the `auth` serializer's layout. */
  MALFORMED: 'malformed',
  /** The signer's certificate is not in the receiver's certificate store. */
  UNKNOWN_SIGNER: 'unknown-signer',
  /** The signature does not match the body: tampered, or signed with another key. */
  BAD_SIGNATURE: 'bad-signature',
  /** The signer's certificate has expired (or is not valid yet). */
  EXPIRED_CERTIFICATE: 'expired-certificate',
  /** A certificate could not be read, is not RSA, or is in the store twice. */
  INVALID_CERTIFICATE: 'invalid-certificate',
  /** A private key could not be read or is not RSA. */
  INVALID_KEY: 'invalid-key',
  /** An S3 pointer (a message or result claim) names another bucket or a key outside the payload prefix. */
  FOREIGN_PAYLOAD: 'foreign-payload',
  /** The digest is not one Node's crypto provides. */
  INVALID_DIGEST: 'invalid-digest',
} as const;

/** One of {@link SecurityReason}'s values. */
export type SecurityReason = (typeof SecurityReason)[keyof typeof SecurityReason];

/** A message failed verification, or signing is misconfigured. */
export class SecurityError extends CeleriacError {
  override readonly name = 'SecurityError';
  readonly reason: SecurityReason;

  constructor(message: string, options: CeleriacErrorOptions & { readonly reason: SecurityReason }) {
    super(message, options);
    this.reason = options.reason;
  }
}
