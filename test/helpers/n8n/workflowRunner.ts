/**
 * Runs fixture workflows in-process with n8n-core's execution engine
 * (`WorkflowExecute`), the one n8n itself uses, so nodes see real
 * parameters, expressions, credentials, paired items and error outputs.
 */

import './environment';

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { ExecutionLifecycleHooks, WorkflowExecute } from 'n8n-core';
import {
	Workflow,
	type ICredentialDataDecryptedObject,
	type IConnections,
	type IDataObject,
	type INode,
	type INodeExecutionData,
	type IRun,
	type IWorkflowBase,
	type IWorkflowExecuteAdditionalData,
	type WorkflowExecuteMode,
} from 'n8n-workflow';

import { TestCredentialsHelper } from './credentialsHelper';
import { TestNodeTypes } from './nodeTypes';

const FIXTURES = join(__dirname, '..', '..', 'nodes', 'fixtures');

/** A workflow as n8n exports it, the parts the runner needs. */
export interface WorkflowFixture {
	id?: string;
	name: string;
	nodes: INode[];
	connections: IConnections;
	settings?: IDataObject;
}

/** Credential data by credential type, such as `{ whatsAppQueueRedisApi: {...} }`. */
export type TestCredentials = Record<string, ICredentialDataDecryptedObject>;

/** Loads `test/nodes/fixtures/<name>.workflow.json` as a fresh copy. */
export function loadWorkflow(name: string): WorkflowFixture {
	const text = readFileSync(join(FIXTURES, `${name}.workflow.json`), 'utf8');
	return JSON.parse(text) as WorkflowFixture;
}

/** Returns the node named `nodeName`, to change its parameters or settings before a run. */
export function getNode(fixture: WorkflowFixture, nodeName: string): INode {
	const node = fixture.nodes.find((candidate) => candidate.name === nodeName);
	if (!node) {
		throw new Error(`No node "${nodeName}" in workflow "${fixture.name}".`);
	}
	return node;
}

const nodeTypes = new TestNodeTypes();
let executionCounter = 0;

/** Builds an n8n `Workflow` from a fixture. */
export function toWorkflow(fixture: WorkflowFixture, options: { active?: boolean } = {}): Workflow {
	return new Workflow({
		id: fixture.id ?? 'test-workflow',
		name: fixture.name,
		nodes: fixture.nodes,
		connections: fixture.connections,
		active: options.active ?? false,
		nodeTypes,
		settings: { timezone: 'UTC', ...fixture.settings },
	});
}

function toWorkflowData(fixture: WorkflowFixture): IWorkflowBase {
	return {
		id: fixture.id ?? 'test-workflow',
		name: fixture.name,
		active: false,
		isArchived: false,
		activeVersionId: null,
		createdAt: new Date(),
		updatedAt: new Date(),
		nodes: fixture.nodes,
		connections: fixture.connections,
	};
}

/** Builds the `additionalData` that n8n passes to an execution, with test credentials. */
export function createAdditionalData(
	fixture: WorkflowFixture,
	credentials: TestCredentials,
	mode: WorkflowExecuteMode,
): IWorkflowExecuteAdditionalData {
	executionCounter += 1;
	const executionId = `test-execution-${executionCounter}`;
	const base = 'http://127.0.0.1:5678';
	const additionalData: Partial<IWorkflowExecuteAdditionalData> = {
		credentialsHelper: new TestCredentialsHelper(credentials),
		hooks: new ExecutionLifecycleHooks(mode, executionId, toWorkflowData(fixture)),
		executionId,
		workflowId: fixture.id ?? 'test-workflow',
		currentNodeExecutionIndex: 0,
		restApiUrl: `${base}/rest`,
		instanceBaseUrl: `${base}/`,
		formBaseUrl: `${base}/form`,
		formWaitingBaseUrl: `${base}/form-waiting`,
		formTestBaseUrl: `${base}/form-test`,
		webhookBaseUrl: `${base}/webhook`,
		webhookWaitingBaseUrl: `${base}/webhook-waiting`,
		webhookTestBaseUrl: `${base}/webhook-test`,
		mcpBaseUrl: `${base}/mcp`,
		mcpTestBaseUrl: `${base}/mcp-test`,
		variables: {},
		logAiEvent: () => undefined,
		executeWorkflow: async () => {
			throw new Error('Sub-workflows are not available in tests.');
		},
		getRunExecutionData: async () => undefined,
	};
	return additionalData as IWorkflowExecuteAdditionalData;
}

/** The result of one workflow run, with accessors for node outputs. */
export class WorkflowRun {
	constructor(readonly run: IRun) {}

	/** Items of one output of a node's first run; an empty list when it output nothing there. */
	output(nodeName: string, outputIndex = 0): INodeExecutionData[] {
		const task = this.run.data.resultData.runData[nodeName]?.[0];
		return task?.data?.main?.[outputIndex] ?? [];
	}

	/** JSON of one output's items. */
	json(nodeName: string, outputIndex = 0): IDataObject[] {
		return this.output(nodeName, outputIndex).map((item) => item.json);
	}

	/** Returns whether the node ran at all. */
	ran(nodeName: string): boolean {
		return this.run.data.resultData.runData[nodeName] !== undefined;
	}

	/** The error that stopped the workflow, if any. */
	get error(): (Error & { context?: IDataObject; description?: string }) | undefined {
		return this.run.data.resultData.error as
			| (Error & { context?: IDataObject; description?: string })
			| undefined;
	}
}

/** Runs a fixture from its manual trigger, as "Execute workflow" in the editor does. */
export async function runWorkflow(
	fixture: WorkflowFixture,
	credentials: TestCredentials = {},
): Promise<WorkflowRun> {
	const workflow = toWorkflow(fixture);
	const startNode = fixture.nodes.find((node) => node.type === 'fixture.manualTrigger');
	if (!startNode) {
		throw new Error(`Workflow "${fixture.name}" has no fixture.manualTrigger node.`);
	}
	const additionalData = createAdditionalData(fixture, credentials, 'manual');
	const execution = new WorkflowExecute(additionalData, 'manual');
	const run = await execution.run({
		workflow,
		startNode: workflow.getNode(startNode.name) ?? undefined,
	});
	return new WorkflowRun(run);
}

/** How a node handles an item error, as its "On Error" setting. */
export type OnError = 'stopWorkflow' | 'continueRegularOutput' | 'continueErrorOutput';

/**
 * Loads a fixture whose `Items` node feeds one node under test, and sets
 * that node's parameters, its "On Error" setting and the input items.
 */
export function singleNodeWorkflow(
	fixtureName: string,
	nodeName: string,
	options: { items: IDataObject[]; parameters: INode['parameters']; onError?: OnError },
): WorkflowFixture {
	const fixture = loadWorkflow(fixtureName);
	getNode(fixture, 'Items').parameters = { items: JSON.stringify(options.items) };
	const node = getNode(fixture, nodeName);
	node.parameters = options.parameters;
	if (options.onError && options.onError !== 'stopWorkflow') {
		node.onError = options.onError;
	}
	return fixture;
}
