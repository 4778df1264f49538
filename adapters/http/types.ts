/**
 * @module
 * The framework-free HTTP seam. An adapter turns its framework's request
 * into an {@link HttpRequest}, calls {@link HttpHandler.handle}, and writes
 * the {@link HttpResponse} back: a status, headers, and either a body or a
 * stream (Server-Sent Events). Nothing here knows about Express, Fastify,
 * Hono or node:http.
 */

/** A request as the handler sees it. Header names are lower-case. */
export interface HttpRequest {
  method: string;
  /** The path and query string as received, e.g. `/eventide/runs?status=failed` (an absolute URL is accepted too). */
  url: string;
  headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /**
   * The request body: bytes, text, or a byte stream (a node `IncomingMessage`
   * or a web `ReadableStream` both qualify). Streams are read only by routes
   * that take a body, and only up to `maxBodyBytes`.
   */
  body?: string | Uint8Array | AsyncIterable<Uint8Array> | null;
  /** The peer's IP address as the server socket saw it; dev mode refuses anything not loopback (and an absent one). */
  remoteAddress?: string | undefined;
}

/** Where a streaming response writes. */
export interface StreamSink {
  write(chunk: string): void;
  /** Ends the response (the handler is closing). */
  end(): void;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body?: string | Uint8Array;
  /**
   * Set instead of `body` for a streaming response: the adapter sends status
   * and headers, then calls `stream` once with a sink and a signal it aborts
   * when the client goes away.
   */
  stream?: (sink: StreamSink, signal: AbortSignal) => void;
}

export interface HttpHandler {
  /** Where the routes live, e.g. `/eventide`. */
  readonly basePath: string;
  /** Answers a request under `basePath`; resolves to `undefined` for any other path, so an adapter can fall through. */
  handle(request: HttpRequest): Promise<HttpResponse | undefined>;
  /** `/stream` connections open now. */
  readonly openStreams: number;
  /** Stops listening for run changes and ends every open stream. Does not stop the runtime. */
  close(): void;
}
