/**
 * @module
 * eventide as Express middleware: it answers under `basePath` (default
 * `/eventide`) and calls `next()` for everything else, so `app.use(...)` it
 * next to your own routes. Mount it before a global `express.json()`, or
 * that parser's own limits and errors apply to eventide's routes too.
 *
 * @example
 * ```ts
 * import express from 'express';
 * import { eventide } from 'eventide/adapters/express';
 * const app = express();
 * app.use(eventide(runtime, { token: process.env.EVENTIDE_TOKEN }));
 * ```
 */
import type { RequestHandler } from 'express';
import {
  fromNodeRequest,
  toHandler,
  writeNodeResponse,
  type HttpHandler,
  type HttpHandlerOptions,
  type HttpRequest,
  type HttpRuntime,
} from '../http/index.js';

export type { HttpHandler, HttpHandlerOptions } from '../http/index.js';

export function eventide(target: HttpRuntime | HttpHandler, options?: HttpHandlerOptions): RequestHandler {
  const handler = toHandler(target, options);
  return (req, res, next) => {
    // A body parser that ran before us has consumed the stream: use what it parsed.
    const parsed: unknown = req.body;
    const body: HttpRequest['body'] =
      parsed === undefined ? req : typeof parsed === 'string' || parsed instanceof Uint8Array ? parsed : JSON.stringify(parsed);
    handler
      .handle(fromNodeRequest(req, req.originalUrl, body))
      .then((response) => (response ? writeNodeResponse(res, response) : next()), next);
  };
}
