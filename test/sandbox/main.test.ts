import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';

import { SANDBOX_API_KEY } from '../../sandbox/types';
import { waitFor } from '../helpers/waitFor';

/**
 * Runs sandbox/main.ts in a child Node process. The TypeScript is compiled on
 * load with the typescript package, because the tests run before any build.
 */
function runCli(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcessWithoutNullStreams {
	const entry = join(__dirname, '../../sandbox/main.ts');
	const script = `
		const ts = require('typescript');
		const fs = require('fs');
		require.extensions['.ts'] = (module, file) => module._compile(
			ts.transpileModule(fs.readFileSync(file, 'utf8'), {
				compilerOptions: { module: 'commonjs', target: 'es2022', esModuleInterop: true },
			}).outputText,
			file,
		);
		require(${JSON.stringify(entry)}).main(process.argv.slice(1));
	`;
	return spawn(process.execPath, ['-e', script, '--', ...args], {
		cwd: join(__dirname, '../..'),
		env: { PATH: process.env.PATH, ...env },
	});
}

/** Collects a child's output and exit code. */
function watch(child: ChildProcessWithoutNullStreams): {
	stdout: string;
	stderr: string;
	code?: number | null;
} {
	const state: { stdout: string; stderr: string; code?: number | null } = {
		stdout: '',
		stderr: '',
	};
	child.stdout.on('data', (chunk: Buffer) => (state.stdout += chunk.toString()));
	child.stderr.on('data', (chunk: Buffer) => (state.stderr += chunk.toString()));
	child.on('exit', (code) => (state.code = code));
	return state;
}

describe('whatsapp-sandbox-gateway CLI', () => {
	const children: ChildProcessWithoutNullStreams[] = [];

	afterEach(() => {
		for (const child of children.splice(0)) {
			if (child.exitCode === null && child.signalCode === null) {
				child.kill('SIGKILL');
			}
		}
	});

	it('prints its URL and stops on SIGTERM', async () => {
		const child = runCli(['--port', '0', '--instances', 'acme'], { SANDBOX_LOG_LEVEL: 'silent' });
		children.push(child);
		const output = watch(child);

		const line = await waitFor(
			() => output.stdout.split('\n').find((entry) => entry.startsWith('{')),
			{
				timeoutMs: 30_000,
				description: 'the listening line',
			},
		);
		const ready = JSON.parse(line);
		const answer = await fetch(`${ready.url}/instance/connectionState/acme`, {
			headers: { apikey: SANDBOX_API_KEY },
		});
		await answer.text();
		child.kill('SIGTERM');
		await waitFor(() => output.code !== undefined, {
			timeoutMs: 10_000,
			description: 'exit after SIGTERM',
		});

		expect(ready.event).toBe('listening');
		expect(ready.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
		expect(ready.instances).toEqual(['acme']);
		expect(answer.status).toBe(200);
		expect(output.code).toBe(0);
	});

	it('prints help', async () => {
		const child = runCli(['--help']);
		children.push(child);
		const output = watch(child);

		await waitFor(() => output.code !== undefined, {
			timeoutMs: 30_000,
			description: 'exit after help',
		});

		expect(output.stdout).toContain('Usage: whatsapp-sandbox-gateway');
		expect(output.code).toBe(0);
	});

	it('exits 2 on invalid settings', async () => {
		const child = runCli(['--port', 'eighty']);
		children.push(child);
		const output = watch(child);

		await waitFor(() => output.code !== undefined, {
			timeoutMs: 30_000,
			description: 'exit on bad flag',
		});

		expect(output.stderr).toContain('Invalid --port "eighty"');
		expect(output.code).toBe(2);
	});
});
