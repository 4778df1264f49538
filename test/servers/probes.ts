/**
 * Asks whether a server answers, over a plain socket and with a deadline on
 * every attempt, so a probe can never be the thing that hangs. The Redis and
 * NATS probes also tell which server answered, because on a shared machine
 * the port a test chose may have been taken by someone else's server.
 */
import { connect } from 'node:net';

/**
 * Connects, writes `send`, and hands what arrives to `done` until it returns
 * a verdict; `done` is asked once on connecting too, before anything arrived.
 */
function converse(
  host: string,
  port: number,
  send: string,
  done: (received: string) => boolean | undefined,
  timeoutMs: number,
): Promise<boolean> {
  return new Promise((resolve) => {
    let received = '';
    const socket = connect({ host, port });
    const finish = (verdict: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(verdict);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.once('error', () => finish(false));
    socket.once('close', () => finish(false));
    socket.once('connect', () => {
      const verdict = done('');
      if (verdict !== undefined) return finish(verdict);
      if (send) socket.write(send);
    });
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('utf8');
      const verdict = done(received);
      if (verdict !== undefined) finish(verdict);
    });
  });
}

/** Something accepts connections on host:port. */
export function tcpAnswers(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return converse(host, port, '', () => true, timeoutMs);
}

/**
 * Redis on `port` answers PING and is the process `pid` (INFO's process_id).
 * A server still loading its data answers PING with an error: not ready yet.
 */
export function redisAnswersAs(port: number, pid: number | undefined, timeoutMs = 1_000): Promise<boolean> {
  return converse(
    '127.0.0.1',
    port,
    'PING\r\nINFO server\r\n',
    (received) => {
      if (received === '') return undefined;
      if (received.startsWith('-')) return false;
      const id = /process_id:(\d+)\r\n/.exec(received);
      if (!id) return undefined;
      return received.startsWith('+PONG') && Number(id[1]) === pid;
    },
    timeoutMs,
  );
}

/** nats-server on `port` greets with its INFO, and is the one started with `-n name`. */
export function natsAnswersAs(port: number, name: string, timeoutMs = 1_000): Promise<boolean> {
  return converse(
    '127.0.0.1',
    port,
    '',
    (received) => {
      const line = /^INFO (\{.*\}) *\r\n/.exec(received);
      if (!line) return undefined;
      try {
        return (JSON.parse(line[1]) as { server_name?: string }).server_name === name;
      } catch {
        return false;
      }
    },
    timeoutMs,
  );
}
