import type { ICredentialType, Icon, INodeProperties } from 'n8n-workflow';

/**
 * The Redis that the WhatsApp queue worker uses. Each field goes to ioredis on
 * its own, never into a URL, so a password may contain any character.
 */
export class WhatsAppQueueRedisApi implements ICredentialType {
	name = 'whatsAppQueueRedisApi';

	displayName = 'WhatsApp Queue Redis API';

	documentationUrl =
		'https://www.npmjs.com/package/n8n-nodes-whatsapp-queue#whatsapp-queue-redis-credential';

	icon: Icon = {
		light: 'file:whatsAppQueueRedis.svg',
		dark: 'file:whatsAppQueueRedis.dark.svg',
	};

	properties: INodeProperties[] = [
		{
			displayName: 'Host',
			name: 'host',
			type: 'string',
			default: '127.0.0.1',
			required: true,
			description: 'Host name or IP address of the Redis server',
		},
		{
			displayName: 'Port',
			name: 'port',
			type: 'number',
			default: 6379,
			required: true,
			typeOptions: { minValue: 1, maxValue: 65535 },
		},
		{
			displayName: 'User',
			name: 'username',
			type: 'string',
			default: '',
			description: 'ACL user name (Redis 6 and later). Leave empty for the default user.',
		},
		{
			displayName: 'Password',
			name: 'password',
			type: 'string',
			typeOptions: { password: true },
			default: '',
		},
		{
			displayName: 'Queue Database',
			name: 'queueDatabase',
			type: 'number',
			default: 0,
			typeOptions: { minValue: 0, maxValue: 15 },
			description: "Redis database number of the queue. Use the worker's REDIS_DB.",
		},
		{
			displayName: 'Analytics Database',
			name: 'analyticsDatabase',
			type: 'number',
			default: 1,
			typeOptions: { minValue: 0, maxValue: 15 },
			description: "Redis database number of the analytics. Use the worker's REDIS_ANALYTICS_DB.",
		},
		{
			displayName: 'Key Prefix',
			name: 'prefix',
			type: 'string',
			default: 'waq',
			required: true,
			description: "Prefix of every queue key. Use the worker's QUEUE_PREFIX.",
		},
		{
			displayName: 'Analytics Key Prefix',
			name: 'analyticsPrefix',
			type: 'string',
			default: 'waa',
			description: "Prefix of every analytics key. Use the worker's ANALYTICS_PREFIX.",
		},
		{
			displayName: 'Analytics Time Zone',
			name: 'analyticsTimeZone',
			type: 'string',
			default: 'UTC',
			placeholder: 'America/Sao_Paulo',
			description:
				"IANA time zone of the daily analytics counters. Use the worker's ANALYTICS_TIME_ZONE.",
		},
		{
			displayName: 'SSL/TLS',
			name: 'tls',
			type: 'boolean',
			default: false,
			description: 'Whether to connect over TLS',
		},
		{
			displayName: 'CA Certificate',
			name: 'caCertificate',
			type: 'string',
			typeOptions: { password: true, rows: 4 },
			default: '',
			displayOptions: { show: { tls: [true] } },
			description:
				'PEM CA certificate to trust, for a server with a private CA. Leave empty to trust the system CAs.',
		},
		{
			displayName: 'Reject Unauthorized Certificates',
			name: 'rejectUnauthorized',
			type: 'boolean',
			default: true,
			displayOptions: { show: { tls: [true] } },
			description:
				'Whether to reject a server certificate that the CA list does not vouch for. Turn off for testing only.',
		},
	];
}
