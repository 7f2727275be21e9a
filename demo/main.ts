/**
 * The demo: sends the sample campaign in examples/campaign.csv through the
 * public API, a real worker process and the sandbox gateway, and prints what
 * happened. Run it with `npm run demo`.
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { SandboxGateway } from '../sandbox/sandboxGateway';
import type { Priority, WhatsAppMessage } from '../shared/message';
import { analyticsObserver, createAnalyticsManager } from '../shared/analytics';
import { createQueueManager, type QueueManager } from '../shared/queue';
import { validateMessage } from '../shared/validation';
import { parseCsv } from './csv';
import { freePort, INSTALL_HINT, provideRedis, type DemoRedis } from './redis';
import { printSummary, type DemoOutcome } from './summary';

const ROOT = join(__dirname, '..', '..');
const CAMPAIGN_FILE = join(ROOT, 'examples', 'campaign.csv');
const CAMPAIGN_ID = 'spring-demo';

/** Numbers in the sample campaign that the sandbox reports as not on WhatsApp. */
const NOT_ON_WHATSAPP = ['34600009901', '34600009902', '34600009903', '34600009904'];

/**
 * The demo's pace: 5 messages per second per instance, so 200 messages finish
 * in about a minute. The product default is 80 per minute.
 */
const DEMO_RATE = { max: 5, duration: 1000 };

interface CampaignRow {
	message: WhatsAppMessage;
	sendAfterSeconds: number;
	line: number;
}

function log(text: string): void {
	process.stdout.write(`${text}\n`);
}

function readCampaign(): CampaignRow[] {
	const rows = parseCsv(readFileSync(CAMPAIGN_FILE, 'utf8'));
	return rows.map((row, index) => ({
		line: index + 2,
		sendAfterSeconds: Number(row.send_after_seconds || 0),
		message: {
			instanceName: row.instance,
			recipientPhone: row.phone,
			messageType: 'text',
			content: { text: `Hi ${row.name.split(' ')[0]}, your spring offer is ready: 20% off until Sunday.` },
			metadata: { priority: row.priority as Priority, campaignId: CAMPAIGN_ID, contactId: `row-${index + 2}` },
		},
	}));
}

/** Starts the worker as its own process, the way it runs in production. */
function startWorker(env: Record<string, string>): ChildProcess {
	const child = spawn(process.execPath, [join(ROOT, 'dist', 'worker', 'main.js')], {
		env: { ...process.env, ...env },
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	let pending = '';
	child.stdout?.on('data', (chunk: Buffer) => {
		pending += chunk.toString();
		const lines = pending.split('\n');
		pending = lines.pop() ?? '';
		for (const line of lines) {
			try {
				const entry = JSON.parse(line) as { level?: string; msg?: string; reason?: string; jobId?: string };
				if (entry.level === 'warn' || entry.level === 'error') {
					log(`  worker ${entry.level}: ${entry.msg}${entry.jobId ? ` (${entry.jobId})` : ''}`);
				}
			} catch {
				log(`  worker: ${line}`);
			}
		}
	});
	child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
	return child;
}

async function waitForWorkerReady(port: number, child: ChildProcess): Promise<void> {
	const deadline = Date.now() + 20_000;
	for (;;) {
		if (child.exitCode !== null) {
			throw new Error('The worker process exited during start-up; see its output above.');
		}
		try {
			const response = await fetch(`http://127.0.0.1:${port}/health`);
			if (response.status === 200) {
				return;
			}
		} catch {
			// Not listening yet.
		}
		if (Date.now() > deadline) {
			throw new Error('The worker did not become healthy within 20 s.');
		}
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
}

/**
 * Checks every row, enqueues the valid ones (scheduled rows with
 * `scheduleMessage`) and resolves to the rejected rows with their reasons.
 */
async function enqueueCampaign(queue: QueueManager, rows: CampaignRow[]): Promise<DemoOutcome['rejected']> {
	const rejected: DemoOutcome['rejected'] = [];
	const valid: CampaignRow[] = [];
	for (const row of rows) {
		const result = validateMessage(row.message);
		if (result.ok) {
			valid.push(row);
		} else {
			const reason = result.issues.map((issue) => issue.message).join(' ');
			rejected.push({ line: row.line, phone: row.message.recipientPhone, reason });
		}
	}
	await queue.addBulk(valid.filter((row) => row.sendAfterSeconds === 0).map((row) => row.message));
	for (const row of valid.filter((candidate) => candidate.sendAfterSeconds > 0)) {
		await queue.scheduleMessage(row.message, Date.now() + row.sendAfterSeconds * 1000);
	}
	return rejected;
}

async function showProgress(queue: QueueManager, expected: number, sandbox: SandboxGateway): Promise<void> {
	const started = Date.now();
	for (;;) {
		const metrics = await queue.getMetrics();
		const done = metrics.completed + metrics.dlq;
		log(
			`  ${String(Math.round((Date.now() - started) / 1000)).padStart(3)} s  sent ${String(metrics.completed).padStart(3)}/${expected}` +
				`  scheduled ${String(metrics.delayed).padStart(2)}  waiting ${String(metrics.waiting).padStart(3)}` +
				`  dead-lettered ${metrics.dlq}  gateway received ${sandbox.received.length}`,
		);
		if (done >= expected && metrics.active === 0 && metrics.waiting === 0 && metrics.delayed === 0) {
			return;
		}
		await new Promise((resolve) => setTimeout(resolve, 2000));
	}
}

/** Waits until the sandbox has posted every delivery and read receipt, up to 15 s. */
async function waitForReceipts(sandbox: SandboxGateway): Promise<void> {
	const deadline = Date.now() + 15_000;
	while (sandbox.stats().webhooks.pending > 0 && Date.now() < deadline) {
		await new Promise((resolve) => setTimeout(resolve, 200));
	}
}

/** Counts the receipts the sandbox posted and the worker acknowledged, by status. */
function countReceipts(sandbox: SandboxGateway): DemoOutcome['gatewayReceipts'] {
	const ids = (status: string[]) =>
		new Set(sandbox.webhookDeliveries.filter((d) => d.ok && d.status && status.includes(d.status)).map((d) => d.keyId)).size;
	return { delivered: ids(['DELIVERY_ACK', 'READ', 'PLAYED']), read: ids(['READ', 'PLAYED']) };
}

async function run(redis: DemoRedis): Promise<void> {
	const prefix = `demo${randomBytes(3).toString('hex')}`;
	const webhookSecret = randomBytes(12).toString('hex');
	const workerPort = await freePort();
	const sandbox = new SandboxGateway({
		port: 0,
		instances: ['sales', 'support'],
		notOnWhatsApp: NOT_ON_WHATSAPP,
		latency: { minMs: 40, maxMs: 250 },
		webhook: {
			url: `http://127.0.0.1:${workerPort}/webhooks/evolution`,
			headers: { 'x-webhook-secret': webhookSecret },
			deliveredAfterMs: 400,
			readAfterMs: 1500,
			readRatio: 0.6,
			replyRatio: 0.1,
		},
	});
	const gatewayUrl = await sandbox.start();
	// Two early sends fail once with a server error, to show a retry.
	sandbox.addFault({ action: 'respond', status: 503, instance: 'sales', count: 2 });

	log(`Redis: ${redis.isPrivate ? 'private redis-server' : 'from REDIS_HOST'} on ${redis.host}:${redis.port}, key prefix ${prefix}`);
	log(`Sandbox gateway: ${gatewayUrl} (instances sales and support)`);

	const worker = startWorker({
		REDIS_HOST: redis.host,
		REDIS_PORT: String(redis.port),
		...(redis.password ? { REDIS_PASSWORD: redis.password } : {}),
		QUEUE_PREFIX: prefix,
		EVOLUTION_API_URL: gatewayUrl,
		EVOLUTION_API_KEY: sandbox.apiKey,
		RATE_LIMIT_MAX: String(DEMO_RATE.max),
		RATE_LIMIT_DURATION_MS: String(DEMO_RATE.duration),
		WORKER_CONCURRENCY: '5',
		RETRY_BACKOFF_DELAY_MS: '1000',
		HTTP_PORT: String(workerPort),
		WEBHOOK_SECRET: webhookSecret,
		ANALYTICS_PREFIX: prefix,
		LOG_LEVEL: 'warn',
	});
	const connection = { host: redis.host, port: redis.port, password: redis.password };
	const queue = createQueueManager({ redis: connection, prefix });
	const analytics = createAnalyticsManager({ ...connection, db: 1, prefix });
	queue.addObserver(analyticsObserver(analytics));
	try {
		await waitForWorkerReady(workerPort, worker);
		log(`Worker: process ${worker.pid}, ${DEMO_RATE.max} messages per second per instance (the product default is 80 per minute)`);

		const rows = readCampaign();
		const started = Date.now();
		const rejected = await enqueueCampaign(queue, rows);
		const expected = rows.length - rejected.length;
		log(`\nQueued ${expected} of ${rows.length} rows from examples/campaign.csv; ${rejected.length} rejected by validation.\n`);

		await showProgress(queue, expected, sandbox);
		await waitForReceipts(sandbox);
		const outcome: DemoOutcome = {
			seconds: (Date.now() - started) / 1000,
			rows: rows.length,
			rejected,
			metrics: await queue.getMetrics(),
			deadLetters: await queue.getDLQMessages(50),
			gatewayReceived: sandbox.received.length,
			gatewayReceipts: countReceipts(sandbox),
			campaignId: CAMPAIGN_ID,
			campaign: await analytics.getCampaignMetrics(CAMPAIGN_ID),
			performance: await analytics.getPerformanceMetrics(),
		};
		printSummary(outcome, log);
	} finally {
		await queue.close();
		await analytics.close();
		const exited = new Promise((resolve) => worker.once('exit', resolve));
		if (worker.exitCode === null) {
			worker.kill('SIGTERM');
			await exited;
		}
		await sandbox.stop();
	}
}

async function main(): Promise<number> {
	let redis: DemoRedis | undefined;
	try {
		redis = await provideRedis(process.env);
	} catch (error) {
		process.stderr.write(`${(error as Error).message}\n`);
		return 1;
	}
	if (!redis) {
		process.stderr.write(`${INSTALL_HINT}\n`);
		return 1;
	}
	try {
		await run(redis);
		return 0;
	} catch (error) {
		process.stderr.write(`The demo failed: ${(error as Error).message}\n`);
		return 1;
	} finally {
		await redis.stop();
	}
}

main().then((code) => {
	process.exitCode = code;
});
