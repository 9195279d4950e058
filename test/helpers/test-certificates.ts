/**
 * Throw-away RSA keys and self-signed X.509 certificates for the signing tests, made at test time with the
 * project venv's `cryptography` (Node's crypto reads certificates but cannot issue them). Nothing here is a real
 * secret and nothing is written to the repository.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { venvBin } from '../emulator/moto-server.js';

/** A key and its certificate, as PEM text. */
export interface TestCertificate {
  readonly keyPem: string;
  readonly certificatePem: string;
}

/** What the certificate looks like. */
export interface TestCertificateOptions {
  readonly commonName?: string;
  readonly serial?: number;
  /** Validity start and end, in days from now (negative for the past). Default -1 and +365. */
  readonly notBeforeDays?: number;
  readonly notAfterDays?: number;
  /** RSA key size. Default 2048. */
  readonly keyBits?: number;
}

const SCRIPT = `
import datetime as dt, json, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
o = json.loads(sys.argv[1])
key = rsa.generate_private_key(public_exponent=65537, key_size=o["keyBits"])
name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "celeriac tests"),
                  x509.NameAttribute(NameOID.COMMON_NAME, o["commonName"])])
now = dt.datetime.now(dt.timezone.utc)
cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(o["serial"]).not_valid_before(now + dt.timedelta(days=o["notBeforeDays"]))
        .not_valid_after(now + dt.timedelta(days=o["notAfterDays"])).sign(key, hashes.SHA256()))
print(json.dumps({
    "keyPem": key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode(),
    "certificatePem": cert.public_bytes(serialization.Encoding.PEM).decode(),
}))
`;

/** Makes a key and a self-signed certificate (about 100 ms). */
export function makeTestCertificate(options: TestCertificateOptions = {}): TestCertificate {
  const python = venvBin('python');
  if (!existsSync(python))
    throw new Error(`Python venv not found at ${python}; run \`bash scripts/python-env.sh\``);
  const settings = {
    commonName: options.commonName ?? 'celeriac-test-signer',
    serial: options.serial ?? Math.floor(Math.random() * 2 ** 40),
    notBeforeDays: options.notBeforeDays ?? -1,
    notAfterDays: options.notAfterDays ?? 365,
    keyBits: options.keyBits ?? 2048,
  };
  const out = execFileSync(python, ['-c', SCRIPT, JSON.stringify(settings)], { encoding: 'utf8' });
  return JSON.parse(out) as TestCertificate;
}
