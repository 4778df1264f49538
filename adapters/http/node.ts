/**
 * @module
 * The two halves every node:http-based adapter shares (node, Express,
 * Fastify): an `IncomingMessage` as an {@link HttpRequest}, and an
 * {@link HttpResponse} written to a `ServerResponse`, streams included.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpRequest, HttpResponse } from './types.js';

/** `url` defaults to `req.url`; Express passes `originalUrl` so a mount path is kept. */
export function fromNodeRequest(req: IncomingMessage, url = req.url ?? '/', body: HttpRequest['body'] = req): HttpRequest {
  return { method: req.method ?? 'GET', url, headers: req.headers, body, remoteAddress: req.socket.remoteAddress };
}

const maxBufferedBytes = 1024 * 1024;

export function writeNodeResponse(res: ServerResponse, response: HttpResponse): void {
  res.writeHead(response.status, response.headers);
  if (!response.stream) {
    res.end(response.body);
    return;
  }
  res.flushHeaders();
  const aborted = new AbortController();
  res.on('close', () => aborted.abort());
  const write = (chunk: string) => {
    // A client that stops reading is dropped rather than buffered without bound; it resumes with Last-Event-ID.
    if (res.writableLength > maxBufferedBytes) res.destroy();
    else res.write(chunk);
  };
  response.stream({ write, end: () => res.end() }, aborted.signal);
}
