/**
 * The demo's closing report.
 */

import type { CampaignMetrics, PerformanceMetrics } from '../shared/analytics';
import type { DeadLetterEntry, QueueMetrics } from '../shared/queue';

/** Measurements of one demo run. */
export interface DemoOutcome {
	seconds: number;
	rows: number;
	rejected: Array<{ line: number; phone: string; reason: string }>;
	metrics: QueueMetrics;
	deadLetters: DeadLetterEntry[];
	gatewayReceived: number;
	/** Messages the sandbox reported delivered and read, counted by message id. */
	gatewayReceipts: { delivered: number; read: number };
	campaignId: string;
	campaign: CampaignMetrics;
	performance: PerformanceMetrics;
}

function rate(value: number | null): string {
	return value === null ? 'n/a' : `${value.toFixed(1)} %`;
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

	const { campaign, gatewayReceipts } = outcome;
	log(`\nCampaign report: ${outcome.campaignId} (analytics)`);
	log(`  queued ${campaign.queued}   sent ${campaign.sent}   failed ${campaign.failed}   pending ${campaign.pending}   retries ${campaign.retries}`);
	log(`  delivered ${campaign.delivered} (${rate(campaign.deliveryRate)} of sent)   read ${campaign.read} (${rate(campaign.readRate)} of delivered)`);
	log(`  replies ${campaign.responses} (${rate(campaign.responseRate)} of sent)   failure rate ${rate(campaign.failureRate)}`);
	log(`  average processing time ${outcome.performance.averageProcessingTime ?? 'n/a'} ms per message`);
	const matches =
		campaign.sent === outcome.gatewayReceived &&
		campaign.delivered === gatewayReceipts.delivered &&
		campaign.read === gatewayReceipts.read;
	log(
		`  gateway: accepted ${outcome.gatewayReceived}, delivered ${gatewayReceipts.delivered}, read ${gatewayReceipts.read}` +
			` (${matches ? 'matches the report' : 'differs from the report'})`,
	);
}
