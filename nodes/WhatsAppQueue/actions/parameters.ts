/**
 * Readers of the parameters that several operations share. Each checks its
 * value without a connection and throws a `NodeOperationError` for the item.
 */

import { NodeOperationError, type IExecuteFunctions } from 'n8n-workflow';

import { checkInstanceName, parsePublicJobId } from '../../../shared';

function readString(context: IExecuteFunctions, itemIndex: number, name: string): string {
	const value = context.getNodeParameter(name, itemIndex, '');
	return typeof value === 'number' ? String(value) : String(value ?? '').trim();
}

/** Reads a text parameter that must not be empty. */
export function readRequiredString(
	context: IExecuteFunctions,
	itemIndex: number,
	name: string,
	label: string,
): string {
	const value = readString(context, itemIndex, name);
	if (value === '') {
		throw new NodeOperationError(context.getNode(), `Missing ${label}.`, {
			itemIndex,
			description: `Enter ${label}, or map it from the input with an expression.`,
		});
	}
	return value;
}

/** Reads a job ID and checks that it looks like `<instance>:<id>`. */
export function readJobId(context: IExecuteFunctions, itemIndex: number): string {
	const jobId = readRequiredString(context, itemIndex, 'jobId', 'Job ID');
	if (!parsePublicJobId(jobId)) {
		throw new NodeOperationError(context.getNode(), `Invalid Job ID "${jobId}".`, {
			itemIndex,
			description:
				'Job IDs look like "<instance>:<id>", as Send and Send Many return them in "jobId".',
		});
	}
	return jobId;
}

/** Reads an instance name that may be empty, meaning every instance. */
export function readInstanceName(
	context: IExecuteFunctions,
	itemIndex: number,
): string | undefined {
	const value = context.getNodeParameter('instanceName', itemIndex, '');
	if (value === '' || value === undefined || value === null) {
		return undefined;
	}
	const name = String(value);
	const problem = checkInstanceName(name);
	if (problem) {
		throw new NodeOperationError(context.getNode(), `Instance Name: ${problem}`, { itemIndex });
	}
	return name;
}

/** Reads an instance name that must be given. */
export function readRequiredInstanceName(context: IExecuteFunctions, itemIndex: number): string {
	const name = readInstanceName(context, itemIndex);
	if (name === undefined) {
		throw new NodeOperationError(context.getNode(), 'Missing Instance Name.', {
			itemIndex,
			description: 'Enter the name of the Evolution API instance.',
		});
	}
	return name;
}

/** Reads a whole number in a range. */
export function readInteger(
	context: IExecuteFunctions,
	itemIndex: number,
	name: string,
	label: string,
	range: { min: number; max: number; fallback: number },
): number {
	const raw = context.getNodeParameter(name, itemIndex, range.fallback);
	const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
	if (
		typeof value !== 'number' ||
		!Number.isInteger(value) ||
		value < range.min ||
		value > range.max
	) {
		throw new NodeOperationError(context.getNode(), `Invalid ${label} ${JSON.stringify(raw)}.`, {
			itemIndex,
			description: `Use a whole number from ${range.min} to ${range.max}.`,
		});
	}
	return value;
}
