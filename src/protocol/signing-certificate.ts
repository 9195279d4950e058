/**
 * X.509 certificates and certificate stores for message signing, as Celery's `celery/security/certificate.py`
 * knows them: RSA only, named by `"<issuer attribute values joined by spaces> <decimal serial number>"`, the id
 * a signed message carries as its signer.
 */
import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { SecurityError, SecurityReason } from './security-error.js';

/** An RSA certificate that may sign messages. */
export class SigningCertificate {
  readonly x509: X509Certificate;
  /** Celery's certificate id: issuer values and serial number (`Certificate.get_id`). */
  readonly id: string;

  constructor(pem: string | Buffer) {
    let x509: X509Certificate;
    try {
      x509 = new X509Certificate(pem);
    } catch (error) {
      throw new SecurityError(`Invalid certificate: ${(error as Error).message}`, {
        reason: SecurityReason.INVALID_CERTIFICATE,
        cause: error,
      });
    }
    if (x509.publicKey.asymmetricKeyType !== 'rsa') {
      throw new SecurityError('Invalid certificate: only RSA certificates are supported (as in Celery)', {
        reason: SecurityReason.INVALID_CERTIFICATE,
      });
    }
    this.x509 = x509;
    const issuer = x509.issuer
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => line.slice(line.indexOf('=') + 1));
    this.id = `${issuer.join(' ')} ${BigInt(`0x${x509.serialNumber}`).toString(10)}`;
  }

  /** Whether `nowMs` is outside the certificate's validity period. */
  isExpiredAt(nowMs: number): boolean {
    return nowMs >= Date.parse(this.x509.validTo) || nowMs < Date.parse(this.x509.validFrom);
  }

  /** The certificate's public key. */
  get publicKey(): KeyObject {
    return this.x509.publicKey;
  }
}

/** Trusted certificates by id (Celery's `CertStore`). */
export class CertificateStore {
  readonly #certificates = new Map<string, SigningCertificate>();

  /**
   * @param pems PEM texts; a text may hold several certificates one after another.
   * @throws {SecurityError} for an invalid certificate or two with the same id.
   */
  constructor(pems: readonly (string | Buffer)[]) {
    for (const pem of pems) {
      for (const block of splitPem(pem.toString())) this.add(new SigningCertificate(block));
    }
  }

  /** Adds a certificate. */
  add(certificate: SigningCertificate): void {
    if (this.#certificates.has(certificate.id)) {
      throw new SecurityError(`Duplicate certificate: ${JSON.stringify(certificate.id)}`, {
        reason: SecurityReason.INVALID_CERTIFICATE,
      });
    }
    this.#certificates.set(certificate.id, certificate);
  }

  /** The certificate with this id, if trusted. */
  get(id: string): SigningCertificate | undefined {
    return this.#certificates.get(id);
  }

  /** The ids of every trusted certificate. */
  ids(): string[] {
    return [...this.#certificates.keys()];
  }
}

/** Reads an RSA private key from PEM. */
export function readPrivateKey(pem: string | Buffer, passphrase?: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(passphrase === undefined ? { key: pem } : { key: pem, passphrase });
  } catch (error) {
    throw new SecurityError(`Invalid private key: ${(error as Error).message}`, {
      reason: SecurityReason.INVALID_KEY,
      cause: error,
    });
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new SecurityError('Invalid private key: only RSA keys are supported (as in Celery)', {
      reason: SecurityReason.INVALID_KEY,
    });
  }
  return key;
}

function splitPem(text: string): string[] {
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g);
  return blocks ?? [text];
}
