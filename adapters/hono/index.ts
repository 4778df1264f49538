/**
 * @module
 * eventide for Hono: `eventide()` is a sub-app to `app.route('/', …)`, and
 * `eventideMiddleware()` the same as middleware. Both answer under
 * `basePath` (default `/eventide`) and pass other requests on. The peer's
 * address (dev mode's loopback check) comes from @hono/node-server's
 * `c.env.incoming`; on other runtimes pass `remoteAddress`, e.g. with
 * Hono's `getConnInfo`: `(c) => getConnInfo(c).remote.address`.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono';
 * import { eventide } from 'eventide/adapters/hono';
 * const app = new Hono();
 * app.route('/', eventide(runtime, { token: process.env.EVENTIDE_TOKEN }));
 * ```
 */
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { toHandler, type HttpHandler, type HttpHandlerOptions, type HttpRuntime } from '../http/index.js';

export type { HttpHandler, HttpHandlerOptions } from '../http/index.js';

export interface HonoAdapterOptions extends HttpHandlerOptions {
  remoteAddress?: (c: Context) => string | undefined;
}

const nodeServerAddress = (c: Context): string | undefined =>
  (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket?.remoteAddress;

export function eventideMiddleware(target: HttpRuntime | HttpHandler, options: HonoAdapterOptions = {}): MiddlewareHandler {
  const handler = toHandler(target, options);
  const remoteAddress = options.remoteAddress ?? nodeServerAddress;
  return async (c, next) => {
    const req = c.req.raw;
    const response = await handler.handle({
      method: req.method,
      url: req.url,
      headers: Object.fromEntries(req.headers),
      body: req.body as AsyncIterable<Uint8Array> | null,
      remoteAddress: remoteAddress(c),
    });
    if (!response) return next();
    const { status, headers, stream } = response;
    if (!stream) return new Response(response.body ?? null, { status, headers });
    const aborted = new AbortController();
    req.signal.addEventListener('abort', () => aborted.abort(), { once: true });
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      start: (controller) =>
        stream(
          {
            // A client that stops reading is dropped (it resumes with Last-Event-ID), not buffered without bound.
            write: (chunk) =>
              (controller.desiredSize ?? 0) < -1024
                ? controller.error(new Error('slow client'))
                : controller.enqueue(encoder.encode(chunk)),
            end: () => controller.close(),
          },
          aborted.signal,
        ),
      cancel: () => aborted.abort(),
    });
    return new Response(body, { status, headers });
  };
}

export function eventide(target: HttpRuntime | HttpHandler, options: HonoAdapterOptions = {}): Hono {
  return new Hono().use(eventideMiddleware(target, options));
}
