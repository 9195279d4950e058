import { describe, expect, it } from 'vitest';
import { AUTH_CONTENT_TYPE, signBody, verifyBody } from '../../../src/protocol/auth-serializer.js';
import { encodeSqsMessageBody } from '../../../src/protocol/envelope.js';
import { ContentDisallowed } from '../../../src/protocol/errors.js';
import { SecurityError, SecurityReason } from '../../../src/protocol/security-error.js';
import { serializeValue } from '../../../src/protocol/serializers.js';
import {
  CertificateStore,
  readPrivateKey,
  SigningCertificate,
} from '../../../src/protocol/signing-certificate.js';
import {
  buildTaskMessage,
  decodeTaskMessage,
  decodeTaskMessageAsync,
  encodeTaskMessage,
  toEnvelope,
} from '../../../src/protocol/task-message.js';
import { makeTestCertificate } from '../../helpers/test-certificates.js';

const alice = makeTestCertificate({ commonName: 'alice', serial: 1001 });
const mallory = makeTestCertificate({ commonName: 'mallory', serial: 1002 });
const expired = makeTestCertificate({
  commonName: 'old',
  serial: 1003,
  notBeforeDays: -30,
  notAfterDays: -1,
});

const signer = {
  key: readPrivateKey(alice.keyPem),
  certificate: new SigningCertificate(alice.certificatePem),
};
const store = new CertificateStore([alice.certificatePem, expired.certificatePem]);
const verifier = { store };

function message() {
  return buildTaskMessage({
    taskId: 't-1',
    name: 'tasks.add',
    args: [2, 3],
    queue: 'celery',
    origin: 'gen1@h',
  });
}

function reasonOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof SecurityError) return error.reason;
    throw error;
  }
  return undefined;
}

describe('certificates', () => {
  it('names a certificate as Celery does: issuer values, then the decimal serial', () => {
    expect(signer.certificate.id).toBe('celeriac tests alice 1001');
    expect(store.ids()).toEqual(['celeriac tests alice 1001', 'celeriac tests old 1003']);
  });

  it('refuses non-certificates and duplicates, with a typed reason', () => {
    expect(reasonOf(() => new SigningCertificate('not a certificate'))).toBe(
      SecurityReason.INVALID_CERTIFICATE,
    );
    expect(reasonOf(() => new CertificateStore([alice.certificatePem, alice.certificatePem]))).toBe(
      SecurityReason.INVALID_CERTIFICATE,
    );
    expect(reasonOf(() => readPrivateKey('nope'))).toBe(SecurityReason.INVALID_KEY);
  });

  it('reads a bundle of several certificates', () => {
    expect(new CertificateStore([`${alice.certificatePem}\n${mallory.certificatePem}`]).ids()).toHaveLength(
      2,
    );
  });
});

describe('signing and verifying', () => {
  it('signs the body under application/data and verifies it back', () => {
    const envelope = toEnvelope(message(), { signer });
    expect(envelope['content-type']).toBe(AUTH_CONTENT_TYPE);
    expect(envelope['content-encoding']).toBe('utf-8');
    const decoded = decodeTaskMessage(encodeTaskMessage(message(), { signer }), { verifier });
    expect(decoded.args).toEqual([2, 3]);
  });

  it('signs msgpack and compressed bodies too', () => {
    const accept = ['application/json', 'application/x-msgpack'];
    const body = encodeTaskMessage(message(), { signer, serializer: 'msgpack', compression: 'zlib' });
    expect(decodeTaskMessage(body, { verifier, acceptContent: accept }).args).toEqual([2, 3]);
  });

  it('refuses an unsigned message when verification is on', () => {
    expect(reasonOf(() => decodeTaskMessage(encodeTaskMessage(message()), { verifier }))).toBe(
      SecurityReason.UNSIGNED,
    );
  });

  it('refuses a bare JSON task (no kombu envelope, so never signed) when verification is on', async () => {
    const bare = JSON.stringify({ task: 'tasks.add', id: 'forged-1', args: [2, 3], kwargs: {} });
    for (const body of [bare, Buffer.from(bare).toString('base64')]) {
      expect(reasonOf(() => decodeTaskMessage(body, { verifier }))).toBe(SecurityReason.UNSIGNED);
      await expect(decodeTaskMessageAsync(body, { verifier })).rejects.toMatchObject({
        reason: SecurityReason.UNSIGNED,
        message: expect.stringContaining('bare JSON, no kombu envelope'),
      });
    }
    expect(decodeTaskMessage(bare).args).toEqual([2, 3]);
  });

  it('refuses a bare JSON task when the receiver does not accept JSON', async () => {
    const bare = JSON.stringify({ task: 'tasks.add', id: 'json-1', args: [2, 3], kwargs: {} });
    const options = { acceptContent: ['application/x-msgpack'] };
    expect(() => decodeTaskMessage(bare, options)).toThrow(ContentDisallowed);
    await expect(decodeTaskMessageAsync(bare, options)).rejects.toThrow(
      'Refusing content type "application/json": this receiver accepts application/x-msgpack',
    );
  });

  it('refuses a signed message when verification is off (application/data is not accepted)', () => {
    expect(() => decodeTaskMessage(encodeTaskMessage(message(), { signer }))).toThrow(/application\/data/);
  });

  it('refuses a tampered body', () => {
    const signed = signBody(serializeValue([[2, 3], {}, null]), signer);
    const raw = Buffer.from(Buffer.from(signed.bytes).toString(), 'base64');
    const tampered = Buffer.from(raw.toString('latin1').replace('[[2, 3]', '[[9, 3]'), 'latin1');
    expect(reasonOf(() => verifyBody(Buffer.from(tampered.toString('base64')), verifier))).toBe(
      SecurityReason.BAD_SIGNATURE,
    );
    expect(verifyBody(signed.bytes, verifier).bytes.toString()).toBe('[[2, 3], {}, null]');
  });

  it('refuses a message signed by a certificate the store does not hold', () => {
    const other = {
      key: readPrivateKey(mallory.keyPem),
      certificate: new SigningCertificate(mallory.certificatePem),
    };
    expect(
      reasonOf(() => decodeTaskMessage(encodeTaskMessage(message(), { signer: other }), { verifier })),
    ).toBe(SecurityReason.UNKNOWN_SIGNER);
  });

  it('refuses a wrong key claiming a trusted certificate', () => {
    const impostor = { key: readPrivateKey(mallory.keyPem), certificate: signer.certificate };
    expect(
      reasonOf(() => decodeTaskMessage(encodeTaskMessage(message(), { signer: impostor }), { verifier })),
    ).toBe(SecurityReason.BAD_SIGNATURE);
  });

  it('refuses a message whose signer certificate has expired', () => {
    const old = {
      key: readPrivateKey(expired.keyPem),
      certificate: new SigningCertificate(expired.certificatePem),
    };
    expect(
      reasonOf(() => decodeTaskMessage(encodeTaskMessage(message(), { signer: old }), { verifier })),
    ).toBe(SecurityReason.EXPIRED_CERTIFICATE);
    // The same message was acceptable while the certificate was valid.
    const body = encodeTaskMessage(message(), { signer: old });
    const lastWeek = Date.now() - 7 * 24 * 3600 * 1000;
    expect(decodeTaskMessage(body, { verifier: { store, now: () => lastWeek } }).args).toEqual([2, 3]);
  });

  it('refuses another digest than the one signed with', () => {
    const body = encodeTaskMessage(message(), { signer: { ...signer, digest: 'sha512' } });
    expect(reasonOf(() => decodeTaskMessage(body, { verifier }))).toBe(SecurityReason.BAD_SIGNATURE);
    expect(decodeTaskMessage(body, { verifier: { store, digest: 'sha512' } }).args).toEqual([2, 3]);
  });

  it('refuses bodies that are not in the auth layout', () => {
    const garbage = encodeSqsMessageBody({
      body: Buffer.from('bm90IGFuIGF1dGggYm9keQ==').toString('base64'),
      'content-encoding': 'utf-8',
      'content-type': 'application/data',
      headers: { task: 'tasks.add', id: 't-1' },
      properties: { body_encoding: 'base64' },
    });
    expect(reasonOf(() => decodeTaskMessage(garbage, { verifier }))).toBe(SecurityReason.MALFORMED);
    expect(reasonOf(() => verifyBody(Buffer.from('!!!'), verifier))).toBe(SecurityReason.MALFORMED);
  });
});
