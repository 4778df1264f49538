/**
 * @module
 * eventide as a Fastify plugin: routes under `basePath` (default
 * `/eventide`). Register it without a `prefix` (set `basePath` instead). In
 * its own encapsulated context it replaces Fastify's body parsers, so the
 * core handler reads the raw body and applies its own size limit and errors.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify';
 * import { eventide } from 'eventide/adapters/fastify';
 * const app = Fastify();
 * await app.register(eventide(runtime, { token: process.env.EVENTIDE_TOKEN }));
 * ```
 */
import type { FastifyPluginCallback, RouteHandlerMethod } from 'fastify';
import {
  fromNodeRequest,
  toHandler,
  writeNodeResponse,
  type HttpHandler,
  type HttpHandlerOptions,
  type HttpRuntime,
} from '../http/index.js';

export type { HttpHandler, HttpHandlerOptions } from '../http/index.js';

export function eventide(target: HttpRuntime | HttpHandler, options?: HttpHandlerOptions): FastifyPluginCallback {
  const handler = toHandler(target, options);
  return (app, _opts, done) => {
    app.removeAllContentTypeParsers();
    // Leave the body unread: the handler streams it from request.raw with its own limit.
    app.addContentTypeParser('*', (_request, _payload, parsed) => parsed(null));
    const route: RouteHandlerMethod = async (request, reply) => {
      const response = await handler.handle(fromNodeRequest(request.raw));
      if (!response) return reply.callNotFound();
      reply.hijack();
      writeNodeResponse(reply.raw, response);
    };
    app.all(handler.basePath || '/', route);
    app.all(`${handler.basePath}/*`, route);
    done();
  };
}
