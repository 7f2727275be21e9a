/**
 * The send loop of one instance in one worker process: claim paced slots,
 * fetch that many jobs, and deliver them with bounded concurrency.
 */

import type { Job, Worker } from 'bullmq';

import { describeError } from '../logger';
import type { MessageJobData } from '../queue/jobData';
import type { RateLimiter, SlotClaim } from '../queue/rateLimiter';
import { notifyObservers } from './observer';
import { processJob, type JobContext, type JobOutcome } from './processJob';

/** Settings of a runner that do not change while it runs. */
export interface RunnerOptions {
	/** Sends in flight at once for this instance in this process. */
	concurrency: number;
	/** Maximum sleep of an idle instance before it checks for work again, in ms. */
	pollIntervalMs: number;
	/** Prefix of the lock tokens of this process. */
	tokenPrefix: string;
}

interface InFlight {
	job: Job<MessageJobData>;
	token: string;
}

/**
 * Extra delay allowed for each of the first sends of a runner, in ms. Those
 * run code for the first time after their delay is measured, so they reach
 * the gateway later than measured. The pacer counts them as this much later.
 */
const COLD_ALLOWANCE_MS = 20;
/** Number of first sends of a runner that get COLD_ALLOWANCE_MS. */
const COLD_SENDS = 20;

/** Upper bound of the claim-to-send delay reported to the pacer, in ms. */
const MAX_CLAIM_TO_SEND_MS = 1000;

/** Shortest time between two warnings that concurrency caps an instance's rate, in ms. */
const CONCURRENCY_WARNING_INTERVAL_MS = 10 * 60_000;

/** A sleep that `wake()` ends early. */
class Waiter {
	private wakeUp?: () => void;
	private pending = false;

	sleep(ms: number): Promise<void> {
		if (this.pending) {
			this.pending = false;
			return Promise.resolve();
		}
		return new Promise((resolve) => {
			const timer = setTimeout(done, Math.max(0, ms));
			const self = this;
			function done() {
				clearTimeout(timer);
				self.wakeUp = undefined;
				resolve();
			}
			this.wakeUp = done;
		});
	}

	/** Ends the current sleep, or makes the next one return at once. */
	wake(): void {
		if (this.wakeUp) {
			this.wakeUp();
		} else {
			this.pending = true;
		}
	}
}

/** Delivers the jobs of one instance. */
export class InstanceRunner {
	readonly inFlight = new Map<string, InFlight>();
	private readonly waiter = new Waiter();
	private readonly abortController = new AbortController();
	private loop?: Promise<void>;
	private isStopping = false;
	private hadWork = false;
	/** Even spacing of the instance's rate limit from the last claim, in ms; 0 when unpaced. */
	private intervalMs = 0;
	/** Moving average of send durations, in ms. */
	private averageSendMs = 0;
	private lastConcurrencyWarning = 0;
	/**
	 * Recent largest delay from issuing a claim to starting the send, in ms,
	 * halving every 5 s. The pacer widens its guard by it.
	 */
	private claimToSendMs = 0;
	private claimToSendAt = Date.now();
	/** Sends started so far, counted up to COLD_SENDS. */
	private startedSends = 0;
	/** Whether the last claim found the instance unpaced (max 0), so completions may fetch the next job. */
	private isUnpaced = false;
	/** No chained fetches before this time, after a 429 from the gateway. */
	private chainingHeldUntil = 0;
	private tokenCounter = 0;
	private settledWaiters: Array<() => void> = [];
	/** Outcome counts since start, for the health endpoint. */
	readonly counts: Record<JobOutcome, number> = {
		sent: 0,
		retrying: 0,
		'dead-lettered': 0,
		requeued: 0,
		'lock-lost': 0,
	};

	constructor(
		readonly instanceName: string,
		readonly worker: Worker,
		private readonly limiter: RateLimiter,
		private readonly jobContext: JobContext,
		private readonly options: RunnerOptions,
	) {}

	/** Starts the loop and BullMQ's stalled-job check for this instance. */
	start(): void {
		this.loop = this.run();
		this.worker.startStalledCheckTimer().catch((error) => {
			this.jobContext.logger.error('Stalled-job check failed to start.', describeError(error));
		});
	}

	/** Ends an idle wait early, because new work may have arrived. */
	wake(): void {
		this.waiter.wake();
	}

	/** Stops claiming new jobs and waits for the loop to end; sends in flight go on. */
	async stop(): Promise<void> {
		this.isStopping = true;
		this.waiter.wake();
		await this.loop;
	}

	/** Resolves when no send is in flight. */
	async settled(): Promise<void> {
		if (this.inFlight.size === 0) {
			return;
		}
		await new Promise<void>((resolve) => this.settledWaiters.push(resolve));
	}

	/** Aborts sends in flight; their jobs go back to the queue. */
	abort(): void {
		this.abortController.abort();
	}

	private async run(): Promise<void> {
		while (!this.isStopping) {
			try {
				await this.step();
			} catch (error) {
				this.jobContext.logger.error('Send loop failed; it continues after a pause.', describeError(error));
				await this.waiter.sleep(this.options.pollIntervalMs);
			}
		}
	}

	private async step(): Promise<void> {
		const free = this.options.concurrency - this.inFlight.size;
		if (free <= 0) {
			// A finishing send wakes the loop.
			await this.waiter.sleep(this.options.pollIntervalMs);
			return;
		}
		const claimedAt = Date.now();
		const allowanceMs = this.startedSends < COLD_SENDS ? COLD_ALLOWANCE_MS : 0;
		const claim = await this.limiter.claim(this.instanceName, free, undefined, false, this.claimToSendMs, allowanceMs);
		if (claim.interval) {
			this.intervalMs = Number(claim.interval);
		}
		this.isUnpaced = claim.state === 'ok' && !claim.interval;
		if (claim.granted === 0) {
			await this.idle(claim);
			return;
		}
		const tokens = Array.from({ length: claim.granted }, () => this.nextToken());
		const jobs = await Promise.all(tokens.map((token) => this.worker.getNextJob(token, { block: false })));
		const fetched = jobs.filter((job): job is Job<MessageJobData> => Boolean(job));
		if (fetched.length < claim.granted) {
			await this.limiter.release(this.instanceName, claim, claim.granted - fetched.length);
		}
		this.hadWork ||= fetched.length > 0;
		for (const job of fetched) {
			this.noteClaimToSend(Date.now() - claimedAt);
			this.deliver(job, job.token ?? '');
		}
	}

	private async idle(claim: SlotClaim): Promise<void> {
		if (claim.state === 'empty' && this.hadWork && this.inFlight.size === 0) {
			this.hadWork = false;
			await notifyObservers(this.jobContext.observers, 'onDrained', this.jobContext.logger, this.instanceName, Date.now());
		}
		const waitMs =
			claim.waitMs > 0 && claim.state !== 'paused'
				? Math.min(claim.waitMs, this.options.pollIntervalMs)
				: this.options.pollIntervalMs;
		await this.waiter.sleep(waitMs);
	}

	private nextToken(): string {
		this.tokenCounter += 1;
		return `${this.options.tokenPrefix}:${this.tokenCounter}`;
	}

	private deliver(job: Job<MessageJobData>, token: string): void {
		const id = job.id ?? '';
		this.inFlight.set(id, { job, token });
		const started = Date.now();
		processJob(this.jobContext, job, token, this.abortController.signal)
			.then((outcome) => {
				this.counts[outcome] += 1;
				this.noteSendDuration(Date.now() - started);
			})
			.finally(() => {
				this.inFlight.delete(id);
				this.waiter.wake();
				if (this.inFlight.size === 0) {
					const waiters = this.settledWaiters;
					this.settledWaiters = [];
					waiters.forEach((resolve) => resolve());
				}
			});
	}

	/**
	 * Returns whether a completion may fetch the next job in the same round
	 * trip: only for an unpaced instance, not while stopping, not after a 429.
	 */
	canChainNextJob(): boolean {
		return this.isUnpaced && !this.isStopping && Date.now() >= this.chainingHeldUntil;
	}

	/** Starts delivering a job fetched together with a completion. */
	acceptChainedJob(job: Job<MessageJobData>): void {
		this.deliver(job, job.token ?? '');
	}

	/** Stops chained fetches for `delayMs`; claims decide again after that. */
	holdChaining(delayMs: number): void {
		this.chainingHeldUntil = Math.max(this.chainingHeldUntil, Date.now() + delayMs);
		this.isUnpaced = false;
	}

	private noteClaimToSend(delayMs: number): void {
		const now = Date.now();
		const decayed = this.claimToSendMs * 0.5 ** ((now - this.claimToSendAt) / 5000);
		this.claimToSendMs = Math.min(MAX_CLAIM_TO_SEND_MS, Math.max(delayMs, decayed));
		this.claimToSendAt = now;
		this.startedSends = Math.min(COLD_SENDS, this.startedSends + 1);
	}

	/**
	 * Warns when sends take so long that `concurrency` caps the rate below the
	 * instance's limit: at most `concurrency / duration` sends start per ms.
	 */
	private noteSendDuration(durationMs: number): void {
		this.averageSendMs = this.averageSendMs === 0 ? durationMs : this.averageSendMs * 0.9 + durationMs * 0.1;
		const now = Date.now();
		const reachableIntervalMs = this.averageSendMs / this.options.concurrency;
		if (
			this.intervalMs > 0 &&
			reachableIntervalMs > this.intervalMs * 1.1 &&
			this.inFlight.size >= this.options.concurrency - 1 &&
			now - this.lastConcurrencyWarning > CONCURRENCY_WARNING_INTERVAL_MS
		) {
			this.lastConcurrencyWarning = now;
			const needed = Math.ceil(this.averageSendMs / this.intervalMs);
			this.jobContext.logger.warn(
				'Sends take too long for the concurrency to reach the rate limit; raise WORKER_CONCURRENCY.',
				{
					averageSendMs: Math.round(this.averageSendMs),
					concurrency: this.options.concurrency,
					reachablePerMinute: Math.floor(60_000 / reachableIntervalMs),
					limitPerMinute: Math.floor(60_000 / this.intervalMs),
					concurrencyNeeded: needed,
				},
			);
		}
	}

	/** Closes the BullMQ objects of this instance; the shared client stays open. */
	async close(): Promise<void> {
		await this.worker.close(true).catch(() => undefined);
		await this.jobContext.queue.close().catch(() => undefined);
	}

	/** Ids and tokens of jobs in flight, for lock renewal. */
	locks(): { ids: string[]; tokens: string[] } {
		const ids: string[] = [];
		const tokens: string[] = [];
		for (const [id, entry] of this.inFlight) {
			ids.push(id);
			tokens.push(entry.token);
		}
		return { ids, tokens };
	}
}
