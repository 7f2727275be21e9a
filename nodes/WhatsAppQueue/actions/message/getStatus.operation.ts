import {
	updateDisplayOptions,
	type IDataObject,
	type IExecuteFunctions,
	type INodeProperties,
} from 'n8n-workflow';

import type { MessageStatus, QueueManager } from '../../../../shared';
import type { ItemOperation } from '../../../common/itemRunner';
import { jobIdField } from '../../descriptions';
import { readJobId } from '../parameters';

export const description: INodeProperties[] = updateDisplayOptions(
	{ show: { resource: ['message'], operation: ['getStatus'] } },
	[jobIdField],
);

/**
 * Output of a message status: state, attempts, gateway message ID and last
 * error. The error is `lastError`, because an item with `error` is how n8n
 * marks a failed item.
 */
function toStatusOutput(status: MessageStatus): IDataObject {
	return {
		jobId: status.id,
		instanceName: status.instanceName,
		state: status.state,
		attempts: status.attemptsMade,
		gatewayMessageId: status.gatewayMessageId ?? null,
		lastError: status.error ?? null,
		priority: status.priority,
		createdAt: status.createdAt,
		scheduledAt: status.scheduledAt,
		processedAt: status.processedAt,
		finishedAt: status.finishedAt,
		message: status.message as unknown as IDataObject,
	};
}

/** Reads the state of one queued message by its job ID. */
export const operation: ItemOperation<QueueManager, string> = {
	kind: 'item',

	prepare(this: IExecuteFunctions, itemIndex: number): string {
		return readJobId(this, itemIndex);
	},

	async execute(manager, jobId) {
		return toStatusOutput(await manager.getStatus(jobId));
	},
};
