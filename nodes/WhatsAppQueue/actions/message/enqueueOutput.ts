import type { IDataObject } from 'n8n-workflow';

import type { EnqueuedMessage } from '../../../../shared';

/**
 * Builds the output of a queued message. `status` is `queued` or `scheduled`
 * when this run added the message. It is `duplicate` when the idempotency key
 * was known and nothing was queued, and `state` is then the existing
 * message's state. `phone` is the recipient as the item gave it, when known.
 */
export function toEnqueueOutput(result: EnqueuedMessage, phone?: string): IDataObject {
	let status = result.state === 'delayed' ? 'scheduled' : 'queued';
	if (result.duplicate) {
		status = 'duplicate';
	}
	const output: IDataObject = {
		status,
		jobId: result.id,
		state: result.state,
		instanceName: result.instanceName,
		...(phone === undefined ? {} : { phone }),
		recipientPhone: result.recipientPhone,
		priority: result.priority,
	};
	if (result.scheduledAt !== undefined) {
		output.scheduledAt = result.scheduledAt;
	}
	if (result.idempotencyKey !== undefined) {
		output.idempotencyKey = result.idempotencyKey;
	}
	return output;
}
