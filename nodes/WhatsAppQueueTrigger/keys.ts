/**
 * Redis names the trigger owns. They live under the queue's key prefix, next
 * to the event streams.
 */

/** Consumer group of one workflow's trigger node, shared by every n8n process. */
export function consumerGroupName(workflowId: string, nodeId: string): string {
	return `n8n:${workflowId}:${nodeId}`;
}

/** Hash that stores whether an alert of one trigger node is above its threshold. */
export function alertStateKey(
	prefix: string,
	workflowId: string,
	nodeId: string,
	alert: string,
): string {
	return `${prefix}:n8n:alert:${workflowId}:${nodeId}:${alert}`;
}
