import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTool } from './require-tool.js';

/**
 * A throw-away certificate authority for broker tests, made with the `openssl` command line
 * (the same tool an operator uses), so the files are ordinary PEM and nothing in Node can
 * hide a mistake in them: a CA, a server certificate for 127.0.0.1/localhost, one client
 * certificate per kiosk (CN = kioskId, which Mosquitto's `use_identity_as_username` turns into
 * the ACL's %u) and one for the fleet (CN = `fleet`). Keys are P-256: each certificate costs
 * one openssl run of about 10 ms, so kiosks' certificates are made on first use.
 */
export interface CertificatePaths {
  cert: string;
  key: string;
}

export interface TlsFiles {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

export interface TestPki {
  readonly dir: string;
  /** The CA certificate the broker and every client trust. */
  readonly ca: string;
  readonly server: CertificatePaths;
  readonly fleet: CertificatePaths;
  /** A client certificate with CN = `commonName`, signed by the CA; made once per name. */
  client(commonName: string): CertificatePaths;
  /** A client certificate with CN = `commonName` from a CA the broker does not trust. */
  foreign(commonName: string): CertificatePaths;
  /** mqtt.js / tls.connect options for an identity. */
  tlsFiles(identity: CertificatePaths): TlsFiles;
  remove(): void;
}

export const FLEET_IDENTITY = 'fleet';

const CERT_DAYS = '7';
const OPENSSL_CONFIG = `[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
authorityKeyIdentifier = keyid
[client_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
authorityKeyIdentifier = keyid
`;

/** A CN becomes an MQTT username and a file name: keep it to what a kioskId may be. */
const COMMON_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim() ?? '';
    throw new Error(`openssl ${args[0]} failed: ${stderr || String(error)}`);
  }
}

function newKeyArgs(keyPath: string): string[] {
  return ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-noenc', '-keyout', keyPath];
}

export function createTestPki(): TestPki {
  requireTool('openssl');
  const dir = mkdtempSync(join(tmpdir(), 'kioskd-pki-'));
  const config = join(dir, 'openssl.cnf');
  writeFileSync(config, OPENSSL_CONFIG);

  const selfSigned = (name: string, commonName: string): CertificatePaths => {
    const paths = { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
    openssl(
      [
        'req',
        '-x509',
        '-new',
        ...newKeyArgs(paths.key),
        '-out',
        paths.cert,
        '-subj',
        `/CN=${commonName}`,
      ].concat(['-days', CERT_DAYS, '-config', config, '-extensions', 'ca_ext']),
      dir,
    );
    return paths;
  };
  const issued = (
    issuer: CertificatePaths,
    name: string,
    commonName: string,
    extensions: string,
  ): CertificatePaths => {
    const paths = { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
    openssl(
      ['req', '-x509', '-new', ...newKeyArgs(paths.key), '-out', paths.cert, '-subj', `/CN=${commonName}`]
        .concat(['-days', CERT_DAYS, '-config', config, '-extensions', extensions])
        .concat(['-CA', issuer.cert, '-CAkey', issuer.key]),
      dir,
    );
    return paths;
  };

  const authority = selfSigned('ca', 'kioskd test fleet CA');
  let foreignAuthority: CertificatePaths | undefined;
  const server = issued(authority, 'server', 'localhost', 'server_ext');
  const clients = new Map<string, CertificatePaths>();
  const foreigners = new Map<string, CertificatePaths>();
  const checkName = (commonName: string): void => {
    if (!COMMON_NAME.test(commonName)) {
      throw new Error(`certificate CN "${commonName}" is not a kioskId (letters, digits, "_", "-"; ≤ 64)`);
    }
  };

  const client = (commonName: string): CertificatePaths => {
    checkName(commonName);
    let paths = clients.get(commonName);
    if (!paths) {
      paths = issued(authority, `client-${commonName}`, commonName, 'client_ext');
      clients.set(commonName, paths);
    }
    return paths;
  };

  return {
    dir,
    ca: authority.cert,
    server,
    fleet: client(FLEET_IDENTITY),
    client,
    foreign(commonName) {
      checkName(commonName);
      foreignAuthority ??= selfSigned('foreign-ca', 'somebody else CA');
      let paths = foreigners.get(commonName);
      if (!paths) {
        paths = issued(foreignAuthority, `foreign-${commonName}`, commonName, 'client_ext');
        foreigners.set(commonName, paths);
      }
      return paths;
    },
    tlsFiles(identity) {
      return {
        ca: readFileSync(authority.cert),
        cert: readFileSync(identity.cert),
        key: readFileSync(identity.key),
      };
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
