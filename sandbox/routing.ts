/**
 * Request routing of the sandbox: which Evolution route a method and path
 * name, and the JSON body parsing of those routes.
 */

import { isSendRoute, type SendRouteName } from './sendRoutes';

/** A route the request path names. */
export type RouteMatch =
	| { kind: 'send'; route: SendRouteName; instance: string }
	| {
			kind: 'whatsappNumbers' | 'connectionState' | 'webhookSet' | 'webhookFind';
			instance: string;
	  };

/** Finds the Evolution route of a method and path, or undefined for any other path. */
export function matchRoute(method: string, path: string): RouteMatch | undefined {
	const segments = path.split('/').slice(1);
	if (segments.length !== 3 || segments[2] === '') {
		return undefined;
	}
	let instance: string;
	try {
		instance = decodeURIComponent(segments[2]);
	} catch {
		return undefined;
	}
	const [group, name] = segments;

	if (method === 'POST' && group === 'message' && isSendRoute(name)) {
		return { kind: 'send', route: name, instance };
	}
	const route = `${method} /${group}/${name}`;
	const kinds: Record<string, Exclude<RouteMatch['kind'], 'send'>> = {
		'POST /chat/whatsappNumbers': 'whatsappNumbers',
		'GET /instance/connectionState': 'connectionState',
		'POST /webhook/set': 'webhookSet',
		'GET /webhook/find': 'webhookFind',
	};
	const kind = kinds[route];
	return kind === undefined ? undefined : { kind, instance };
}

/** Parses a JSON body. An empty body gives `{}`, and invalid JSON returns the SyntaxError. */
export function parseJson(text: string): unknown {
	if (text.trim() === '') {
		return {};
	}
	try {
		return JSON.parse(text) as unknown;
	} catch (error) {
		return error as SyntaxError;
	}
}
