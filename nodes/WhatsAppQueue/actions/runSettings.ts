/**
 * Settings of the queue manager that one run of the node opens. They apply
 * to every item, so they are read from the first item.
 */

import { NodeOperationError, type IDataObject, type IExecuteFunctions } from 'n8n-workflow';

import { DEFAULTS, type QueueManagerConfig } from '../../../shared';
import { readTextPolicy } from './message/messageInput';

function isBlank(value: unknown): boolean {
	return value === undefined || value === null || value === '';
}

function readWholeNumber(context: IExecuteFunctions, value: unknown, label: string): number {
	const number = typeof value === 'string' ? Number(value) : value;
	if (typeof number !== 'number' || !Number.isInteger(number) || number < 0) {
		throw new NodeOperationError(context.getNode(), `Invalid ${label} ${JSON.stringify(value)}.`, {
			itemIndex: 0,
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
export function readRetry(context: IExecuteFunctions): QueueManagerConfig['retry'] {
	const retry = context.getNodeParameter('retry', 0, {}) as IDataObject;
	const given = Object.entries(retry).filter(([, value]) => !isBlank(value));
	if (given.length === 0) {
		return undefined;
	}
	const attempts = isBlank(retry.attempts)
		? DEFAULTS.retry.attempts
		: readWholeNumber(context, retry.attempts, 'Attempts');
	const delay = isBlank(retry.backoffDelayMs)
		? DEFAULTS.retry.backoff.delay
		: readWholeNumber(context, retry.backoffDelayMs, 'Backoff Delay (Ms)');
	const type = retry.backoffType === 'fixed' ? 'fixed' : DEFAULTS.retry.backoff.type;
	return { attempts, backoff: { type, delay } };
}

/** Reads the queue manager settings of the run that come from node parameters. */
export function readRunSettings(
	context: IExecuteFunctions,
): Pick<QueueManagerConfig, 'retry' | 'textPolicy'> {
	return { retry: readRetry(context), textPolicy: readTextPolicy(context) };
}
