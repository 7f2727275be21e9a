/**
 * The message every benchmark sends: a campaign text of about 110
 * characters to a Spanish mobile number, with campaign and contact ids, as
 * an n8n campaign workflow queues it.
 */

import type { NormalizedMessage, Priority, WhatsAppMessage } from '../../shared/message';
import { assertValidMessage } from '../../shared/validation';

/** Campaign id of benchmark messages. */
export const BENCH_CAMPAIGN = 'bench-campaign';

/** Returns message `index` for `instanceName`, with a distinct number per index. */
export function benchMessage(
	instanceName: string,
	index: number,
	priority: Priority = 'normal',
): WhatsAppMessage {
	const digits = String(index % 1_000_000).padStart(6, '0');
	return {
		instanceName,
		recipientPhone: `+34 6${digits.slice(0, 2)} ${digits.slice(2)} 00`,
		messageType: 'text',
		content: {
			text: `Hi contact ${index}, your order has shipped and arrives on Friday. Reply STOP to opt out.`,
		},
		metadata: { priority, campaignId: BENCH_CAMPAIGN, contactId: `contact-${index}` },
	};
}

/** Returns `count` benchmark messages for one instance. */
export function benchMessages(instanceName: string, count: number, first = 0): WhatsAppMessage[] {
	return Array.from({ length: count }, (_, offset) => benchMessage(instanceName, first + offset));
}

/**
 * Returns the job data a plain BullMQ user stores for `message`: the same
 * normalised message the product stores, so stored bytes and HTTP bodies
 * match, without the product's validation at enqueue time.
 */
export function rawJobData(message: WhatsAppMessage): { message: NormalizedMessage } {
	return { message: assertValidMessage(message) };
}
