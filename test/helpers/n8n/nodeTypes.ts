import type { IDataObject, INodeType, INodeTypes } from 'n8n-workflow';

import { WhatsAppAnalytics } from '../../../nodes/WhatsAppAnalytics/WhatsAppAnalytics.node';
import { WhatsAppQueue } from '../../../nodes/WhatsAppQueue/WhatsAppQueue.node';
import { WhatsAppQueueTrigger } from '../../../nodes/WhatsAppQueueTrigger/WhatsAppQueueTrigger.node';
import { FixtureItems, FixtureManualTrigger, FixtureSet } from './fixtureNodes';

/** Type-name prefix n8n gives the nodes of this package. */
export const PACKAGE_PREFIX = 'n8n-nodes-whatsapp-queue';

/** The node types that fixture workflows may use, by their n8n type name. */
export class TestNodeTypes implements INodeTypes {
	private readonly types: Record<string, INodeType> = {
		'fixture.manualTrigger': new FixtureManualTrigger(),
		'fixture.items': new FixtureItems(),
		'fixture.set': new FixtureSet(),
		[`${PACKAGE_PREFIX}.whatsAppQueue`]: new WhatsAppQueue(),
		[`${PACKAGE_PREFIX}.whatsAppAnalytics`]: new WhatsAppAnalytics(),
		[`${PACKAGE_PREFIX}.whatsAppQueueTrigger`]: new WhatsAppQueueTrigger(),
	};

	getByName(nodeType: string): INodeType {
		return this.getByNameAndVersion(nodeType);
	}

	getByNameAndVersion(nodeType: string): INodeType {
		const type = this.types[nodeType];
		if (!type) {
			throw new Error(`Unknown node type "${nodeType}" in a test workflow.`);
		}
		return type;
	}

	getKnownTypes(): IDataObject {
		return {};
	}
}
