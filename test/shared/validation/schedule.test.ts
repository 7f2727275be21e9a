import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

import fc from 'fast-check';

import { ValidationError } from '../../../shared/errors';
import {
	assertScheduleTime,
	MAX_SCHEDULE_AHEAD_MS,
	parseScheduleTime,
	PAST_TOLERANCE_MS,
	type ScheduleOptions,
} from '../../../shared/validation/schedule';

const NOW = Date.parse('2025-03-01T00:00:00Z');
const DAY = 24 * 60 * 60 * 1000;
const SAO_PAULO: ScheduleOptions = { timeZone: 'America/Sao_Paulo', now: NOW };

function instantOf(input: unknown, options: ScheduleOptions = { now: NOW }): string | undefined {
	const result = parseScheduleTime(input, options);
	return result.ok ? new Date(result.at).toISOString() : undefined;
}

function reasonOf(input: unknown, options: ScheduleOptions = { now: NOW }): string | undefined {
	const result = parseScheduleTime(input, options);
	return result.ok ? undefined : result.reason;
}

describe('parseScheduleTime', () => {
	it('reads wall-clock time in the zone', () => {
		expect(instantOf('2025-03-10T09:00:00', SAO_PAULO)).toBe('2025-03-10T12:00:00.000Z');
	});

	it('lets the offset win over the zone', () => {
		expect(instantOf('2025-03-10T09:00:00+01:00', SAO_PAULO)).toBe('2025-03-10T08:00:00.000Z');
	});

	it('returns the given time zone', () => {
		const result = parseScheduleTime('2025-03-10T09:00:00', SAO_PAULO);
		expect(result).toEqual({
			ok: true,
			at: Date.parse('2025-03-10T12:00:00Z'),
			timeZone: 'America/Sao_Paulo',
			sendNow: false,
		});
	});

	it('omits the zone when none is given', () => {
		const result = parseScheduleTime('2025-03-10T09:00:00Z', { now: NOW });
		expect(result).toEqual({ ok: true, at: Date.parse('2025-03-10T09:00:00Z'), sendNow: false });
	});

	it.each([
		['2025-03-10T09:00:00Z', '2025-03-10T09:00:00.000Z'],
		['2025-03-10t09:00:00z', '2025-03-10T09:00:00.000Z'],
		['2025-03-10 09:00Z', '2025-03-10T09:00:00.000Z'],
		['2025-03-10T09:00:00.5Z', '2025-03-10T09:00:00.500Z'],
		['2025-03-10T09:00:00,123456789Z', '2025-03-10T09:00:00.123Z'],
		['2025-03-10T09:00:00-03', '2025-03-10T12:00:00.000Z'],
		['2025-03-10T09:00:00+0530', '2025-03-10T03:30:00.000Z'],
		['2025-03-10T09:00:00+05:45', '2025-03-10T03:15:00.000Z'],
		['  2025-03-10T09:00:00Z\n', '2025-03-10T09:00:00.000Z'],
	])('parses %j', (input, expected) => {
		expect(instantOf(input)).toBe(expected);
	});

	it('accepts a Date', () => {
		expect(instantOf(new Date('2025-03-10T09:00:00Z'))).toBe('2025-03-10T09:00:00.000Z');
	});

	it('accepts epoch milliseconds', () => {
		expect(instantOf(Date.parse('2025-03-10T09:00:00Z'))).toBe('2025-03-10T09:00:00.000Z');
	});

	it('rejects a past time', () => {
		expect(reasonOf('2020-01-01T00:00:00Z')).toBe(
			'Invalid schedule time "2020-01-01T00:00:00Z": 2020-01-01T00:00:00.000Z is in the past (now is 2025-03-01T00:00:00.000Z). Use a future time, or send the message without a schedule time.',
		);
	});

	it('rejects a relative phrase', () => {
		expect(reasonOf('tomorrow 9am')).toBe(
			'Invalid schedule time "tomorrow 9am". Use an ISO 8601 date and time, such as 2025-03-10T09:00:00Z or 2025-03-10T09:00:00-03:00.',
		);
	});

	it.each([
		['next monday'],
		['10/03/2025 09:00'],
		['2025-03-10T9:00:00Z'],
		['20250310T090000Z'],
		['2025-W11-1T09:00:00Z'],
		['09:00'],
		['1741597200000'],
		['2025-03-10T09:00:00 UTC'],
		['2025-03-10T09:00:00[America/Sao_Paulo]'],
	])('rejects unparseable %j', (input) => {
		expect(reasonOf(input)).toMatch(/^Invalid schedule time ".*"\. Use an ISO 8601 date and time/);
	});

	it('rejects a date without time', () => {
		expect(reasonOf('2025-03-10', SAO_PAULO)).toBe(
			'Invalid schedule time "2025-03-10": it has a date but no time of day. Add one, such as 2025-03-10T09:00:00.',
		);
	});

	it('rejects a missing offset and zone', () => {
		expect(reasonOf('2025-03-10T09:00:00')).toBe(
			'Invalid schedule time "2025-03-10T09:00:00": it has no UTC offset and no time zone was set. Add an offset, such as 2025-03-10T09:00:00Z or 2025-03-10T09:00:00-03:00, or set a time zone.',
		);
	});

	it('rejects an empty string', () => {
		expect(reasonOf('  ')).toMatch(/^Missing schedule time: the value is empty\./);
	});

	it.each([
		['2025-02-29T09:00:00Z', 'day 29 does not exist in 2025-02, which has 28 days'],
		['2025-13-01T09:00:00Z', 'month 13 does not exist'],
		['2025-03-10T24:00:00Z', 'hour 24 does not exist'],
		['2025-03-10T09:60:00Z', 'minute 60 does not exist'],
		['2025-03-10T09:00:60Z', 'second 60 is not supported'],
		['2025-03-10T09:00:00+24:00', 'the offset +24:00 is out of range'],
	])('rejects out-of-range fields in %j', (input, reason) => {
		expect(reasonOf(input)).toContain(reason);
	});

	it('accepts February 29 in a leap year', () => {
		const options = { now: Date.parse('2028-01-01T00:00:00Z') };
		expect(instantOf('2028-02-29T09:00:00Z', options)).toBe('2028-02-29T09:00:00.000Z');
	});

	it('rejects an unknown time zone', () => {
		expect(reasonOf('2025-03-10T09:00:00Z', { timeZone: 'Mars/Olympus', now: NOW })).toBe(
			'Invalid time zone "Mars/Olympus". Use an IANA time zone name, such as America/Sao_Paulo or UTC.',
		);
	});

	it('rejects a non-string time zone', () => {
		const options = { timeZone: 3 as unknown as string, now: NOW };
		expect(reasonOf('2025-03-10T09:00:00Z', options)).toMatch(/^Invalid time zone number 3\./);
	});

	it('rejects a DST gap time', () => {
		const options = { timeZone: 'America/New_York', now: NOW };
		expect(reasonOf('2025-03-09T02:30:00', options)).toBe(
			'Invalid schedule time "2025-03-09T02:30:00": 2025-03-09T02:30:00 does not exist in America/New_York, because the clocks jump forward over it, as when daylight saving time starts. Use a time after the jump, such as 2025-03-09T03:30:00.',
		);
	});

	it('accepts the end of a gap', () => {
		const options = { timeZone: 'America/New_York', now: NOW };
		expect(instantOf('2025-03-09T03:00:00', options)).toBe('2025-03-09T07:00:00.000Z');
	});

	it('resolves a fall-back time to the earlier instant', () => {
		const options = { timeZone: 'America/New_York', now: NOW };
		// 01:30 happens at 05:30Z in daylight time and again at 06:30Z.
		expect(instantOf('2025-11-02T01:30:00', options)).toBe('2025-11-02T05:30:00.000Z');
	});

	it('resolves a European fall-back time', () => {
		const options = { timeZone: 'Europe/Madrid', now: NOW };
		expect(instantOf('2025-10-26T02:30:00', options)).toBe('2025-10-26T00:30:00.000Z');
	});

	it('rejects a skipped calendar day', () => {
		const options = { timeZone: 'Pacific/Apia', now: Date.parse('2011-12-01T00:00:00Z') };
		expect(reasonOf('2011-12-30T12:00:00', options)).toMatch(/does not exist in Pacific\/Apia/);
	});

	it('sends a slightly past time now', () => {
		const result = parseScheduleTime(NOW - PAST_TOLERANCE_MS, { now: NOW });
		expect(result).toEqual({ ok: true, at: NOW - PAST_TOLERANCE_MS, sendNow: true });
	});

	it('sends the current time now', () => {
		expect(parseScheduleTime(NOW, { now: NOW })).toMatchObject({ ok: true, sendNow: true });
	});

	it('schedules one millisecond ahead', () => {
		expect(parseScheduleTime(NOW + 1, { now: NOW })).toMatchObject({ ok: true, sendNow: false });
	});

	it('rejects 61 seconds in the past', () => {
		expect(reasonOf(NOW - PAST_TOLERANCE_MS - 1)).toMatch(/is in the past/);
	});

	it('accepts exactly 366 days ahead', () => {
		expect(parseScheduleTime(NOW + MAX_SCHEDULE_AHEAD_MS, { now: NOW }).ok).toBe(true);
	});

	it('rejects more than 366 days ahead', () => {
		expect(reasonOf(NOW + MAX_SCHEDULE_AHEAD_MS + 1)).toBe(
			`Invalid schedule time ${NOW + MAX_SCHEDULE_AHEAD_MS + 1}: 2026-03-02T00:00:00.001Z is more than 366 days ahead. Use a time up to 2026-03-02T00:00:00.000Z.`,
		);
	});

	it('hints at epoch seconds', () => {
		expect(reasonOf(Math.floor(NOW / 1000))).toMatch(
			/looks like seconds since the epoch, so multiply it by 1000\.$/,
		);
	});

	it.each([[0], [-5], [1.5], [Number.NaN], [Number.POSITIVE_INFINITY], [2 ** 60]])(
		'rejects epoch number %p',
		(input) => {
			expect(reasonOf(input)).toMatch(/Use a positive whole number of epoch milliseconds\.$/);
		},
	);

	it('rejects an invalid Date', () => {
		expect(reasonOf(new Date('nope'))).toBe(
			'Invalid schedule time: the Date is invalid. Pass a valid Date.',
		);
	});

	it.each([[null], [undefined], [true], [{}], [[2025, 3, 10]]])('rejects %p', (input) => {
		expect(reasonOf(input)).toMatch(
			/^Invalid schedule time: expected a Date, epoch milliseconds or an ISO 8601 string, got /,
		);
	});

	it('defaults now to the clock', () => {
		expect(parseScheduleTime(Date.now() + 60_000).ok).toBe(true);
	});

	it('rejects an invalid now', () => {
		expect(reasonOf(NOW, { now: Number.NaN })).toMatch(/^Invalid options\.now NaN\./);
	});

	it('never throws for any input', () => {
		const zone = fc.constantFrom(undefined, 'UTC', 'America/Sao_Paulo', 'Nowhere/Else', '');
		const input = fc.oneof(
			fc.anything(),
			fc.date(),
			fc.double(),
			fc.string(),
			fc.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?([+-]\d{2}:\d{2}|Z)?$/),
		);
		fc.assert(
			fc.property(input, zone, fc.oneof(fc.constant(NOW), fc.double()), (value, timeZone, now) => {
				const result = parseScheduleTime(value, { timeZone, now });
				expect(typeof result.ok).toBe('boolean');
			}),
		);
	});

	it('formats instants beyond Date range', () => {
		expect(reasonOf('9999-01-01T00:00:00Z', { now: 8.64e15 + DAY })).toContain(
			'ms after the epoch',
		);
	});
});

function thrownBy(action: () => unknown): unknown {
	try {
		action();
	} catch (error) {
		return error;
	}
	return undefined;
}

describe('assertScheduleTime', () => {
	it('returns the parsed time', () => {
		expect(assertScheduleTime('2025-03-10T09:00:00', SAO_PAULO)).toEqual({
			at: Date.parse('2025-03-10T12:00:00Z'),
			timeZone: 'America/Sao_Paulo',
			sendNow: false,
		});
	});

	it('throws at scheduledAt by default', () => {
		const error = thrownBy(() => assertScheduleTime('tomorrow 9am', { now: NOW }));

		expect(error).toBeInstanceOf(ValidationError);
		expect((error as ValidationError).issues).toEqual([
			{ path: 'scheduledAt', message: reasonOf('tomorrow 9am') },
		]);
	});

	it('throws at the given path', () => {
		expect(() => assertScheduleTime('tomorrow 9am', { now: NOW, path: 'sendAt' })).toThrow(
			/^sendAt: Invalid schedule time "tomorrow 9am"\./,
		);
	});
});

describe('parseScheduleTime machine time zone', () => {
	const execFileAsync = promisify(execFile);
	const schedulePath = path.resolve(__dirname, '../../../shared/validation/schedule.ts');
	const cases: [string, string | undefined][] = [
		['2025-03-10T09:00:00', 'America/Sao_Paulo'],
		['2025-03-10T09:00:00+01:00', 'America/Sao_Paulo'],
		['2025-11-02T01:30:00', 'America/New_York'],
		['2025-03-09T02:30:00', 'America/New_York'],
		['2025-06-01T12:00:00Z', undefined],
		['2025-06-01T12:00:00', undefined],
	];

	// The child process loads the TypeScript source through a require hook,
	// because Jest gives each test file a copy of process.env, so setting TZ
	// here would not change the zone that Date and Intl use.
	const script = `
		const fs = require('node:fs');
		const ts = require('typescript');
		const compilerOptions = {
			module: ts.ModuleKind.CommonJS,
			target: ts.ScriptTarget.ES2022,
			esModuleInterop: true,
		};
		require.extensions['.ts'] = (module, file) => {
			const source = fs.readFileSync(file, 'utf8');
			module._compile(ts.transpileModule(source, { compilerOptions }).outputText, file);
		};
		const { parseScheduleTime } = require(${JSON.stringify(schedulePath)});
		const cases = ${JSON.stringify(cases)};
		const results = cases.map(([input, timeZone]) =>
			parseScheduleTime(input, { timeZone: timeZone ?? undefined, now: ${NOW} }),
		);
		const machineOffset = new Date(2025, 0, 1).getTimezoneOffset();
		process.stdout.write(JSON.stringify({ machineOffset, results }));
	`;

	interface ChildOutput {
		machineOffset: number;
		results: unknown[];
	}

	async function runWithZone(zone: string): Promise<ChildOutput> {
		const { stdout } = await execFileAsync(process.execPath, ['-e', script], {
			cwd: path.resolve(__dirname, '../../..'),
			env: { ...process.env, TZ: zone },
		});
		return JSON.parse(stdout) as ChildOutput;
	}

	it('gives equal results in every zone', async () => {
		const zones = ['UTC', 'America/Sao_Paulo', 'Asia/Kolkata', 'Pacific/Kiritimati'];
		const expected = cases.map(([input, timeZone]) =>
			parseScheduleTime(input, { timeZone, now: NOW }),
		);

		const runs = await Promise.all(zones.map(runWithZone));

		expect(runs.map((run) => run.machineOffset)).toEqual([0, 180, -330, -840]);
		for (const run of runs) {
			expect(run.results).toEqual(expected);
		}
	});
});
