import type { WhatsAppMessage } from '../../shared/message';

/** A text message to `recipientPhone`, with fields overridden by `extra`. */
export function textMessage(recipientPhone: string, extra: Partial<WhatsAppMessage> = {}): WhatsAppMessage {
	return { instanceName: 'acme', recipientPhone, messageType: 'text', content: { text: 'Hello' }, ...extra };
}

/** `count` distinct Spanish mobile numbers, starting at 346000<first, five digits>. */
export function phoneNumbers(count: number, first = 1): string[] {
	return Array.from({ length: count }, (_, i) => `346000${String(first + i).padStart(5, '0')}`);
}

/** Counts the most times that fall in any half-open window of `duration` ms. */
export function maxInAnyWindow(times: number[], duration: number): number {
	const sorted = [...times].sort((a, b) => a - b);
	let most = 0;
	let first = 0;
	for (let last = 0; last < sorted.length; last++) {
		while (sorted[last] - sorted[first] >= duration) {
			first++;
		}
		most = Math.max(most, last - first + 1);
	}
	return most;
}
