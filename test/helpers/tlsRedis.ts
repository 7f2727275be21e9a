import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';

import { getFreePort } from './ports';
import { waitFor } from './waitFor';

/** Files of a test certificate authority and a server certificate it signed. */
export interface TestCertificates {
	dir: string;
	caCertPath: string;
	serverCertPath: string;
	serverKeyPath: string;
	/** The CA certificate as PEM text. */
	caPem: string;
}

function openssl(args: string[], cwd: string): void {
	execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/**
 * Creates a CA and a server certificate for `localhost` and 127.0.0.1 with
 * openssl, in a new temporary folder. They are valid for two days.
 */
export function createTestCertificates(): TestCertificates {
	const dir = mkdtempSync(join(tmpdir(), 'waq-tls-'));
	const curve = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
	openssl(['req', '-x509', ...curve, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=waq test CA'], dir);
	openssl(['req', ...curve, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost'], dir);
	writeFileSync(join(dir, 'server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
	openssl(
		[
			'x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial',
			'-out', 'server.crt', '-days', '2', '-extfile', 'server.ext',
		],
		dir,
	);
	const caCertPath = join(dir, 'ca.crt');
	return {
		dir,
		caCertPath,
		serverCertPath: join(dir, 'server.crt'),
		serverKeyPath: join(dir, 'server.key'),
		caPem: readFileSync(caCertPath, 'utf8'),
	};
}

/**
 * A redis-server that accepts only TLS connections (`--port 0` and
 * `--tls-port`), on a free loopback port, with its own data folder and
 * test certificates. Clients need no certificate of their own.
 */
export class TlsRedisServer {
	readonly host = '127.0.0.1';
	port = 0;
	readonly certificates: TestCertificates;
	private process?: ChildProcess;
	private readonly dataDir: string;

	constructor(private readonly password?: string) {
		this.certificates = createTestCertificates();
		this.dataDir = mkdtempSync(join(tmpdir(), 'waq-tls-redis-'));
	}

	/** Starts redis-server and waits until it replies to PING over TLS. */
	async start(): Promise<void> {
		this.port = await getFreePort();
		const { caCertPath, serverCertPath, serverKeyPath } = this.certificates;
		const args = [
			'--port', '0',
			'--tls-port', String(this.port),
			'--tls-cert-file', serverCertPath,
			'--tls-key-file', serverKeyPath,
			'--tls-ca-cert-file', caCertPath,
			'--tls-auth-clients', 'no',
			'--bind', '127.0.0.1',
			'--dir', this.dataDir,
			'--save', '',
			'--appendonly', 'no',
			'--loglevel', 'warning',
			'--maxmemory-policy', 'noeviction',
			...(this.password ? ['--requirepass', this.password] : []),
		];
		const child = spawn(process.env.REDIS_SERVER_BIN ?? 'redis-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
		this.process = child;
		let stderr = '';
		child.stderr?.on('data', (chunk: Buffer) => {
			stderr += chunk.toString();
		});
		const exited = new Promise<never>((_, reject) => {
			child.once('exit', (code) => reject(new Error(`redis-server exited with code ${code}: ${stderr}`)));
		});
		exited.catch(() => undefined);
		await Promise.race([
			waitFor(() => this.ping(), { timeoutMs: 10_000, description: `TLS redis-server on port ${this.port}` }),
			exited,
		]);
	}

	/** Sends PING over TLS with the test CA. */
	private async ping(): Promise<boolean> {
		const auth = this.password ? `AUTH ${this.password}\r\n` : '';
		return await new Promise((resolve) => {
			const socket = connect({ host: this.host, port: this.port, ca: this.certificates.caPem, servername: 'localhost' });
			let reply = '';
			const finish = (ok: boolean) => {
				socket.destroy();
				resolve(ok);
			};
			socket.setTimeout(1000, () => finish(false));
			socket.on('error', () => finish(false));
			socket.on('secureConnect', () => socket.write(`${auth}PING\r\n`));
			socket.on('data', (chunk) => {
				reply += chunk.toString();
				if (reply.includes('+PONG')) {
					finish(true);
				} else if (reply.includes('-')) {
					finish(false);
				}
			});
		});
	}

	/** Stops the server and removes its data and certificate folders. */
	async dispose(): Promise<void> {
		const child = this.process;
		if (child && child.exitCode === null && child.signalCode === null) {
			const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
			child.kill('SIGTERM');
			await exited;
		}
		rmSync(this.dataDir, { recursive: true, force: true });
		rmSync(this.certificates.dir, { recursive: true, force: true });
	}
}
