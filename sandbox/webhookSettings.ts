/**
 * The `/webhook/set` body checks and the webhook record that `/webhook/set`
 * and `/webhook/find` return.
 */

import { checkWebhookUrl, type WebhookTarget } from './webhooks';

/** Checks the `webhook` object of a `/webhook/set` body and returns one message per problem. */
export function validateWebhookSettings(webhook: Record<string, unknown> | undefined): string[] {
	if (typeof webhook !== 'object' || webhook === null) {
		return ['requires property "webhook"'];
	}
	const issues: string[] = [];
	if (typeof webhook.enabled !== 'boolean') {
		issues.push('webhook requires property "enabled" of type boolean');
	}
	if (webhook.enabled === true) {
		try {
			checkWebhookUrl(String(webhook.url ?? ''), 'webhook.url');
		} catch {
			issues.push('Invalid "url" property in webhook: use an absolute http or https URL');
		}
	}
	if (
		webhook.events !== undefined &&
		!(Array.isArray(webhook.events) && webhook.events.every((event) => typeof event === 'string'))
	) {
		issues.push('webhook.events must be an array of strings');
	}
	const headers = webhook.headers;
	if (
		headers !== undefined &&
		(typeof headers !== 'object' ||
			headers === null ||
			Object.values(headers).some((value) => typeof value !== 'string'))
	) {
		issues.push('webhook.headers must be an object of strings');
	}
	for (const flag of ['byEvents', 'base64']) {
		if (webhook[flag] !== undefined && typeof webhook[flag] !== 'boolean') {
			issues.push(`webhook.${flag} is not of a type(s) boolean`);
		}
	}
	return issues;
}

/** Returns the webhook record of `/webhook/set` and `/webhook/find`, or null when none was set. */
export function describeWebhook(
	webhook: WebhookTarget | undefined,
	instanceId: string,
): Record<string, unknown> | null {
	if (!webhook) {
		return null;
	}
	return {
		url: webhook.url,
		enabled: webhook.enabled,
		events: webhook.events,
		headers: webhook.headers,
		webhookByEvents: webhook.byEvents,
		webhookBase64: false,
		instanceId,
	};
}
