/**
 * @module
 * eventide on plain node:http. `eventideListener` answers everything itself
 * (404 outside `basePath`); `withEventide` serves eventide's routes and hands
 * every other request to your app's listener.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { withEventide } from 'eventide/adapters/node';
 * createServer(withEventide(runtime, { token: process.env.EVENTIDE_TOKEN }, appListener)).listen(3000);
 * ```
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import {
  fromNodeRequest,
  toHandler,
  writeNodeResponse,
  type HttpHandler,
  type HttpHandlerOptions,
  type HttpRuntime,
} from '../http/index.js';

export type { HttpHandler, HttpHandlerOptions } from '../http/index.js';

function listen(handler: HttpHandler, fallback: (req: IncomingMessage, res: ServerResponse) => void): RequestListener {
  return (req, res) => {
    handler.handle(fromNodeRequest(req)).then(
      (response) => (response ? writeNodeResponse(res, response) : fallback(req, res)),
      () => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('internal error');
      },
    );
  };
}

/** A request listener for a server that serves only eventide. Pass a runtime, or a handler you made (to `close()` it yourself). */
export function eventideListener(target: HttpRuntime | HttpHandler, options?: HttpHandlerOptions): RequestListener {
  return listen(toHandler(target, options), (_req, res) => {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found');
  });
}

/** Serves eventide under its `basePath` and passes every other request to `app`. */
export function withEventide(
  target: HttpRuntime | HttpHandler,
  options: HttpHandlerOptions | undefined,
  app: RequestListener,
): RequestListener {
  return listen(toHandler(target, options), (req, res) => void app(req, res));
}
