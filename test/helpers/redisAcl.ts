/**
 * The Redis commands the queue, its worker, analytics and the trigger's event
 * readers use, for a Redis 6+ ACL user with nothing else. The list combines
 * the commands that the Lua scripts of BullMQ 6.7 and of this package can
 * call with the direct calls of ioredis, BullMQ and this package. The fault
 * tests run the whole product as such a user and check that Redis denied nothing.
 */
export const QUEUE_ACL_COMMANDS = {
	/** Set up by ioredis and BullMQ on every connection: protocol, database, name, server version. */
	connection: ['hello', 'select', 'client|setname', 'info', 'quit'],
	/** BullMQ, the pacer and analytics run Lua scripts, sent by hash and as text when Redis lacks them. */
	scripting: ['evalsha', 'eval'],
	/** Multi-key writes, and the wake-up messages producers publish to idle workers. */
	transactionsAndPubSub: ['multi', 'exec', 'publish', 'subscribe', 'unsubscribe'],
	/** Called inside those scripts or directly on job, queue, pacing, dead-letter and analytics keys. */
	data: [
		'del', 'exists', 'expire', 'expireat', 'get', 'incr', 'incrby', 'persist', 'pexpire', 'pexpireat',
		'pttl', 'rename', 'set', 'time', 'type', 'unlink',
		'hdel', 'hexists', 'hget', 'hgetall', 'hincrby', 'hlen', 'hmget', 'hmset', 'hset', 'hsetnx',
		'lindex', 'llen', 'lpop', 'lpos', 'lpush', 'lrange', 'lrem', 'lset', 'ltrim', 'rpop', 'rpoplpush', 'rpush',
		'sadd', 'scard', 'sismember', 'smembers', 'srem', 'sscan',
		'zadd', 'zcard', 'zcount', 'zincrby', 'zlexcount', 'zpopmin', 'zrange', 'zrangebylex', 'zrangebyscore',
		'zrem', 'zremrangebyrank', 'zremrangebyscore', 'zrevrange', 'zrevrangebyscore', 'zscore',
		'pfadd', 'pfcount',
		'xadd', 'xdel', 'xlen', 'xrange', 'xread', 'xtrim',
	],
	/** Read by the n8n trigger through a consumer group, or from the tail of each stream. */
	triggerEvents: ['xgroup|create', 'xreadgroup', 'xautoclaim', 'xack', 'xrevrange'],
} as const;

/** Lists every command of `QUEUE_ACL_COMMANDS`. */
export function queueAclCommands(): string[] {
	return Object.values(QUEUE_ACL_COMMANDS).flat();
}

/**
 * Arguments of `ACL SETUSER` for a user that may run only the queue's
 * commands, on the keys of one queue prefix and one analytics prefix, and
 * publish or subscribe only to the queue's wake-up channel.
 */
export function queueAclRules(
	user: string,
	password: string,
	prefixes: { queue: string; analytics: string },
): string[] {
	return [
		'SETUSER',
		user,
		'reset',
		'on',
		`>${password}`,
		...queueAclCommands().map((command) => `+${command}`),
		`~${prefixes.queue}:*`,
		`~{${prefixes.analytics}}:*`,
		`&${prefixes.queue}:wake`,
	];
}
