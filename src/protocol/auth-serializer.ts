/**
 * Celery's `auth` serializer (`celery/security/serialization.py` `SecureSerializer`): the body is serialized
 * with the inner serializer (JSON by default), the serialized bytes are signed with RSA-PSS (MGF1 with the same
 * digest, the largest salt), and the envelope carries
 *
 *     base64( base64(signer id) \x00\x01 base64(signature) \x00\x01 content type \x00\x01 content encoding
 *             \x00\x01 serialized body )
 *
 * under the content type `application/data`, encoding `utf-8`. The signer id names the certificate
 * (`"<issuer values> <serial>"`); the receiver looks it up in its certificate store and verifies the signature
 * over the serialized body before anything of the body is decoded.
 */
import { constants, type KeyObject, sign, verify } from 'node:crypto';
import { SecurityError, SecurityReason } from './security-error.js';
import type { SerializedBody } from './serializers.js';
import type { CertificateStore, SigningCertificate } from './signing-certificate.js';

/** The envelope content type of a signed message (kombu's `application/data`). */
export const AUTH_CONTENT_TYPE = 'application/data';

/** Celery's `security_digest` default. */
export const DEFAULT_SECURITY_DIGEST = 'sha256';

const SEPARATOR = Buffer.from([0x00, 0x01]);
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** What signing needs: the private key, its certificate, the digest. */
export interface MessageSigner {
  readonly key: KeyObject;
  readonly certificate: SigningCertificate;
  /** Celery's `security_digest` (`sha256`, `sha512`, ...). Default `sha256`. */
  readonly digest?: string;
}

/** What verification needs: the trusted certificates, the digest, the time. */
export interface MessageVerifier {
  readonly store: CertificateStore;
  /** Celery's `security_digest`. Default `sha256`. */
  readonly digest?: string;
  /** The time to judge certificate validity by, in epoch ms. Default now. */
  readonly now?: () => number;
}

/** Celery's digest names (`hashes.SHA256`, `SHA3_256`) as Node's (`sha256`, `sha3-256`). */
function nodeDigest(digest: string | undefined): string {
  return (digest ?? DEFAULT_SECURITY_DIGEST).toLowerCase().replace(/_/g, '-');
}

function pss(key: KeyObject, saltLength: number) {
  return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength };
}

/** PSS's largest salt for this key and digest: what Python's `PSS.MAX_LENGTH` produces and demands. */
function maxSaltLength(key: KeyObject, digest: string): number {
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 2048;
  return Math.ceil((bits - 1) / 8) - digestLength(digest) - 2;
}

function digestLength(digest: string): number {
  const lengths: Record<string, number> = {
    sha1: 20,
    sha224: 28,
    sha256: 32,
    sha384: 48,
    sha512: 64,
    'sha3-224': 28,
    'sha3-256': 32,
    'sha3-384': 48,
    'sha3-512': 64,
  };
  const length = lengths[digest];
  if (length === undefined) {
    throw new SecurityError(`Unsupported security digest ${JSON.stringify(digest)}`, {
      reason: SecurityReason.INVALID_DIGEST,
    });
  }
  return length;
}

/**
 * Signs a serialized body as Celery's `SecureSerializer.serialize` does.
 *
 * @returns the `auth` body (base64 text) with its envelope content type and encoding.
 */
export function signBody(serialized: SerializedBody, signer: MessageSigner): SerializedBody {
  const digest = nodeDigest(signer.digest);
  const body = Buffer.from(serialized.bytes.buffer, serialized.bytes.byteOffset, serialized.bytes.byteLength);
  const signature = sign(digest, body, pss(signer.key, constants.RSA_PSS_SALTLEN_MAX_SIGN));
  const fields = Buffer.concat([
    Buffer.from(Buffer.from(signer.certificate.id, 'utf-8').toString('base64'), 'ascii'),
    SEPARATOR,
    Buffer.from(signature.toString('base64'), 'ascii'),
    SEPARATOR,
    Buffer.from(serialized.contentType, 'utf-8'),
    SEPARATOR,
    Buffer.from(serialized.contentEncoding, 'utf-8'),
    SEPARATOR,
    body,
  ]);
  return {
    bytes: Buffer.from(fields.toString('base64'), 'ascii'),
    contentType: AUTH_CONTENT_TYPE,
    contentEncoding: 'utf-8',
  };
}

/** A verified body: the inner serializer's content type and encoding, and its bytes. */
export interface VerifiedBody {
  readonly signer: string;
  readonly contentType: string;
  readonly contentEncoding: string;
  readonly bytes: Buffer;
}

/**
 * Verifies an `auth` body as Celery's `SecureSerializer.deserialize` does, and also refuses a signer whose
 * certificate has expired.
 *
 * @throws {SecurityError} with reason `malformed`, `unknown-signer`, `expired-certificate` or `bad-signature`.
 */
export function verifyBody(authBody: Uint8Array, verifier: MessageVerifier): VerifiedBody {
  const text = Buffer.from(authBody).toString('latin1').replace(/\s+/g, '');
  const malformed = (detail: string): never => {
    throw new SecurityError(`Refusing a signed message: ${detail}`, { reason: SecurityReason.MALFORMED });
  };
  if (!BASE64.test(text)) malformed('the body is not base64 (not an `auth` body)');
  const raw = Buffer.from(text, 'base64');
  const parts: Buffer[] = [];
  let from = 0;
  for (let i = 0; i < 4; i++) {
    const at = raw.indexOf(SEPARATOR, from);
    if (at < 0) malformed('the body lacks the signer, signature, content type and encoding fields');
    parts.push(raw.subarray(from, at));
    from = at + SEPARATOR.length;
  }
  const [signerField, signatureField, contentType, contentEncoding] = parts as [
    Buffer,
    Buffer,
    Buffer,
    Buffer,
  ];
  const body = raw.subarray(from);
  const signer = Buffer.from(signerField.toString('ascii'), 'base64').toString('utf-8');
  const signature = Buffer.from(signatureField.toString('ascii'), 'base64');
  const certificate = verifier.store.get(signer);
  if (!certificate) {
    throw new SecurityError(
      `Refusing a signed message: the signer ${JSON.stringify(signer)} is not in the certificate store`,
      { reason: SecurityReason.UNKNOWN_SIGNER },
    );
  }
  const nowMs = verifier.now?.() ?? Date.now();
  if (certificate.isExpiredAt(nowMs)) {
    throw new SecurityError(
      `Refusing a signed message: the signer's certificate ${JSON.stringify(signer)} is valid from ` +
        `${certificate.x509.validFrom} to ${certificate.x509.validTo}, not now`,
      { reason: SecurityReason.EXPIRED_CERTIFICATE },
    );
  }
  const digest = nodeDigest(verifier.digest);
  const key = certificate.publicKey;
  let valid = false;
  try {
    valid = verify(digest, body, pss(key, maxSaltLength(key, digest)), signature);
  } catch (error) {
    if (error instanceof SecurityError) throw error;
    valid = false;
  }
  if (!valid) {
    throw new SecurityError(
      `Refusing a signed message: the signature of ${JSON.stringify(signer)} does not match the body ` +
        `(tampered, or signed with another key or digest than ${digest})`,
      { reason: SecurityReason.BAD_SIGNATURE },
    );
  }
  return {
    signer,
    contentType: contentType.toString('utf-8'),
    contentEncoding: contentEncoding.toString('utf-8'),
    bytes: body,
  };
}
