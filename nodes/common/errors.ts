/**
 * Conversion of the shared library's errors into n8n errors, with the fix in
 * the description that the editor shows under the message.
 */

import { NodeOperationError, type INode } from 'n8n-workflow';

import {
	ConfigError,
	JobNotFoundError,
	QueueClosedError,
	RedisUnavailableError,
	ValidationError,
} from '../../shared';

const REDIS_FIX =
	'Check the WhatsApp Queue Redis credential (host, port, TLS, user and password) and that Redis is running and reachable from n8n.';

function describeFix(error: unknown): string | undefined {
	if (error instanceof RedisUnavailableError) {
		return REDIS_FIX;
	}
	if (error instanceof ValidationError) {
		return 'Fix the listed fields of this item and run the node again. Nothing was queued for it.';
	}
	if (error instanceof ConfigError) {
		return 'Check the node parameters and the WhatsApp Queue Redis credential.';
	}
	if (error instanceof JobNotFoundError) {
		return 'Use a job id that the Send or Send Many operation returned, such as "sales:m1x2...".';
	}
	if (error instanceof QueueClosedError) {
		return 'This is a fault of the node; run the workflow again.';
	}
	return undefined;
}

/**
 * Wraps any error in a `NodeOperationError` for the given item. An error that
 * already is one keeps its message and description and gets the item index.
 */
export function toNodeError(node: INode, error: unknown, itemIndex?: number): NodeOperationError {
	if (error instanceof NodeOperationError) {
		if (itemIndex !== undefined && error.context.itemIndex === undefined) {
			error.context.itemIndex = itemIndex;
		}
		return error;
	}
	const cause = error instanceof Error ? error : new Error(String(error));
	return new NodeOperationError(node, cause, { itemIndex, description: describeFix(error) });
}

/** Whether the error means that Redis cannot be reached, so later items would fail the same way. */
export function isRedisUnavailable(error: unknown): boolean {
	return error instanceof RedisUnavailableError;
}
