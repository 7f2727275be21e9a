#!/usr/bin/env node
/**
 * Process entry of `whatsapp-queue-worker`: reads the environment, starts the
 * worker and stops it cleanly on SIGTERM or SIGINT. A second signal aborts the
 * sends still in flight; their jobs go back to the queue.
 */

import { ConfigError, RedisUnavailableError } from '../shared/errors';
import { describeError } from '../shared/logger';
import { HELP_TEXT, loadWorkerConfig, secretsOf } from './config';
import { createWorkerLogger } from './logger';
import { createAnalyticsExtensions } from './analyticsExtensions';
import { runWorker } from './runWorker';

async function main(): Promise<number> {
	const args = process.argv.slice(2);
	if (args.includes('--help') || args.includes('-h')) {
		process.stdout.write(HELP_TEXT);
		return 0;
	}
	if (args.length > 0) {
		process.stderr.write(`Unknown argument "${args[0]}". The worker is configured by environment variables; see --help.\n`);
		return 2;
	}

	let config;
	try {
		config = loadWorkerConfig(process.env);
	} catch (error) {
		if (error instanceof ConfigError) {
			process.stderr.write(`${error.message}\n`);
			return 2;
		}
		throw error;
	}

	const logger = createWorkerLogger(config.logLevel, secretsOf(config));
	process.on('unhandledRejection', (reason) => {
		logger.error('Unhandled promise rejection.', describeError(reason));
	});

	const extensions = await createAnalyticsExtensions(config, logger);
	let worker;
	try {
		worker = await runWorker(config, logger, extensions);
	} catch (error) {
		if (error instanceof RedisUnavailableError) {
			logger.error('The worker cannot connect to Redis.', { reason: error.message });
			process.stderr.write(`${error.message}\n`);
			await extensions.close?.().catch(() => undefined);
			return 1;
		}
		throw error;
	}

	return await new Promise<number>((resolve) => {
		let signals = 0;
		const onSignal = (signal: NodeJS.Signals) => {
			signals += 1;
			if (signals === 1) {
				logger.info('Signal received; shutting down.', { signal });
				worker.stop().then(
					() => resolve(0),
					(error) => {
						logger.error('Shutdown failed.', describeError(error));
						resolve(1);
					},
				);
			} else {
				logger.warn('Second signal received; aborting sends in flight.', { signal });
				worker.stop({ force: true }).then(
					() => resolve(0),
					() => resolve(1),
				);
			}
		};
		process.on('SIGTERM', onSignal);
		process.on('SIGINT', onSignal);
	});
}

main().then(
	(code) => {
		process.exitCode = code;
		// Timers of libraries must not keep a stopped worker alive.
		setTimeout(() => process.exit(code), 1000).unref();
	},
	(error) => {
		process.stderr.write(`The worker stopped on an unexpected error: ${error instanceof Error ? error.message : String(error)}\n`);
		process.exit(1);
	},
);
