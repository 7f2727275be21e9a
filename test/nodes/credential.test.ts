import '../helpers/n8n/environment';

import { CredentialTestContext } from 'n8n-core';
import type { ICredentialDataDecryptedObject, INodeCredentialTestResult } from 'n8n-workflow';

import { WhatsAppQueue } from '../../nodes/WhatsAppQueue/WhatsAppQueue.node';
import { getFreePort } from '../helpers/ports';
import { startRedisServer, uniquePrefix, type RedisServer } from '../helpers/redisServer';
import { startTestGateway, type TestGateway } from '../helpers/sandbox';
import {
	createTestCertificates,
	tlsServerArgs,
	type TestCertificates,
} from '../helpers/tlsCertificates';
import { waitFor } from '../helpers/waitFor';
import { getNode, runWorkflow, singleNodeWorkflow } from '../helpers/n8n/workflowRunner';
import { startWorkerProcess, type WorkerProcess } from '../helpers/workerProcess';

const PASSWORD = 'p@ss:w/rd#%1';

/** Runs the credential test the way n8n does: through the node that names it in `testedBy`. */
async function testCredential(
	data: ICredentialDataDecryptedObject,
): Promise<INodeCredentialTestResult> {
	const node = new WhatsAppQueue();
	const credential = node.description.credentials?.find(
		(entry) => entry.name === 'whatsAppQueueRedisApi',
	);
	const test = node.methods.credentialTest[credential?.testedBy as string];
	return await test.call(new CredentialTestContext(), {
		id: '1',
		name: 'WhatsApp Queue Redis',
		type: 'whatsAppQueueRedisApi',
		data,
	});
}

describe('WhatsApp Queue Redis credential', () => {
	let certificates: TestCertificates;
	let server: RedisServer;
	let tlsPort: number;

	/** Settings that pass: the TLS port, the default user, the password and the CA. */
	function tlsCredential(
		extra: ICredentialDataDecryptedObject = {},
	): ICredentialDataDecryptedObject {
		return {
			host: '127.0.0.1',
			port: tlsPort,
			username: 'default',
			password: PASSWORD,
			queueDatabase: 0,
			analyticsDatabase: 1,
			prefix: 'waq',
			tls: true,
			caCertificate: certificates.ca,
			rejectUnauthorized: true,
			...extra,
		};
	}

	/** Clients connected over the plaintext port, the checking client excluded. */
	async function clientCount(): Promise<number> {
		const client = server.client();
		try {
			const list = (await client.client('LIST')) as string;
			return list.trim().split('\n').length - 1;
		} finally {
			client.disconnect();
		}
	}

	beforeAll(async () => {
		certificates = createTestCertificates();
		tlsPort = await getFreePort();
		server = await startRedisServer({
			password: PASSWORD,
			extraArgs: [
				...tlsServerArgs(certificates, tlsPort),
				'--databases',
				'4',
				'--user',
				'alice',
				'on',
				`>${PASSWORD}`,
				'~*',
				'&*',
				'+@all',
			],
		});
	});

	afterAll(async () => {
		await server.dispose();
		certificates.dispose();
	});

	it('passes with TLS, user and CA', async () => {
		const result = await testCredential(tlsCredential());

		expect(result.status).toBe('OK');
		expect(result.message).toBe(`Connected to Redis at 127.0.0.1:${tlsPort}, databases 0 and 1.`);
	});

	it('passes for an ACL user', async () => {
		const result = await testCredential(tlsCredential({ username: 'alice' }));

		expect(result.status).toBe('OK');
	});

	it('passes over plaintext without a user', async () => {
		const result = await testCredential(
			tlsCredential({ port: server.port, username: '', tls: false, caCertificate: '' }),
		);

		expect(result.status).toBe('OK');
	});

	it('reports a wrong password', async () => {
		const result = await testCredential(tlsCredential({ password: 'wrong-password' }));

		expect(result.status).toBe('Error');
		expect(result.message).toMatch(/rejected the credentials\. Check the username and password\.$/);
	});

	it('reports TLS against a plaintext port', async () => {
		const started = Date.now();
		const result = await testCredential(tlsCredential({ port: server.port }));

		expect(result.status).toBe('Error');
		expect(result.message).toMatch(
			/does not use TLS on this port\. Turn TLS off, or use the server's TLS port\.$/,
		);
		expect(Date.now() - started).toBeLessThan(6000);
	});

	it('reports plaintext against the TLS port', async () => {
		const started = Date.now();
		const result = await testCredential(tlsCredential({ tls: false }));

		expect(result.status).toBe('Error');
		expect(result.message).toMatch(/turn TLS on/i);
		expect(Date.now() - started).toBeLessThan(5000);
	});

	it('reports a certificate it cannot trust', async () => {
		const result = await testCredential(tlsCredential({ caCertificate: '' }));

		expect(result.status).toBe('Error');
		expect(result.message).toMatch(/certificate that is not trusted/);
	});

	it('accepts any certificate when checks are off', async () => {
		const result = await testCredential(
			tlsCredential({ caCertificate: '', rejectUnauthorized: false }),
		);

		expect(result.status).toBe('OK');
	});

	it('reports a refused connection', async () => {
		const port = await getFreePort();
		const result = await testCredential(tlsCredential({ port, tls: false }));

		expect(result.status).toBe('Error');
		expect(result.message).toBe(
			`Queue database 0: Redis refused the connection at 127.0.0.1:${port}. Check the host and port, and that Redis is running.`,
		);
	});

	it('reports a missing analytics database', async () => {
		const result = await testCredential(tlsCredential({ analyticsDatabase: 9 }));

		expect(result.status).toBe('Error');
		expect(result.message).toContain(
			`Analytics database 9: Redis at 127.0.0.1:${tlsPort} has no database 9`,
		);
	});

	it('rejects an invalid time zone unconnected', async () => {
		const before = await clientCount();
		const result = await testCredential(tlsCredential({ analyticsTimeZone: 'Mars/Olympus' }));

		expect(result.status).toBe('Error');
		expect(result.message).toMatch(/^Invalid analytics time zone "Mars\/Olympus"/);
		expect(await clientCount()).toBe(before);
	});

	it('never shows the password', async () => {
		const outcomes = await Promise.all([
			testCredential(tlsCredential({ password: `${PASSWORD}x` })),
			testCredential(tlsCredential({ port: server.port })),
			testCredential(tlsCredential({ tls: false })),
			testCredential(tlsCredential({ caCertificate: '' })),
		]);

		for (const outcome of outcomes) {
			expect(outcome.message).not.toContain(PASSWORD);
		}
	});

	it('closes its clients after every test', async () => {
		const before = await clientCount();
		for (let i = 0; i < 5; i++) {
			await testCredential(tlsCredential({ port: server.port, tls: false }));
			await testCredential(tlsCredential({ port: server.port, tls: false, password: 'wrong' }));
		}

		expect(await clientCount()).toBe(before);
	});

	describe('same settings in the node and the worker', () => {
		let gateway: TestGateway;
		let worker: WorkerProcess | undefined;

		beforeEach(async () => {
			gateway = await startTestGateway({ instances: ['sales'] });
		});

		afterEach(async () => {
			await worker?.dispose();
			worker = undefined;
			await gateway.sandbox.stop();
		});

		it('connects both over TLS', async () => {
			const prefix = uniquePrefix();
			const fixture = singleNodeWorkflow('queueOperation', 'WhatsApp Queue', {
				items: [{}],
				parameters: {
					resource: 'message',
					operation: 'send',
					instanceName: 'sales',
					phone: '34600000001',
					messageType: 'text',
					text: 'Hello',
				},
			});
			getNode(fixture, 'WhatsApp Queue').parameters.options = {};
			const run = await runWorkflow(fixture, {
				whatsAppQueueRedisApi: tlsCredential({ username: 'alice', prefix }),
			});
			worker = await startWorkerProcess({
				REDIS_HOST: '127.0.0.1',
				REDIS_PORT: String(tlsPort),
				REDIS_USERNAME: 'alice',
				REDIS_PASSWORD: PASSWORD,
				REDIS_TLS: 'true',
				REDIS_TLS_CA: certificates.caFile,
				QUEUE_PREFIX: prefix,
				EVOLUTION_API_URL: gateway.url,
				EVOLUTION_API_KEY: gateway.sandbox.apiKey,
				RATE_LIMIT_MAX: '0',
				HTTP_PORT: '0',
				ANALYTICS_ENABLED: 'false',
			});

			expect(run.error).toBeUndefined();
			expect(run.json('WhatsApp Queue')[0].status).toBe('queued');
			await worker.waitForLog('Delivery worker ready.');
			await waitFor(() => gateway.sandbox.received.some((sent) => sent.number === '34600000001'), {
				description: 'the send of the queued message',
			});
			expect(worker.stdout).not.toContain(PASSWORD);
		});
	});
});
