/**
 * Turning nats.js failures into TransportErrors that say what happened in
 * eventide's terms (which publish, which timeout, what to check), so a
 * caller never has to know NatsError codes.
 */
import type { Msg } from 'nats';
import { TransportError } from '../../core/transport.js';

/** JetStream API error code for "wrong last sequence": a compare-and-set lost. */
export const WRONG_LAST_SEQUENCE = 10071;

export interface PubAck {
  stream: string;
  seq: number;
  duplicate?: boolean;
  error?: { code: number; err_code?: number; description: string };
}

const text = new TextDecoder();

/** Reads a JetStream publish acknowledgement; an API error comes back in `error`, not thrown. */
export function readAck(msg: Msg): PubAck {
  return JSON.parse(text.decode(msg.data)) as PubAck;
}

export function ackError(ack: PubAck, what: string): TransportError {
  const e = ack.error;
  return new TransportError(
    `NATS transport: ${what} refused by JetStream: ${e?.description ?? 'no stream in the acknowledgement'} (${e?.err_code ?? e?.code ?? 'invalid ack'})`,
    {
      code: e?.err_code === 10077 || /maximum/i.test(e?.description ?? '') ? 'QUEUE_FULL' : 'REFUSED',
    },
  );
}

export function notConnected(): TransportError {
  return new TransportError('NATS transport is not connected: call connect() first (or it was closed)', { code: 'CLOSED' });
}

/** Maps a failed request (timeout, no responders, closed connection) to a TransportError. */
export function requestError(err: unknown, what: string, timeoutMs: number): TransportError {
  if (err instanceof TransportError) return err;
  const code = (err as { code?: string })?.code;
  const message = (err as Error)?.message ?? String(err);
  if (code === 'TIMEOUT') {
    return new TransportError(
      `NATS transport: ${what} was not acknowledged within ${timeoutMs} ms; the server is down, unreachable or overloaded (the client keeps reconnecting)`,
      { cause: err, code: 'TIMEOUT' },
    );
  }
  if (code === '503') {
    return new TransportError(
      `NATS transport: ${what} found no JetStream stream to take it; was the namespace destroyed or JetStream disabled?`,
      { cause: err, code: 'NO_STREAM' },
    );
  }
  if (code === 'CONNECTION_CLOSED' || code === 'CONNECTION_DRAINING') {
    return new TransportError(`NATS transport: ${what} failed: the connection is closed`, { cause: err, code: 'CLOSED' });
  }
  return new TransportError(`NATS transport: ${what} failed: ${message}`, { cause: err, code: 'NATS' });
}
