import type { AnalyticsManager } from '../../../shared/analytics';
import { useAnalyticsHarness } from './harness';

async function sendAt(
	manager: AnalyticsManager,
	timestamp: string,
	phone = '34600000001',
): Promise<void> {
	await manager.trackMessageSent(phone, 'text', { timestamp });
}

describe('AnalyticsManager.generateReport', () => {
	const harness = useAnalyticsHarness();

	it('states the zone and range', async () => {
		const manager = harness.manager();
		const report = await manager.generateReport('day', {
			at: '2025-04-01T15:00:00Z',
			previous: true,
		});
		expect(report.period).toBe('day');
		expect(report.timeZone).toBe('UTC');
		expect(report.start).toBe('2025-03-31T00:00:00.000Z');
		expect(report.end).toBe('2025-04-01T00:00:00.000Z');
		expect(report.coverage).toEqual({ start: report.start, end: report.end, isExact: true });
	});

	it('reports the current day so far', async () => {
		const manager = harness.manager();
		await sendAt(manager, new Date().toISOString());
		const report = await manager.generateReport('day');
		expect(report.messages.sent).toBe(1);
		expect(report.coverage.isExact).toBe(true);
	});

	it('uses the configured zone for days', async () => {
		const manager = harness.manager({ timeZone: 'America/Sao_Paulo' });
		await sendAt(manager, '2025-04-01T02:00:00Z'); // 2025-03-31 23:00 in São Paulo
		await sendAt(manager, '2025-04-01T12:00:00Z');
		const report = await manager.generateReport('day', { at: '2025-04-01T15:00:00Z' });
		expect(report.timeZone).toBe('America/Sao_Paulo');
		expect(report.start).toBe('2025-04-01T00:00:00.000-03:00');
		expect(report.messages.sent).toBe(1);
		expect(report.coverage.isExact).toBe(true);
	});

	it('reads São Paulo days exactly', async () => {
		const manager = harness.manager();
		await sendAt(manager, '2025-04-01T02:00:00Z');
		await sendAt(manager, '2025-04-01T12:00:00Z');
		const options = { at: '2025-04-02T12:00:00Z', previous: true, timeZone: 'America/Sao_Paulo' };
		const report = await manager.generateReport('day', options);
		expect(report.start).toBe('2025-04-01T00:00:00.000-03:00');
		expect(report.end).toBe('2025-04-02T00:00:00.000-03:00');
		expect(report.messages.sent).toBe(1);
		expect(report.coverage.isExact).toBe(true);
	});

	it('reports Kolkata days exactly when configured', async () => {
		const manager = harness.manager({ timeZone: 'Asia/Kolkata' });
		await sendAt(manager, '2025-04-01T18:45:00Z'); // 2025-04-02 00:15 in Kolkata
		await sendAt(manager, '2025-04-01T18:15:00Z'); // 2025-04-01 23:45 in Kolkata
		const report = await manager.generateReport('day', {
			at: '2025-04-03T12:00:00+05:30',
			previous: true,
		});
		expect(report.start).toBe('2025-04-02T00:00:00.000+05:30');
		expect(report.messages.sent).toBe(1);
		expect(report.coverage.isExact).toBe(true);
	});

	it('shifts Kolkata days read from UTC hours', async () => {
		const manager = harness.manager();
		await sendAt(manager, '2025-04-01T18:45:00Z'); // 00:15 on 2 April in Kolkata
		await sendAt(manager, '2025-04-01T20:00:00Z'); // 01:30 on 2 April in Kolkata
		const options = { at: '2025-04-03T12:00:00+05:30', previous: true, timeZone: 'Asia/Kolkata' };
		const report = await manager.generateReport('day', options);
		expect(report.start).toBe('2025-04-02T00:00:00.000+05:30');
		expect(report.coverage).toEqual({
			start: '2025-04-02T00:30:00.000+05:30',
			end: '2025-04-03T00:30:00.000+05:30',
			isExact: false,
		});
		// The 18:00 UTC hour starts before the Kolkata day, so its send counts on 1 April.
		expect(report.messages.sent).toBe(1);
	});

	it('starts weeks on Monday', async () => {
		const manager = harness.manager();
		await sendAt(manager, '2025-04-06T23:00:00Z'); // Sunday
		await sendAt(manager, '2025-04-07T01:00:00Z'); // Monday
		await sendAt(manager, '2025-04-09T10:00:00Z'); // Wednesday
		const report = await manager.generateReport('week', { at: '2025-04-09T15:00:00Z' });
		expect(report.start).toBe('2025-04-07T00:00:00.000Z');
		expect(report.messages.sent).toBe(2);
	});

	it('reports the previous week', async () => {
		const manager = harness.manager();
		await sendAt(manager, '2025-04-06T23:00:00Z');
		await sendAt(manager, '2025-04-09T10:00:00Z');
		const report = await manager.generateReport('week', {
			at: '2025-04-09T15:00:00Z',
			previous: true,
		});
		expect(report.start).toBe('2025-03-31T00:00:00.000Z');
		expect(report.end).toBe('2025-04-07T00:00:00.000Z');
		expect(report.messages.sent).toBe(1);
	});

	it('reports a previous month', async () => {
		const manager = harness.manager();
		await sendAt(manager, '2025-03-31T23:59:00Z');
		await sendAt(manager, '2025-04-01T00:00:00Z');
		const report = await manager.generateReport('month', {
			at: '2025-04-15T00:00:00Z',
			previous: true,
		});
		expect(report.start).toBe('2025-03-01T00:00:00.000Z');
		expect(report.messages.sent).toBe(1);
	});

	it('lists the busiest conversations', async () => {
		const manager = harness.manager();
		for (let i = 0; i < 3; i++) {
			await sendAt(manager, `2025-04-01T1${i}:00:00Z`, '34600000002');
		}
		await sendAt(manager, '2025-04-01T10:00:00Z', '34600000001');
		await manager.trackMessageReceived('34600000001', 'text', {
			timestamp: '2025-04-02T10:00:00Z',
		});
		const report = await manager.generateReport('week', {
			at: '2025-04-02T15:00:00Z',
			topLimit: 5,
		});
		expect(report.topConversations).toEqual([
			{ phone: '34600000002', messages: 3 },
			{ phone: '34600000001', messages: 2 },
		]);
	});

	it('collects the anomalies of every section', async () => {
		const manager = harness.manager();
		await manager.trackConversion('34600000001', 'sale', 10, { timestamp: '2025-04-01T10:00:00Z' });
		const report = await manager.generateReport('day', { at: '2025-04-01T15:00:00Z' });
		expect(report.conversions.conversionRate).toBeNull();
		expect(report.anomalies).toEqual([]);
	});

	it('returns hourly Kolkata points', async () => {
		const manager = harness.manager();
		await sendAt(manager, '2025-04-01T19:10:00Z');
		const series = await manager.getMessageTimeSeries(1, {
			end: '2025-04-02T12:00:00+05:30',
			interval: 'hour',
			timeZone: 'Asia/Kolkata',
		});
		expect(series[0]).toEqual({ timestamp: '2025-04-02T00:30:00.000+05:30', value: 1 });
		expect(series).toHaveLength(24);
	});
});
