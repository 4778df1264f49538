/**
 * @module
 * Reading a request body within a size limit and a deadline, and parsing it
 * as JSON, with errors that say what went wrong.
 */
import type { HttpRequest } from './types.js';

export class HttpError extends Error {
  override readonly name = 'HttpError' as const;
  readonly status: number;
  readonly code: string;
  readonly headers: Record<string, string>;
  readonly details: Record<string, unknown> | undefined;
  constructor(
    status: number,
    code: string,
    message: string,
    options: { headers?: Record<string, string>; details?: Record<string, unknown> } & ErrorOptions = {},
  ) {
    super(message, options);
    this.status = status;
    this.code = code;
    this.headers = options.headers ?? {};
    this.details = options.details;
  }
}

// Closing the connection after these is the only way to stop a client that keeps sending.
const tooLarge = (limit: number) =>
  new HttpError(413, 'BODY_TOO_LARGE', `request body is larger than ${limit} bytes (maxBodyBytes)`, { headers: { connection: 'close' } });
const tooSlow = (timeoutMs: number) =>
  new HttpError(408, 'BODY_TIMEOUT', `request body did not arrive within ${timeoutMs} ms (bodyTimeoutMs)`, {
    headers: { connection: 'close' },
  });

export interface BodyLimits {
  /** Bytes; past them → 413, without reading further. */
  maxBytes: number;
  /** The whole body must arrive within this many ms of the handler starting to read it, however it trickles (slowloris) → 408. */
  timeoutMs: number;
}

/** Reads a streamed body within `limits`, as bytes. */
async function readStream(body: AsyncIterable<Uint8Array | string>, limits: BodyLimits): Promise<Uint8Array> {
  const iterator = body[Symbol.asyncIterator]();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(tooSlow(limits.timeoutMs)), limits.timeoutMs);
  });
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const pending = iterator.next();
      // Left pending on a timeout; the stream errors or ends when the connection closes, and nobody is waiting then.
      pending.catch(() => {});
      const next = await Promise.race([pending, expired]);
      if (next.done) break;
      const c = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
      size += c.byteLength;
      if (size > limits.maxBytes) throw tooLarge(limits.maxBytes);
      chunks.push(c);
    }
  } catch (e) {
    // As a for-await loop would: the source stops reading (a node request stops pulling from its socket).
    iterator.return?.().catch(() => {});
    if (e instanceof HttpError) throw e;
    // The client went away or its connection broke mid-body (node's "aborted", ECONNRESET): its request failed, not the server.
    throw new HttpError(400, 'BODY_UNREADABLE', `request body could not be read: ${(e as Error)?.message ?? String(e)}`, {
      cause: e,
      headers: { connection: 'close' },
    });
  } finally {
    clearTimeout(timer);
  }
  return Buffer.concat(chunks, size);
}

/** Reads the whole body as UTF-8 text; throws 413 past `maxBytes`, 408 past `timeoutMs`, and 400 on invalid UTF-8 and on a stream that fails. */
export async function readText(request: HttpRequest, limits: BodyLimits, contentLength: string | undefined): Promise<string> {
  const limit = limits.maxBytes;
  if (contentLength !== undefined && /^\d+$/.test(contentLength) && Number(contentLength) > limit) throw tooLarge(limit);
  const { body } = request;
  let bytes: Uint8Array;
  if (body === undefined || body === null) return '';
  if (typeof body === 'string') {
    if (Buffer.byteLength(body, 'utf8') > limit) throw tooLarge(limit);
    return body;
  }
  if (body instanceof Uint8Array) bytes = body;
  else bytes = await readStream(body, limits);
  if (bytes.byteLength > limit) throw tooLarge(limit);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new HttpError(400, 'INVALID_UTF8', 'request body is not valid UTF-8 text');
  }
}

/** Parses a JSON body; an empty body is `undefined`. */
export function parseJson(text: string): unknown {
  if (text.trim().length === 0) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new HttpError(400, 'MALFORMED_JSON', `request body is not valid JSON: ${(e as Error).message}`);
  }
}
