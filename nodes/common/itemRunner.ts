/**
 * The per-item loop that every operation of the WhatsApp Queue and WhatsApp
 * Analytics nodes runs through. It reads and checks the parameters of every
 * item before it opens a connection, opens one connection set for the whole
 * run, closes it in `finally`, and turns failures into error items or a
 * `NodeOperationError` that names the item.
 */

import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { isRedisUnavailable, toNodeError } from './errors';

/** Output of one item: one JSON object, or several (one output item each). */
export type ItemResult = IDataObject | IDataObject[];

/**
 * An operation run once per input item. `prepare` reads and checks the
 * item's parameters without any network call, and throws for bad input.
 */
export interface ItemOperation<Client, Params> {
	kind: 'item';
	prepare(this: IExecuteFunctions, itemIndex: number): Params | Promise<Params>;
	execute(client: Client, params: Params): Promise<ItemResult>;
}

/**
 * An operation that handles every valid item in one call, such as a bulk
 * enqueue. `executeBatch` resolves to one result per item, in order.
 */
export interface BatchOperation<Client, Params> {
	kind: 'batch';
	prepare(this: IExecuteFunctions, itemIndex: number): Params | Promise<Params>;
	executeBatch(client: Client, params: Params[]): Promise<ItemResult[]>;
}

/** Either kind of operation. */
export type Operation<Client, Params> =
	| ItemOperation<Client, Params>
	| BatchOperation<Client, Params>;

/** Opening and closing of the connection set of one run. */
export interface ClientLifecycle<Client> {
	open(): Client | Promise<Client>;
	close(client: Client): Promise<void>;
}

/** Result of one input item. `error` is set once the item failed. */
interface Outcome<Params> {
	itemIndex: number;
	params?: Params;
	result?: ItemResult;
	error?: Error;
}

function toItems(outcome: Outcome<unknown>): INodeExecutionData[] {
	const pairedItem = { item: outcome.itemIndex };
	if (outcome.error) {
		return [{ json: { error: outcome.error.message }, pairedItem }];
	}
	const results = Array.isArray(outcome.result) ? outcome.result : [outcome.result ?? {}];
	return results.map((json) => ({ json, pairedItem }));
}

/**
 * Runs `operation` over every input item. With "continue on fail" a failed
 * item becomes `{ error }` and the others go on. Without it, the first
 * failure stops the node with a `NodeOperationError` naming that item.
 */
export async function runOperation<Client, Params>(
	context: IExecuteFunctions,
	operation: Operation<Client, Params>,
	lifecycle: ClientLifecycle<Client>,
): Promise<INodeExecutionData[][]> {
	const items = context.getInputData();
	const outcomes: Array<Outcome<Params>> = [];
	const fail = (outcome: Outcome<Params>, error: unknown): void => {
		const nodeError = toNodeError(context.getNode(), error, outcome.itemIndex);
		if (!context.continueOnFail()) {
			throw nodeError;
		}
		outcome.error = nodeError;
	};

	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		const outcome: Outcome<Params> = { itemIndex };
		outcomes.push(outcome);
		try {
			outcome.params = await operation.prepare.call(context, itemIndex);
		} catch (error) {
			fail(outcome, error);
		}
	}

	const valid = outcomes.filter((outcome) => outcome.error === undefined);
	if (valid.length > 0) {
		await executeValid(context, operation, lifecycle, valid, fail);
	}
	return [outcomes.flatMap((outcome) => toItems(outcome))];
}

/** Opens the connection set, runs the valid items and closes it again. */
async function executeValid<Client, Params>(
	context: IExecuteFunctions,
	operation: Operation<Client, Params>,
	lifecycle: ClientLifecycle<Client>,
	valid: Array<Outcome<Params>>,
	fail: (outcome: Outcome<Params>, error: unknown) => void,
): Promise<void> {
	let client: Client;
	try {
		client = await lifecycle.open();
	} catch (error) {
		// `open` reads only what every item shares, such as the credential,
		// so its error belongs to no single item.
		failAll(context, valid, error);
		return;
	}
	try {
		if (operation.kind === 'batch') {
			await executeBatch(context, operation, client, valid);
		} else {
			await executeEach(operation, client, valid, fail);
		}
	} finally {
		await lifecycle.close(client);
	}
}

/**
 * Runs items one by one. Once Redis is found unreachable, the remaining
 * items fail with the same error at once instead of each waiting for the
 * connect timeout.
 */
async function executeEach<Client, Params>(
	operation: ItemOperation<Client, Params>,
	client: Client,
	valid: Array<Outcome<Params>>,
	fail: (outcome: Outcome<Params>, error: unknown) => void,
): Promise<void> {
	let unreachable: unknown;
	for (const outcome of valid) {
		try {
			if (unreachable !== undefined) {
				throw unreachable;
			}
			outcome.result = await operation.execute(client, outcome.params as Params);
		} catch (error) {
			if (isRedisUnavailable(error)) {
				unreachable = error;
			}
			fail(outcome, error);
		}
	}
}

/**
 * Fails every given item with one error that belongs to none of them: with
 * "continue on fail" each becomes an error item, and without it the node
 * fails.
 */
function failAll(
	context: IExecuteFunctions,
	outcomes: Array<Outcome<unknown>>,
	error: unknown,
): void {
	const nodeError = toNodeError(context.getNode(), error);
	if (!context.continueOnFail()) {
		throw nodeError;
	}
	for (const outcome of outcomes) {
		outcome.error = nodeError;
	}
}

/**
 * Runs every valid item in one call. A failure of the call itself, such as
 * Redis being down, is not tied to one item, so `failAll` handles it.
 */
async function executeBatch<Client, Params>(
	context: IExecuteFunctions,
	operation: BatchOperation<Client, Params>,
	client: Client,
	valid: Array<Outcome<Params>>,
): Promise<void> {
	let results: ItemResult[];
	try {
		results = await operation.executeBatch(
			client,
			valid.map((outcome) => outcome.params as Params),
		);
	} catch (error) {
		failAll(context, valid, error);
		return;
	}
	valid.forEach((outcome, i) => {
		outcome.result = results[i];
	});
}
