import type { Redis } from 'ioredis';

import { QueueKeys } from '../../shared/redis/keys';

/**
 * Returns the ids of an instance's active jobs whose lock belongs to one
 * worker. A worker's lock tokens start with its name, which its log lines carry.
 */
export async function heldJobIds(
	client: Redis,
	prefix: string,
	instanceName: string,
	workerName: string,
): Promise<string[]> {
	const keys = new QueueKeys(prefix);
	const active = await client.lrange(keys.bullKey(instanceName, 'active'), 0, -1);
	const tokens = await Promise.all(active.map((id) => client.get(`${keys.jobKey(instanceName, id)}:lock`)));
	return active.filter((_, i) => tokens[i]?.startsWith(`${workerName}:`));
}

/** Checks whether a job's hash records that the gateway accepted its first part. */
export async function hasAcceptedPart(
	client: Redis,
	prefix: string,
	instanceName: string,
	internalId: string,
): Promise<boolean> {
	const keys = new QueueKeys(prefix);
	return (await client.hexists(keys.jobKey(instanceName, internalId), 'waSent0')) === 1;
}

/**
 * Reads every value stored in the client's database as text: strings, hash
 * fields and values, list, set and sorted-set members, and stream entries.
 * It is meant for small test databases, because it reads every key.
 */
export async function readEveryValue(client: Redis): Promise<Map<string, string>> {
	const values = new Map<string, string>();
	let cursor = '0';
	do {
		const [next, keys] = await client.scan(cursor, 'COUNT', 500);
		cursor = next;
		for (const key of keys) {
			values.set(key, await readValue(client, key));
		}
	} while (cursor !== '0');
	return values;
}

async function readValue(client: Redis, key: string): Promise<string> {
	const type = await client.type(key);
	switch (type) {
		case 'string':
			return (await client.get(key)) ?? '';
		case 'hash':
			return JSON.stringify(await client.hgetall(key));
		case 'list':
			return JSON.stringify(await client.lrange(key, 0, -1));
		case 'set':
			return JSON.stringify(await client.smembers(key));
		case 'zset':
			return JSON.stringify(await client.zrange(key, 0, -1));
		case 'stream':
			return JSON.stringify(await client.xrange(key, '-', '+'));
		default:
			// HyperLogLogs are strings, and other types contain no text the tests look for.
			return '';
	}
}
