/**
 * @module
 * eventide's HTTP API and dashboard, framework-free. Adapters for node:http,
 * Express, Fastify and Hono (`eventide/adapters/*`) map their request and
 * response onto {@link createHttpHandler}; use it directly for any other
 * server.
 *
 * @example
 * ```ts
 * import { createHttpHandler } from 'eventide/http';
 * const handler = createHttpHandler(runtime, { token: process.env.EVENTIDE_TOKEN });
 * const res = await handler.handle({ method: 'GET', url: '/eventide/runs?status=failed', headers: { authorization: `Bearer ${token}` } });
 * ```
 */
export { createHttpHandler, toHandler } from './handler.js';
export type { FunctionView, HttpHandlerOptions, HttpRuntime } from './handler.js';
export type { HttpHandler, HttpRequest, HttpResponse, StreamSink } from './types.js';
export type { RunSummary, RunDetail, StepView, DeadLetterView } from './views.js';
export { isLoopbackAddress } from './auth.js';
export { fromNodeRequest, writeNodeResponse } from './node.js';
