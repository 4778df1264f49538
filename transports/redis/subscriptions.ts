/**
 * One pub/sub connection per transport for the wake-ups consumers listen for
 * (a delayed publish is due). Opened on first use: a producer pays for no
 * subscriber connection.
 */
import { openSideConnection, type RedisClient } from './connection.js';

type Listener = (data: Buffer) => void;

export class Subscriptions {
  private conn: RedisClient | undefined;
  private connecting: Promise<RedisClient> | undefined;
  private readonly channels = new Map<string, { listeners: Set<Listener>; ready: Promise<unknown> }>();

  constructor(private readonly cmd: RedisClient) {}

  private connection(): Promise<RedisClient> {
    if (this.conn) return Promise.resolve(this.conn);
    return (this.connecting ??= (async () => {
      const conn = openSideConnection(this.cmd, 'eventide:sub');
      conn.on('messageBuffer', (channel: Buffer, message: Buffer) => {
        const ch = this.channels.get(channel.toString());
        if (!ch) return;
        for (const listener of ch.listeners) {
          try {
            listener(message);
          } catch {
            // A listener's failure is its own; the others still hear the message.
          }
        }
      });
      try {
        await conn.connect();
      } catch (err) {
        conn.disconnect();
        this.connecting = undefined;
        throw err;
      }
      this.conn = conn;
      return conn;
    })());
  }

  /** Resolves once Redis confirmed the subscription, so nothing published afterwards is missed. */
  async add(channel: string, listener: Listener): Promise<() => Promise<void>> {
    let ch = this.channels.get(channel);
    if (!ch) {
      ch = { listeners: new Set(), ready: this.connection().then((conn) => conn.subscribe(channel)) };
      this.channels.set(channel, ch);
    }
    ch.listeners.add(listener);
    try {
      await ch.ready;
    } catch (err) {
      ch.listeners.delete(listener);
      // Forget the failed subscription so the next watch tries again.
      if (this.channels.get(channel) === ch) this.channels.delete(channel);
      throw err;
    }
    return async () => {
      // Removed locally first: nothing reaches the listener after this returns, whatever the server does.
      const current = this.channels.get(channel);
      if (!current || !current.listeners.delete(listener) || current.listeners.size > 0) return;
      this.channels.delete(channel);
      if (this.conn) await this.conn.unsubscribe(channel).catch(() => undefined);
    };
  }

  async close(): Promise<void> {
    this.channels.clear();
    const conn = this.conn ?? (this.connecting ? await this.connecting.catch(() => undefined) : undefined);
    this.conn = this.connecting = undefined;
    conn?.disconnect();
  }
}
