/**
 * Activates fixture workflows that start with the WhatsApp Queue Trigger the
 * way n8n does: n8n-core's `ActiveWorkflowTriggers` runs the trigger, and
 * each emit runs the workflow with `WorkflowExecute` in trigger mode. Test
 * listening runs the workflow in manual mode, where n8n waits for the
 * trigger's first emit.
 */

import './environment';

import { dirname } from 'node:path';

import { ActiveWorkflowTriggers, TriggerContext, WorkflowExecute } from 'n8n-core';
import {
	createRunExecutionData,
	type INode,
	type INodeExecutionData,
	type IRun,
	type ITriggerFunctions,
	type Workflow,
	type WorkflowActivateMode,
	type WorkflowExecuteMode,
} from 'n8n-workflow';
import type { IWorkflowExecuteAdditionalData } from 'n8n-workflow';

import {
	createAdditionalData,
	toWorkflow,
	WorkflowRun,
	type TestCredentials,
	type WorkflowFixture,
} from './workflowRunner';

/** An active workflow: every execution its trigger started, and its reported errors. */
export class ActiveWorkflow {
	/** Items each emit carried, one entry per execution. */
	readonly emitted: INodeExecutionData[][] = [];
	readonly runs: Array<Promise<IRun>> = [];
	readonly errors: Error[] = [];

	constructor(
		readonly workflowId: string,
		private readonly triggers: ActiveWorkflowTriggers,
	) {}

	/** The JSON of every emitted item, in emit order. */
	get items(): Array<Record<string, unknown>> {
		return this.emitted.flatMap((items) => items.map((item) => item.json));
	}

	/** Deactivates the workflow as n8n does, which calls the trigger's `closeFunction`. */
	async deactivate(): Promise<void> {
		await this.triggers.remove(this.workflowId);
		await Promise.all(this.runs);
	}
}

/**
 * Activates a workflow. Each call uses its own `ActiveWorkflowTriggers`,
 * like a separate n8n process, so two calls with the same workflow ID stand
 * for one workflow active in two processes.
 */
export async function activateWorkflow(
	fixture: WorkflowFixture,
	credentials: TestCredentials,
	activation: WorkflowActivateMode = 'activate',
): Promise<ActiveWorkflow> {
	const triggers = new ActiveWorkflowTriggers(
		...(activeTriggersDependencies() as ConstructorParameters<typeof ActiveWorkflowTriggers>),
	);
	const workflow = toWorkflow(fixture, { active: true });
	const workflowId = workflow.id;
	const active = new ActiveWorkflow(workflowId, triggers);
	const additionalData = createAdditionalData(fixture, credentials, 'trigger');

	const getTriggerFunctions = (
		triggerWorkflow: Workflow,
		node: INode,
		data: IWorkflowExecuteAdditionalData,
		mode: WorkflowExecuteMode,
		activateMode: WorkflowActivateMode,
	): ITriggerFunctions =>
		new TriggerContext(
			triggerWorkflow,
			node,
			data,
			mode,
			activateMode,
			(emitted) => {
				active.emitted.push(emitted[0] ?? []);
				active.runs.push(runFromTrigger(fixture, credentials, node, emitted));
			},
			(error) => {
				active.errors.push(error);
			},
		);

	await triggers.addAllTriggers(
		workflowId,
		workflow,
		additionalData,
		'trigger',
		activation,
		getTriggerFunctions,
		() => {
			throw new Error('Poll triggers are not used in these tests.');
		},
	);
	return active;
}

/** Runs the workflow with the trigger's output, as n8n starts an execution for each emit. */
async function runFromTrigger(
	fixture: WorkflowFixture,
	credentials: TestCredentials,
	triggerNode: INode,
	data: INodeExecutionData[][],
): Promise<IRun> {
	const workflow = toWorkflow(fixture, { active: true });
	const runExecutionData = createRunExecutionData({
		executionData: {
			nodeExecutionStack: [{ node: triggerNode, data: { main: data }, source: null }],
		},
	});
	const additionalData = createAdditionalData(fixture, credentials, 'trigger');
	const execution = new WorkflowExecute(additionalData, 'trigger', runExecutionData);
	return await execution.processRunExecutionData(workflow);
}

/**
 * n8n-core's own copy of the dependency container. n8n-core ships its own
 * `@n8n/di`, and its services are registered only there.
 */
function n8nCoreContainer(): { get(type: unknown): unknown } {
	const diPath = require.resolve('@n8n/di', { paths: [dirname(require.resolve('n8n-core'))] });
	// eslint-disable-next-line @typescript-eslint/no-require-imports -- the path is only known at run time
	return (require(diPath) as { Container: { get(type: unknown): unknown } }).Container;
}

/** Dependencies of `ActiveWorkflowTriggers`, taken from n8n-core's container. */
function activeTriggersDependencies(): unknown[] {
	const types = Reflect.getMetadata?.('design:paramtypes', ActiveWorkflowTriggers) as
		| Array<new (...args: unknown[]) => unknown>
		| undefined;
	if (!types) {
		throw new Error(
			'ActiveWorkflowTriggers has no constructor metadata; import reflect-metadata first.',
		);
	}
	const container = n8nCoreContainer();
	return types.map((type) => container.get(type));
}

/** A manual run started by "listen for test event", and the means to stop it. */
export interface TestListening {
	/** Resolves with the run once the trigger emitted. */
	result: Promise<WorkflowRun>;
	/**
	 * Stops listening, as the editor's stop button does: n8n cancels the
	 * execution, which aborts it and so calls the trigger's `closeFunction`.
	 * The run itself never resolves then, because it still waits for the
	 * trigger's first event; n8n drops it the same way.
	 */
	stop(): void;
}

/** Starts a manual run of a workflow whose start node is the trigger. */
export function listenForTestEvent(
	fixture: WorkflowFixture,
	credentials: TestCredentials,
): TestListening {
	const workflow = toWorkflow(fixture);
	const trigger = fixture.nodes.find((node) => node.type.endsWith('Trigger'));
	if (!trigger) {
		throw new Error(`Workflow "${fixture.name}" has no trigger node.`);
	}
	const additionalData = createAdditionalData(fixture, credentials, 'manual');
	const execution = new WorkflowExecute(additionalData, 'manual');
	const running = execution.run({
		workflow,
		startNode: workflow.getNode(trigger.name) ?? undefined,
	});
	return {
		result: (running as Promise<IRun>).then((run) => new WorkflowRun(run)),
		stop: () => running.cancel(),
	};
}
