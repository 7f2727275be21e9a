/**
 * The demo's closing report.
 */

import type { DeadLetterEntry, QueueMetrics } from '../shared/queue';

/** What the demo measured. */
export interface DemoOutcome {
	seconds: number;
	rows: number;
	rejected: Array<{ line: number; phone: string; reason: string }>;
	metrics: QueueMetrics;
	deadLetters: DeadLetterEntry[];
	gatewayReceived: number;
	campaignId: string;
}

/** Prints the summary: queue counts, rejected rows, dead letters, gateway count. */
export function printSummary(outcome: DemoOutcome, log: (text: string) => void): void {
	const { metrics } = outcome;
	log(`\nDone in ${outcome.seconds.toFixed(1)} s.\n`);

	log('Queue metrics');
	log('  instance   completed  dead-lettered  waiting  delayed  active');
	for (const [name, counts] of Object.entries(metrics.instances ?? {})) {
		log(
			`  ${name.padEnd(9)}  ${String(counts.completed).padStart(9)}  ${String(counts.dlq).padStart(13)}` +
				`  ${String(counts.waiting).padStart(7)}  ${String(counts.delayed).padStart(7)}  ${String(counts.active).padStart(6)}`,
		);
	}
	log(`  total      ${String(metrics.completed).padStart(9)}  ${String(metrics.dlq).padStart(13)}`);

	log(`\nRejected by validation before queueing (${outcome.rejected.length})`);
	for (const row of outcome.rejected) {
		log(`  line ${row.line}: ${JSON.stringify(row.phone)}: ${row.reason}`);
	}

	log(`\nDead-letter queue (${outcome.deadLetters.length})`);
	for (const entry of outcome.deadLetters) {
		log(`  ${entry.jobId}  ${entry.message.recipientPhone}  ${entry.reason}: ${entry.error}`);
	}

	log(`\nThe sandbox gateway accepted ${outcome.gatewayReceived} messages.`);
}
