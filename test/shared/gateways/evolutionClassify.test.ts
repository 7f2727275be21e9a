import {
	classifyEvolutionResponse,
	classifyNetworkError,
	DEFAULT_RETRY_AFTER_MS,
	gatewayMessageText,
	limitGatewayResponse,
	MAX_RETRY_AFTER_MS,
	parseRetryAfter,
	TRANSIENT_REJECTIONS,
} from '../../../shared/gateways/evolution/classify';

const envelope = (status: number, message: unknown) => ({
	status,
	error: 'Error',
	response: { message },
});

const context = { method: 'POST', path: '/message/sendText/acme', instanceName: 'acme' };

describe('parseRetryAfter', () => {
	const now = Date.parse('2026-03-01T12:00:00Z');

	it('reads delay seconds', () => {
		expect(parseRetryAfter('2', now)).toBe(2000);
	});

	it('reads fractional seconds', () => {
		expect(parseRetryAfter('1.5', now)).toBe(1500);
	});

	it('reads HTTP dates', () => {
		expect(parseRetryAfter('Sun, 01 Mar 2026 12:00:30 GMT', now)).toBe(30_000);
	});

	it('returns 0 for past dates', () => {
		expect(parseRetryAfter('Sun, 01 Mar 2026 11:00:00 GMT', now)).toBe(0);
	});

	it('defaults missing values', () => {
		expect(parseRetryAfter(undefined, now)).toBe(DEFAULT_RETRY_AFTER_MS);
		expect(parseRetryAfter('', now)).toBe(DEFAULT_RETRY_AFTER_MS);
	});

	it('defaults unreadable values', () => {
		expect(parseRetryAfter('soon', now)).toBe(DEFAULT_RETRY_AFTER_MS);
		expect(parseRetryAfter('-5', now)).toBe(DEFAULT_RETRY_AFTER_MS);
	});

	it('caps long waits', () => {
		expect(parseRetryAfter('7200', now)).toBe(MAX_RETRY_AFTER_MS);
		expect(parseRetryAfter('Mon, 02 Mar 2026 12:00:00 GMT', now)).toBe(MAX_RETRY_AFTER_MS);
	});
});

describe('classifyEvolutionResponse', () => {
	it.each([
		[500, 'transient', 'server_error'],
		[502, 'transient', 'server_error'],
		[503, 'transient', 'server_error'],
		[408, 'transient', 'request_timeout'],
		[429, 'rate_limited', 'rate_limited'],
		[401, 'instance', 'unauthorized'],
		[403, 'permanent', 'rejected'],
		[413, 'permanent', 'rejected'],
		[422, 'permanent', 'rejected'],
		[409, 'permanent', 'rejected'],
		[400, 'permanent', 'rejected'],
	])('classifies HTTP %i', (status, kind, reason) => {
		const error = classifyEvolutionResponse(status, envelope(status, ['Something']), {}, context);

		expect(error.kind).toBe(kind);
		expect(error.reason).toBe(reason);
		expect(error.statusCode).toBe(status);
	});

	it('classifies 2xx as invalid response', () => {
		const error = classifyEvolutionResponse(201, {}, {}, context);

		expect(error.kind).toBe('transient');
		expect(error.reason).toBe('invalid_response');
	});

	it('finds exists false entries', () => {
		const body = envelope(400, [
			{ jid: '34600000009@s.whatsapp.net', exists: false, number: '+34600000009' },
		]);

		const error = classifyEvolutionResponse(400, body, {}, context);

		expect(error.kind).toBe('permanent');
		expect(error.reason).toBe('not_on_whatsapp');
		expect(error.message).toBe(
			'Number +34600000009 is not on WhatsApp (gateway checked 34600000009@s.whatsapp.net). ' +
				'Check the number or remove it from the list.',
		);
	});

	it.each(TRANSIENT_REJECTIONS.map((rejection) => [rejection.example, rejection.reason]))(
		'retries "%s"',
		(example, reason) => {
			const error = classifyEvolutionResponse(400, envelope(400, [example]), {}, context);

			expect(error.kind).toBe('transient');
			expect(error.reason).toBe(reason);
		},
	);

	it('keeps the gateway message', () => {
		const error = classifyEvolutionResponse(
			400,
			envelope(400, ['requires property "text"']),
			{},
			context,
		);

		expect(error.message).toContain('requires property "text"');
		expect(error.message).toContain('POST /message/sendText/acme');
	});

	it('reads Retry-After from plain headers', () => {
		const error = classifyEvolutionResponse(429, undefined, { 'Retry-After': '3' }, context);

		expect(error.retryAfterMs).toBe(3000);
	});

	it('reads Retry-After from fetch headers', () => {
		const error = classifyEvolutionResponse(
			429,
			undefined,
			new Headers({ 'retry-after': '4' }),
			context,
		);

		expect(error.retryAfterMs).toBe(4000);
	});

	it('names the instance on 401', () => {
		const error = classifyEvolutionResponse(401, envelope(401, 'Unauthorized'), {}, context);

		expect(error.message).toMatch(/instance "acme".*Check EVOLUTION_API_KEY/);
	});

	it('reads the instance from 404', () => {
		const body = envelope(404, ['The "Acme Sales" instance does not exist']);

		const error = classifyEvolutionResponse(404, body, {}, {});

		expect(error.kind).toBe('instance');
		expect(error.reason).toBe('instance_not_found');
		expect(error.message).toMatch(/^Instance "Acme Sales" does not exist/);
	});

	it('detects missing routes', () => {
		const error = classifyEvolutionResponse(404, envelope(404, ['Cannot POST /v1/x']), {}, context);

		expect(error.kind).toBe('instance');
		expect(error.reason).toBe('route_not_found');
		expect(error.message).toContain('Check EVOLUTION_API_URL');
	});

	it('treats non-envelope 404 as missing route', () => {
		const error = classifyEvolutionResponse(404, 'Not Found', {}, context);

		expect(error.reason).toBe('route_not_found');
	});

	it('rejects other enveloped 404', () => {
		const error = classifyEvolutionResponse(404, envelope(404, ['Message not found']), {}, context);

		expect(error.kind).toBe('permanent');
		expect(error.reason).toBe('rejected');
	});

	it('keeps the parsed response', () => {
		const body = envelope(500, ['boom']);

		expect(classifyEvolutionResponse(500, body, {}, context).gatewayResponse).toEqual(body);
	});

	it('describes requests without context', () => {
		const error = classifyEvolutionResponse(500, undefined, {});

		expect(error.message).toBe(
			'Evolution API failed on the request with HTTP 500. ' +
				'A retry may succeed. Check the Evolution API logs if it persists.',
		);
	});
});

describe('classifyNetworkError', () => {
	it('classifies timeouts', () => {
		const error = classifyNetworkError(new DOMException('timed out', 'TimeoutError'), {
			...context,
			timeoutMs: 5000,
		});

		expect(error.kind).toBe('transient');
		expect(error.reason).toBe('timeout');
		expect(error.message).toContain('within 5000 ms');
	});

	it('classifies aborts', () => {
		const error = classifyNetworkError(new DOMException('aborted', 'AbortError'), context);

		expect(error.reason).toBe('aborted');
	});

	it.each(['ECONNRESET', 'ECONNREFUSED', 'UND_ERR_SOCKET'])('retries %s', (code) => {
		const cause = Object.assign(new Error('socket trouble'), { code });
		const error = classifyNetworkError(new TypeError('fetch failed', { cause }), context);

		expect(error.kind).toBe('transient');
		expect(error.reason).toBe('network');
		expect(error.message).toContain(`${code}: socket trouble`);
	});

	it('names the base URL', () => {
		const error = classifyNetworkError(new TypeError('fetch failed'), {
			...context,
			baseUrl: 'http://evolution:8080',
		});

		expect(error.message).toContain('at http://evolution:8080 failed (fetch failed)');
	});

	it('accepts non-Error values', () => {
		expect(classifyNetworkError('socket closed').message).toContain('(socket closed)');
	});
});

describe('gatewayMessageText', () => {
	it('joins message arrays', () => {
		expect(gatewayMessageText(envelope(400, ['one', 'two']))).toBe('one; two');
	});

	it('serialises object entries', () => {
		expect(gatewayMessageText(envelope(400, [{ exists: false }]))).toBe('{"exists":false}');
	});

	it('reads string messages', () => {
		expect(gatewayMessageText(envelope(401, 'Unauthorized'))).toBe('Unauthorized');
	});

	it('returns text bodies', () => {
		expect(gatewayMessageText('  Bad Gateway\n')).toBe('Bad Gateway');
	});

	it('returns empty for no body', () => {
		expect(gatewayMessageText(undefined)).toBe('');
	});
});

describe('limitGatewayResponse', () => {
	it('keeps small bodies parsed', () => {
		const body = { a: 1 };

		expect(limitGatewayResponse(body)).toBe(body);
	});

	it('cuts large bodies to 4 KiB', () => {
		const limited = limitGatewayResponse({ text: 'é'.repeat(5000) }) as string;

		expect(limited.endsWith('…[truncated]')).toBe(true);
		expect(Buffer.byteLength(limited.replace('…[truncated]', ''))).toBeLessThanOrEqual(4096);
		expect(limited).not.toContain('\uFFFD');
	});
});
