/**
 * Per-item settings of queued messages that are not part of the message
 * itself: the retry policy.
 */

import { NodeOperationError, type IDataObject, type IExecuteFunctions } from 'n8n-workflow';

import { DEFAULTS, type QueueManagerConfig } from '../../../shared';

function isBlank(value: unknown): boolean {
	return value === undefined || value === null || value === '';
}

function readWholeNumber(
	context: IExecuteFunctions,
	value: unknown,
	label: string,
	itemIndex: number,
): number {
	const number = typeof value === 'string' ? Number(value) : value;
	if (typeof number !== 'number' || !Number.isInteger(number) || number < 0) {
		throw new NodeOperationError(context.getNode(), `Invalid ${label} ${JSON.stringify(value)}.`, {
			itemIndex,
			description: `Enter ${label} as a whole number.`,
		});
	}
	return number;
}

/**
 * Reads the Retry collection. An empty collection leaves the worker's policy
 * in force; otherwise a missing field takes the default (3 attempts,
 * exponential backoff from 2000 ms).
 */
export function readRetry(
	context: IExecuteFunctions,
	itemIndex: number,
): QueueManagerConfig['retry'] {
	const retry = context.getNodeParameter('retry', itemIndex, {}) as IDataObject;
	const given = Object.entries(retry).filter(([, value]) => !isBlank(value));
	if (given.length === 0) {
		return undefined;
	}
	const attempts = isBlank(retry.attempts)
		? DEFAULTS.retry.attempts
		: readWholeNumber(context, retry.attempts, 'Attempts', itemIndex);
	const delay = isBlank(retry.backoffDelayMs)
		? DEFAULTS.retry.backoff.delay
		: readWholeNumber(context, retry.backoffDelayMs, 'Backoff Delay (Ms)', itemIndex);
	const type = retry.backoffType === 'fixed' ? 'fixed' : DEFAULTS.retry.backoff.type;
	return { attempts, backoff: { type, delay } };
}
