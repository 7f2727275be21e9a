import { connect, type Socket } from 'node:net';

/** How a slow connection ended. */
export interface SlowSenderResult {
	/** From the connection until the server closed it, in ms. */
	closedAfterMs: number;
	/** Bytes written before the close. */
	bytesSent: number;
	/** Whatever the server wrote back, such as a 408 response. */
	response: string;
}

/**
 * A client that writes an HTTP request over a raw socket a few bytes at a
 * time, as a slowloris attack does. `fastBytes` go out at once, the rest one
 * byte every `intervalMs`. It stops writing when the server closes the
 * connection, and `dispose()` ends it otherwise.
 */
export class SlowSender {
	readonly closed: Promise<SlowSenderResult>;
	/** Set once the server closed the connection. */
	result?: SlowSenderResult;
	private readonly socket: Socket;
	private readonly timer: NodeJS.Timeout;

	constructor(port: number, request: string, options: { intervalMs: number; fastBytes?: number }) {
		const startedAt = Date.now();
		const bytes = Buffer.from(request);
		let sent = 0;
		let response = '';
		this.socket = connect({ host: '127.0.0.1', port });
		this.socket.on('error', () => undefined);
		this.socket.on('data', (chunk) => {
			response += chunk.toString();
		});
		this.socket.once('connect', () => {
			sent = options.fastBytes ?? 0;
			this.socket.write(bytes.subarray(0, sent));
		});
		this.timer = setInterval(() => {
			if (sent < bytes.length && this.socket.writable) {
				this.socket.write(bytes.subarray(sent, sent + 1));
				sent += 1;
			}
		}, options.intervalMs);
		this.closed = new Promise((resolve) => {
			this.socket.once('close', () => {
				clearInterval(this.timer);
				this.result = { closedAfterMs: Date.now() - startedAt, bytesSent: sent, response };
				resolve(this.result);
			});
		});
	}

	/** Stops writing and closes the connection if the server has not. */
	dispose(): void {
		clearInterval(this.timer);
		this.socket.destroy();
	}
}
