/**
 * Picks the operation of a WhatsApp Analytics node run and gives it one
 * analytics manager, that is one Redis connection, for every item. The
 * manager is closed when the run ends, whatever happened.
 */

import { NodeOperationError, type IExecuteFunctions, type INodeExecutionData } from 'n8n-workflow';

import { createAnalyticsManager, type AnalyticsManager } from '../../../shared';
import { CREDENTIAL_NAME, readCredential, toAnalyticsOptions } from '../../common/credentials';
import { runOperation, type ClientLifecycle, type Operation } from '../../common/itemRunner';
import * as get from './get.operation';
import * as track from './track.operation';

type Runner = (
	context: IExecuteFunctions,
	lifecycle: ClientLifecycle<AnalyticsManager>,
) => Promise<INodeExecutionData[][]>;

function bind<Params>(operation: Operation<AnalyticsManager, Params>): Runner {
	return async (context, lifecycle) => await runOperation(context, operation, lifecycle);
}

const runners: Record<string, Runner> = {
	track: bind(track.operation),
	get: bind(get.operation),
};

/** Runs the selected operation over every input item. */
export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const operation = this.getNodeParameter('operation', 0) as string;
	const run = runners[operation];
	if (!run) {
		throw new NodeOperationError(this.getNode(), `The operation "${operation}" is not supported.`);
	}
	return await run(this, {
		open: async () => {
			const credential = readCredential(await this.getCredentials(CREDENTIAL_NAME));
			return createAnalyticsManager(toAnalyticsOptions(credential, this.logger));
		},
		close: async (analytics) => await analytics.close(),
	});
}
