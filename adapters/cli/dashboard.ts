/**
 * @module
 * `eventide dashboard`: the HTTP API and dashboard of adapters/http, served
 * by this process for a namespace, next to (not inside) the service that
 * runs its functions — as bull-board does for queues.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHttpHandler, isLoopbackAddress } from '../http/index.js';
import { eventideListener } from '../node/index.js';
import { UsageError } from './args.js';
import { openRuntime, outsideHttpRuntime, type Connection } from './outside.js';

export interface DashboardOptions {
  host: string;
  port: number;
  token: string | undefined;
  print: (line: string) => void;
  /** Resolves when the dashboard should close (SIGINT, SIGTERM). */
  closed: Promise<unknown>;
}

export async function serveDashboard(connection: Connection, options: DashboardOptions): Promise<void> {
  const loopback = options.host === 'localhost' || isLoopbackAddress(options.host);
  if (!options.token && !loopback)
    throw new UsageError(`a dashboard on ${options.host} needs --token or EVENTIDE_TOKEN; without one it answers this machine only`);
  const runtime = openRuntime(connection);
  // Started, so that run-state changes made by the service's workers reach the live view.
  await runtime.start();
  try {
    // The routes sit at the root: this server serves nothing else.
    const handler = createHttpHandler(await outsideHttpRuntime(connection, runtime), {
      basePath: '',
      ...(options.token ? { token: options.token } : { dev: true }),
    });
    const server = createServer(eventideListener(handler));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const host = options.host.includes(':') ? `[${options.host}]` : options.host;
    options.print(`eventide dashboard for namespace "${connection.namespace}" on ${redact(connection.transport)}: http://${host}:${port}/`);
    options.print(
      options.token ? 'API calls need Authorization: Bearer <token> (the page asks for it)' : 'no token: answering this machine only',
    );
    await options.closed;
    handler.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  } finally {
    await runtime.stop({ timeoutMs: 1_000 });
  }
}

/** A transport URL as printed: without its password. */
export function redact(url: string): string {
  return url.replace(/\/\/([^/@]*)@/, (_m, auth: string) => `//${auth.includes(':') ? `${auth.split(':')[0]}:***` : '***'}@`);
}
