/**
 * Picks the operation of a WhatsApp Queue node run and gives it one queue
 * manager, that is one Redis connection, for every item. The manager is
 * closed when the run ends, whatever happened.
 */

import { NodeOperationError, type IExecuteFunctions, type INodeExecutionData } from 'n8n-workflow';

import { createQueueManager, type QueueManager } from '../../../shared';
import { CREDENTIAL_NAME, readCredential, toQueueManagerConfig } from '../../common/credentials';
import { runOperation, type ClientLifecycle, type Operation } from '../../common/itemRunner';
import * as deadLetterQueue from './deadLetterQueue';
import * as message from './message';
import * as queue from './queue';

type Runner = (
	context: IExecuteFunctions,
	lifecycle: ClientLifecycle<QueueManager>,
) => Promise<INodeExecutionData[][]>;

function bind<Params>(operation: Operation<QueueManager, Params>): Runner {
	return async (context, lifecycle) => await runOperation(context, operation, lifecycle);
}

const runners: Record<string, Record<string, Runner>> = {
	message: {
		send: bind(message.send.operation),
		sendMany: bind(message.sendMany.operation),
		getStatus: bind(message.getStatus.operation),
		cancel: bind(message.cancel.operation),
	},
	deadLetterQueue: {
		list: bind(deadLetterQueue.list.operation),
		retry: bind(deadLetterQueue.retry.operation),
		retryAll: bind(deadLetterQueue.retryAll.operation),
		remove: bind(deadLetterQueue.remove.operation),
		clear: bind(deadLetterQueue.clear.operation),
	},
	queue: {
		getMetrics: bind(queue.getMetrics.operation),
		pause: bind(queue.pause.operation),
		resume: bind(queue.resume.operation),
		drain: bind(queue.drain.operation),
		clean: bind(queue.clean.operation),
		setRateLimit: bind(queue.setRateLimit.operation),
	},
};

/** Runs the selected operation over every input item. */
export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const resource = this.getNodeParameter('resource', 0) as string;
	const operation = this.getNodeParameter('operation', 0) as string;
	const run = runners[resource]?.[operation];
	if (!run) {
		throw new NodeOperationError(
			this.getNode(),
			`The operation "${operation}" of resource "${resource}" is not supported.`,
		);
	}

	return await run(this, {
		open: async () => {
			const credential = readCredential(await this.getCredentials(CREDENTIAL_NAME));
			return createQueueManager(toQueueManagerConfig(credential, this.logger));
		},
		close: async (manager) => await manager.close(),
	});
}
