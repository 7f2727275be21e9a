/**
 * Readers of the WhatsApp Analytics node's parameters. They check what can
 * be checked without Redis; the analytics manager checks the rest before it
 * sends anything.
 */

import { DateTime } from 'luxon';
import { NodeOperationError, type IDataObject, type IExecuteFunctions } from 'n8n-workflow';

/** Reads a text parameter; returns undefined for an empty value. */
export function readOptionalText(
	context: IExecuteFunctions,
	name: string,
	itemIndex: number,
): string | undefined {
	const value = context.getNodeParameter(name, itemIndex, '');
	if (value === undefined || value === null) {
		return undefined;
	}
	const text = (typeof value === 'number' ? String(value) : String(value)).trim();
	return text === '' ? undefined : text;
}

/** Reads a text parameter that must not be empty. */
export function readText(
	context: IExecuteFunctions,
	name: string,
	label: string,
	itemIndex: number,
): string {
	const text = readOptionalText(context, name, itemIndex);
	if (text === undefined) {
		throw new NodeOperationError(context.getNode(), `Missing ${label}.`, {
			itemIndex,
			description: `Enter ${label}, or map it from the input with an expression.`,
		});
	}
	return text;
}

/** Reads a number of 0 or more; returns undefined for an empty value. */
export function readOptionalAmount(
	context: IExecuteFunctions,
	name: string,
	label: string,
	itemIndex: number,
	source?: IDataObject,
): number | undefined {
	const raw = source ? source[name] : context.getNodeParameter(name, itemIndex, '');
	if (raw === undefined || raw === null || raw === '') {
		return undefined;
	}
	const value = typeof raw === 'string' ? Number(raw) : raw;
	if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
		throw new NodeOperationError(context.getNode(), `Invalid ${label} ${JSON.stringify(raw)}.`, {
			itemIndex,
			description: `Enter ${label} as a number of 0 or more.`,
		});
	}
	return value;
}

/**
 * Converts a date and time parameter to an ISO 8601 instant. A value without
 * a UTC offset is read in the workflow's time zone, as n8n's date fields are.
 */
export function toInstant(
	context: IExecuteFunctions,
	value: unknown,
	label: string,
	itemIndex: number,
): string | undefined {
	if (value === undefined || value === null || value === '') {
		return undefined;
	}
	let parsed: DateTime;
	if (value instanceof Date) {
		parsed = DateTime.fromJSDate(value);
	} else if (DateTime.isDateTime(value)) {
		parsed = value;
	} else if (typeof value === 'number') {
		parsed = DateTime.fromMillis(value);
	} else {
		parsed = DateTime.fromISO(String(value).trim(), { zone: context.getTimezone() });
	}
	if (!parsed.isValid) {
		throw new NodeOperationError(context.getNode(), `Invalid ${label} ${JSON.stringify(value)}.`, {
			itemIndex,
			description: 'Use an ISO 8601 date and time, such as 2025-04-01T09:00:00.',
		});
	}
	return parsed.toUTC().toISO() ?? undefined;
}
