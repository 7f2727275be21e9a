import {
	NodeConnectionTypes,
	type ICredentialTestFunction,
	type INodeType,
	type INodeTypeDescription,
	type ITriggerFunctions,
	type ITriggerResponse,
} from 'n8n-workflow';

import { describeError } from '../../shared';
import { CREDENTIAL_NAME, CREDENTIAL_TEST_NAME, readCredential } from '../common/credentials';
import { testRedisCredential } from '../common/credentialTest';
import { toNodeError } from '../common/errors';
import { properties } from './properties';
import { readTriggerSettings } from './settings';
import { TriggerSession } from './triggerSession';

/**
 * Starts a workflow on WhatsApp queue events that the worker writes to Redis
 * streams, and on backlog and error-rate alerts.
 */
export class WhatsAppQueueTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'WhatsApp Queue Trigger',
		name: 'whatsAppQueueTrigger',
		icon: { light: 'file:whatsAppQueueTrigger.svg', dark: 'file:whatsAppQueueTrigger.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: '={{$parameter["events"].join(", ")}}',
		description:
			'Starts the workflow when a queued WhatsApp message is sent, delivered, read, retried or dead-lettered, when a contact replies, or when an alert threshold is crossed',
		defaults: { name: 'WhatsApp Queue Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{ name: 'whatsAppQueueRedisApi', required: true, testedBy: 'whatsAppQueueRedisApiTest' },
		],
		properties,
	};

	methods = {
		credentialTest: { [CREDENTIAL_TEST_NAME]: testRedisCredential } as Record<
			string,
			ICredentialTestFunction
		>,
	};

	async trigger(this: ITriggerFunctions): Promise<ITriggerResponse> {
		const settings = readTriggerSettings(this);
		const credential = readCredential(await this.getCredentials(CREDENTIAL_NAME));

		// NOTE: n8n 2.41 registers the close function of a test listening
		// only after this method resolves, so stopping during these few
		// milliseconds leaves the session open until the process ends.
		const session = new TriggerSession(this, settings, credential);
		try {
			await session.start();
		} catch (error) {
			await session.close().catch(() => undefined);
			throw toNodeError(this.getNode(), error);
		}

		// Deactivation must succeed even when closing fails, so the error is
		// logged here and not thrown to n8n.
		const closeFunction = async () => {
			try {
				await session.close();
			} catch (error) {
				this.logger.warn('WhatsApp Queue Trigger did not close cleanly.', describeError(error));
			}
		};
		return { closeFunction };
	}
}
