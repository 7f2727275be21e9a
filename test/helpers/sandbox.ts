import { EvolutionClient } from '../../shared/gateways/evolution/client';
import { SandboxGateway } from '../../sandbox/sandboxGateway';
import type { SandboxGatewayOptions } from '../../sandbox/types';

/** A started sandbox gateway and an Evolution client pointed at it. */
export interface TestGateway {
	sandbox: SandboxGateway;
	client: EvolutionClient;
	url: string;
}

/** Starts a sandbox gateway on a free loopback port; pair with `sandbox.stop()`. */
export async function startTestGateway(
	options: SandboxGatewayOptions = {},
	clientOptions: { timeoutMs?: number } = {},
): Promise<TestGateway> {
	const sandbox = new SandboxGateway({ port: 0, ...options });
	const url = await sandbox.start();
	const client = new EvolutionClient({ baseUrl: url, apiKey: sandbox.apiKey, timeoutMs: clientOptions.timeoutMs ?? 5000 });
	return { sandbox, client, url };
}

/** Numbers the sandbox accepted, in the order it accepted them. */
export function acceptedNumbers(sandbox: SandboxGateway, instance?: string): string[] {
	return sandbox.received.filter((record) => !instance || record.instance === instance).map((record) => record.number);
}
