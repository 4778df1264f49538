/**
 * @module
 * Reading a request body with a size limit, and parsing it as JSON, with
 * errors that say what went wrong.
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

const tooLarge = (limit: number) =>
  new HttpError(413, 'BODY_TOO_LARGE', `request body is larger than ${limit} bytes (maxBodyBytes)`, { headers: { connection: 'close' } });

/** Reads the whole body as UTF-8 text; throws 413 past `limit` bytes (without reading further), 400 on invalid UTF-8 and on a stream that fails. */
export async function readText(request: HttpRequest, limit: number, contentLength: string | undefined): Promise<string> {
  if (contentLength !== undefined && /^\d+$/.test(contentLength) && Number(contentLength) > limit) throw tooLarge(limit);
  const { body } = request;
  let bytes: Uint8Array;
  if (body === undefined || body === null) return '';
  if (typeof body === 'string') {
    if (Buffer.byteLength(body, 'utf8') > limit) throw tooLarge(limit);
    return body;
  }
  if (body instanceof Uint8Array) bytes = body;
  else {
    const chunks: Uint8Array[] = [];
    let size = 0;
    try {
      for await (const chunk of body) {
        const c = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        size += c.byteLength;
        if (size > limit) throw tooLarge(limit);
        chunks.push(c);
      }
    } catch (e) {
      if (e instanceof HttpError) throw e;
      // The client went away or its connection broke mid-body (node's "aborted", ECONNRESET): its request failed, not the server.
      throw new HttpError(400, 'BODY_UNREADABLE', `request body could not be read: ${(e as Error)?.message ?? String(e)}`, {
        cause: e,
        headers: { connection: 'close' },
      });
    }
    bytes = Buffer.concat(chunks, size);
  }
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
