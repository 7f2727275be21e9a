/**
 * The anchor of the delivery benchmarks: a plain BullMQ `Worker` per queue,
 * as a user without this package would write it, making the same HTTP call
 * through the same `EvolutionClient`. Settings arrive as JSON in
 * `BENCH_SETTINGS` (see `RawWorkerSettings`). It prints `ready` once every
 * worker is connected and exits on SIGTERM.
 */

import { Worker, type Job } from 'bullmq';

import { EvolutionClient } from '../shared/gateways/evolution/client';
import type { NormalizedMessage } from '../shared/message';
import type { RawWorkerSettings } from './lib/processes';

async function main(): Promise<void> {
	const settings = JSON.parse(process.env.BENCH_SETTINGS ?? '{}') as RawWorkerSettings;
	const gateway = new EvolutionClient({ baseUrl: settings.gatewayUrl, apiKey: settings.apiKey });
	await gateway.warmUp?.();

	const process_ = async (job: Job<{ message: NormalizedMessage }>) => {
		const result = await gateway.send(job.data.message);
		return {
			messageId: result.messageId,
			status: result.status,
			remoteJid: result.remoteJid,
			sentAt: new Date().toISOString(),
		};
	};
	const workers = settings.queueNames.map(
		(name) =>
			new Worker(name, process_, {
				connection: { host: '127.0.0.1', port: settings.redisPort, maxRetriesPerRequest: null },
				prefix: settings.prefix,
				concurrency: settings.concurrency,
				limiter: settings.limiter,
			}),
	);
	for (const worker of workers) {
		worker.on('error', (error) => process.stderr.write(`Worker error: ${error.message}\n`));
	}
	await Promise.all(workers.map((worker) => worker.waitUntilReady()));
	process.stdout.write('ready\n');

	process.once('SIGTERM', () => {
		Promise.all(workers.map((worker) => worker.close()))
			.catch((error: Error) => process.stderr.write(`Close failed: ${error.message}\n`))
			.finally(() => process.exit(0));
	});
}

main().catch((error: Error) => {
	process.stderr.write(`The raw BullMQ worker failed to start: ${error.stack ?? error.message}\n`);
	process.exit(1);
});
