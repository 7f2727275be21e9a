/**
 * One started WhatsApp Queue Trigger: a read loop over the event streams and
 * a timer for the alerts, with the Redis connections they use.
 *
 * An active workflow reads through a consumer group per workflow and node.
 * Events wait in Redis while the workflow is inactive or n8n is stopped, two
 * n8n processes share the group so each event starts one execution, and an
 * event is acknowledged after it was emitted. Events a stopped process took
 * but never acknowledged are claimed by another after `reclaimAfterMs`.
 * Manual mode ("listen for test event") only tails new events and takes
 * nothing from the group.
 */

import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';

import type { Redis } from 'ioredis';
import type { IDataObject, INodeExecutionData, ITriggerFunctions } from 'n8n-workflow';

import {
	createQueueManager,
	type QueueManager,
	EventGroupReader,
	EventTailReader,
	eventStreamKey,
	type StoredEvent,
	connectRedis,
	createRedisClient,
	resolveRedisConfig,
	type ResolvedRedisConfig,
	describeError,
} from '../../shared';
import {
	toQueueManagerConfig,
	toRedisConnection,
	type QueueCredential,
} from '../common/credentials';
import { checkAlerts } from './alertMonitor';
import { matchesFilters, toEventItem } from './eventOutput';
import { consumerGroupName } from './keys';
import type { TriggerSettings } from './settings';

/** Events read per round trip. */
const READ_COUNT = 100;

/**
 * Maximum wait of one blocking read for events, in ms. `close()` interrupts
 * it, and a short reclaim time shortens it so stale events are claimed on time.
 */
const MAX_BLOCK_MS = 5000;

/** Waits after a failed read, in ms, doubling up to the maximum. */
const RETRY_DELAY_MS = { first: 1000, max: 30_000 };

type Reader =
	| { kind: 'group'; reader: EventGroupReader }
	| { kind: 'tail'; reader: EventTailReader };

/** A started trigger; see the file header. */
export class TriggerSession {
	private readonly redis: ResolvedRedisConfig;
	private readonly isManual: boolean;
	private readonly workflowId: string;
	private readonly nodeId: string;
	private readonly consumer: string;
	private readonly readerClient: Redis;
	private reader?: Reader;
	private alertClient?: Redis;
	private manager?: QueueManager;
	private alertTimer?: NodeJS.Timeout;
	private alertCheck?: Promise<void>;
	private loop?: Promise<void>;
	private closing?: Promise<void>;
	private wakeFromRetry?: () => void;
	private hasEmittedTest = false;
	private readonly blockMs: number;

	constructor(
		private readonly context: ITriggerFunctions,
		private readonly settings: TriggerSettings,
		private readonly credential: QueueCredential,
	) {
		this.redis = resolveRedisConfig(toRedisConnection(credential, 'queue'));
		this.isManual = context.getMode() === 'manual';
		this.workflowId = String(context.getWorkflow().id ?? 'unsaved');
		this.nodeId = context.getNode().id;
		this.consumer = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
		this.blockMs = Math.min(MAX_BLOCK_MS, Math.max(100, Math.floor(settings.reclaimAfterMs / 2)));
		this.readerClient = createRedisClient(
			this.redis,
			'consumer',
			`${credential.prefix}:n8n-trigger`,
		);
		this.readerClient.on('error', (error: Error) => {
			this.context.logger.debug('Trigger Redis connection error.', describeError(error));
		});
	}

	/** Connects, prepares the reader and the alerts, and starts both. Throws if Redis is unreachable. */
	async start(): Promise<void> {
		if (this.settings.eventTypes.length > 0) {
			await connectRedis(this.readerClient, this.redis);
			this.reader = await this.createReader();
			this.loop = this.readLoop();
			void this.loop.then(() => this.closeAfterTestEvent());
		}
		if (this.settings.backlogThreshold !== undefined || this.settings.errorRate !== undefined) {
			await this.startAlerts();
		}
	}

	private async createReader(): Promise<Reader> {
		const { prefix } = this.credential;
		if (this.isManual) {
			const tail = new EventTailReader(this.readerClient, prefix, this.settings.eventTypes);
			await tail.start();
			return { kind: 'tail', reader: tail };
		}
		const group = consumerGroupName(this.workflowId, this.nodeId);
		const reader = new EventGroupReader(
			this.readerClient,
			prefix,
			this.settings.eventTypes,
			group,
			this.consumer,
		);
		await reader.ensureGroup();
		await this.removeIdleConsumers(group);
		return { kind: 'group', reader };
	}

	/**
	 * Deletes consumers of the group that hold no pending events and have not
	 * read for `reclaimAfterMs`: those of earlier activations and stopped
	 * processes. Each activation has a consumer name of its own, so without
	 * this the list would grow with every activation.
	 */
	private async removeIdleConsumers(group: string): Promise<void> {
		for (const type of this.settings.eventTypes) {
			const key = eventStreamKey(this.credential.prefix, type);
			const consumers = (await this.readerClient.xinfo('CONSUMERS', key, group)) as unknown[][];
			for (const entry of consumers) {
				const fields = toRecord(entry);
				const isIdle = Number(fields.idle) > this.settings.reclaimAfterMs;
				if (Number(fields.pending) === 0 && isIdle && fields.name !== this.consumer) {
					await this.readerClient.xgroup('DELCONSUMER', key, group, String(fields.name));
				}
			}
		}
	}

	private async startAlerts(): Promise<void> {
		this.manager = createQueueManager(toQueueManagerConfig(this.credential, this.context.logger));
		this.alertClient = createRedisClient(
			this.redis,
			'producer',
			`${this.credential.prefix}:n8n-alerts`,
		);
		this.alertClient.on('error', (error: Error) => {
			this.context.logger.debug('Trigger alert Redis connection error.', describeError(error));
		});
		await connectRedis(this.alertClient, this.redis);
		this.alertCheck = this.runAlertCheck();
		this.alertTimer = setInterval(() => {
			this.alertCheck = this.runAlertCheck();
		}, this.settings.checkIntervalMs);
	}

	private async runAlertCheck(): Promise<void> {
		if (this.closing || !this.manager || !this.alertClient) {
			return;
		}
		try {
			const alerts = await checkAlerts({
				settings: this.settings,
				manager: this.manager,
				client: this.alertClient,
				prefix: this.credential.prefix,
				workflowId: this.workflowId,
				nodeId: this.nodeId,
				isManual: this.isManual,
			});
			if (alerts.length > 0 && !this.closing && !this.hasEmittedTest) {
				this.emit(alerts.map((json) => ({ json })));
			}
		} catch (error) {
			// A check that fails while Redis is away is tried again at the next
			// interval; the crossing state makes a late alert fire once.
			this.context.logger.warn(
				'WhatsApp Queue Trigger could not check its alerts.',
				describeError(error),
			);
		}
	}

	private emit(items: INodeExecutionData[]): void {
		if (this.isManual) {
			if (this.hasEmittedTest) {
				return;
			}
			this.hasEmittedTest = true;
			this.stopTimers();
			this.wakeFromRetry?.();
		}
		this.context.emit([items]);
	}

	/** Reads until `close()`, or in manual mode until the first event. */
	private async readLoop(): Promise<void> {
		let retryDelayMs = RETRY_DELAY_MS.first;
		let lastClaimAt = 0;
		while (!this.closing && !this.hasEmittedTest) {
			try {
				if (
					this.reader?.kind === 'group' &&
					Date.now() - lastClaimAt >= this.settings.reclaimAfterMs / 2
				) {
					lastClaimAt = Date.now();
					await this.deliver(
						await this.reader.reader.claimStale(this.settings.reclaimAfterMs, READ_COUNT),
					);
				}
				await this.deliver((await this.reader?.reader.read(READ_COUNT, this.blockMs)) ?? []);
				retryDelayMs = RETRY_DELAY_MS.first;
			} catch (error) {
				if (this.closing) {
					return;
				}
				await this.recover(error, retryDelayMs);
				retryDelayMs = Math.min(retryDelayMs * 2, RETRY_DELAY_MS.max);
			}
		}
	}

	/**
	 * Emits the events that pass the filters, one execution each, and then
	 * acknowledges the events it handled. Events left when `close()` starts
	 * stay pending, so another process or the next activation takes them.
	 */
	private async deliver(events: StoredEvent[]): Promise<void> {
		const handled: StoredEvent[] = [];
		for (const event of events) {
			if (this.closing) {
				break;
			}
			if (matchesFilters(event, this.settings)) {
				this.emit([toEventItem(event)]);
			}
			handled.push(event);
		}
		if (this.reader?.kind === 'group' && handled.length > 0) {
			await this.reader.reader.ack(handled);
		}
	}

	/**
	 * Handles a failed read. A group that is missing, because someone deleted
	 * a stream, is created again. Any other error is reported to n8n, and the
	 * loop goes on after a pause.
	 */
	private async recover(error: unknown, delayMs: number): Promise<void> {
		const message = error instanceof Error ? error.message : String(error);
		if (/NOGROUP/.test(message) && this.reader?.kind === 'group') {
			await this.reader.reader.ensureGroup().catch(() => undefined);
			return;
		}
		this.context.logger.warn('WhatsApp Queue Trigger could not read events.', describeError(error));
		this.context.emitError(error instanceof Error ? error : new Error(message));
		await new Promise<void>((resolve) => {
			const timer = setTimeout(resolve, delayMs);
			this.wakeFromRetry = () => {
				clearTimeout(timer);
				resolve();
			};
		});
		this.wakeFromRetry = undefined;
	}

	private async closeAfterTestEvent(): Promise<void> {
		if (this.hasEmittedTest) {
			await this.close().catch((error: unknown) => {
				this.context.logger.warn(
					'WhatsApp Queue Trigger could not close after the test event.',
					describeError(error),
				);
			});
		}
	}

	private stopTimers(): void {
		if (this.alertTimer) {
			clearInterval(this.alertTimer);
			this.alertTimer = undefined;
		}
	}

	/**
	 * Stops reading and checking and closes every connection. Idempotent:
	 * later calls wait for the first. The blocking read is interrupted by
	 * disconnecting its client; events it had not acknowledged stay pending
	 * for the group.
	 */
	async close(): Promise<void> {
		this.closing ??= this.closeNow();
		await this.closing;
	}

	private async closeNow(): Promise<void> {
		this.stopTimers();
		this.wakeFromRetry?.();
		this.readerClient.disconnect();
		const results = await Promise.allSettled([
			this.loop,
			this.alertCheck,
			this.manager?.close(),
			this.alertClient?.quit().catch(() => this.alertClient?.disconnect()),
		]);
		const failure = results.find((result) => result.status === 'rejected');
		if (failure?.status === 'rejected') {
			throw failure.reason;
		}
	}
}

/** Turns the flat `[name, value, ...]` reply of XINFO into an object. */
function toRecord(entry: unknown[]): IDataObject {
	const record: IDataObject = {};
	for (let i = 0; i + 1 < entry.length; i += 2) {
		record[String(entry[i])] = entry[i + 1] as IDataObject[string];
	}
	return record;
}
