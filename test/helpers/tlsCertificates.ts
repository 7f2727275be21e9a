import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A private CA and a server certificate for 127.0.0.1 and localhost, in a temporary folder. */
export interface TestCertificates {
	caFile: string;
	certFile: string;
	keyFile: string;
	/** PEM text of the CA certificate. */
	ca: string;
	/** Removes the folder. */
	dispose(): void;
}

function openssl(args: string[], cwd: string): void {
	execFileSync('openssl', args, { cwd, stdio: 'ignore' });
}

/** Generates the certificates with the openssl command line; they are valid for two days. */
export function createTestCertificates(): TestCertificates {
	const dir = mkdtempSync(join(tmpdir(), 'waq-tls-'));
	openssl(
		[
			'req',
			'-x509',
			'-newkey',
			'rsa:2048',
			'-nodes',
			'-keyout',
			'ca.key',
			'-out',
			'ca.crt',
			'-days',
			'2',
			'-subj',
			'/CN=Test CA',
		],
		dir,
	);
	openssl(
		[
			'req',
			'-newkey',
			'rsa:2048',
			'-nodes',
			'-keyout',
			'server.key',
			'-out',
			'server.csr',
			'-subj',
			'/CN=localhost',
		],
		dir,
	);
	writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
	openssl(
		[
			'x509',
			'-req',
			'-in',
			'server.csr',
			'-CA',
			'ca.crt',
			'-CAkey',
			'ca.key',
			'-CAcreateserial',
			'-out',
			'server.crt',
			'-days',
			'2',
			'-extfile',
			'ext.cnf',
		],
		dir,
	);
	return {
		caFile: join(dir, 'ca.crt'),
		certFile: join(dir, 'server.crt'),
		keyFile: join(dir, 'server.key'),
		ca: readFileSync(join(dir, 'ca.crt'), 'utf8'),
		dispose: () => rmSync(dir, { recursive: true, force: true }),
	};
}

/** redis-server arguments that add a TLS port next to the plaintext one. */
export function tlsServerArgs(certificates: TestCertificates, tlsPort: number): string[] {
	return [
		'--tls-port',
		String(tlsPort),
		'--tls-cert-file',
		certificates.certFile,
		'--tls-key-file',
		certificates.keyFile,
		'--tls-ca-cert-file',
		certificates.caFile,
		'--tls-auth-clients',
		'no',
	];
}
