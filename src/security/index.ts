/**
 * Message signing compatible with Celery's `auth` serializer: settings from files, and the certificate and
 * signature primitives of the protocol layer.
 *
 * @packageDocumentation
 */
export type { SecuritySettings } from '../config/resolve-config.js';
export type { MessageSigner, MessageVerifier } from '../protocol/auth-serializer.js';
export {
  AUTH_CONTENT_TYPE,
  DEFAULT_SECURITY_DIGEST,
  signBody,
  verifyBody,
} from '../protocol/auth-serializer.js';
export { SecurityError, SecurityReason } from '../protocol/security-error.js';
export { CertificateStore, readPrivateKey, SigningCertificate } from '../protocol/signing-certificate.js';
export { loadSecurityFiles, type SecurityFiles } from './load-security-files.js';
