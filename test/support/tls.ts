import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';

/*
 * A self-signed certificate for 127.0.0.1, made once per test process, for the emulator's TLS
 * mode: a bot trusts it through NODE_EXTRA_CA_CERTS (its file), as it would a company's CA.
 */

export interface TestCertificate {
  key: string;
  cert: string;
  /** The certificate's file, for NODE_EXTRA_CA_CERTS. */
  file: string;
}

let made: Promise<TestCertificate> | undefined;

export function testCertificate(): Promise<TestCertificate> {
  made ??= (async () => {
    const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
      keySize: 2048,
      algorithm: 'sha256',
      extensions: [
        { name: 'basicConstraints', cA: true },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true },
        { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
      ],
    });
    const file = join(mkdtempSync(join(tmpdir(), 'loopguard-tls-')), 'emulator.pem');
    writeFileSync(file, pems.cert);
    return { key: pems.private, cert: pems.cert, file };
  })();
  return made;
}
