/**
 * Broadcast channels as JetStream streams with a short max age (see
 * setup.ts), so a watch can resume after a position: a broadcast's position
 * is its stream sequence, and a watch is an ordered consumer from the
 * sequence after its own, which replays what the stream still holds and then
 * goes on live, in one cursor (no junction to cross). The ordered consumer
 * recreates itself from its last sequence after a reconnect or a server
 * restart; sequences are consecutive, so a jump is a gap the watcher is told
 * of (the window aged past it meanwhile).
 */
import { headers, nuid, type Consumer, type ConsumerMessages, type JetStreamManager, type NatsConnection } from 'nats';
import { settledWithin } from '../../core/lib/bounded.js';
import type { WatchOptions } from '../../core/transport.js';
import { WatchCursor } from '../../core/lib/watch-cursor.js';
import type { Addresses } from './addresses.js';
import { ackError, readAck, requestError } from './errors.js';
import { encodeName, MSG_ID, type Names } from './names.js';
import type { Publisher } from './publisher.js';
import { channelStreamConfig, ensureStream, type BroadcastWindow, type Retention } from './setup.js';

export interface BroadcastDeps {
  nc(): NatsConnection;
  jsm(): JetStreamManager;
  publisher(): Publisher;
  names: Names;
  addresses: Addresses;
  retention: Retention;
  window: BroadcastWindow;
  timeoutMs: number;
}

type Listener = (data: Uint8Array, position: string) => void;

export class NatsBroadcasts {
  private readonly ready = new Map<string, Promise<void>>();
  private readonly watches = new Set<() => Promise<void>>();

  constructor(private readonly deps: BroadcastDeps) {}

  /** Channels used so far (their streams are made again when the server lost them). */
  knownChannels(): IterableIterator<string> {
    return this.ready.keys();
  }

  /** Makes (or brings in line) the stream of `channel`. */
  ensure(channel: string, again = false): Promise<void> {
    let ready = this.ready.get(channel);
    if (ready === undefined || again) {
      const { names, retention, window } = this.deps;
      ready = ensureStream(this.deps.jsm(), channelStreamConfig(names, channel, retention, window)).catch((e: unknown) => {
        if (this.ready.get(channel) === ready) this.ready.delete(channel);
        throw requestError(e, `creating the stream of broadcast channel "${channel}"`, this.deps.timeoutMs);
      });
      this.ready.set(channel, ready);
    }
    return ready;
  }

  async broadcast(channel: string, data: Uint8Array, topic?: string): Promise<void> {
    const address = this.deps.addresses.channel(channel);
    await this.ensure(channel);
    const h = headers();
    // A broadcast sent again after a reconnect is absorbed by the stream's duplicate window.
    h.set(MSG_ID, nuid.next());
    const subject = topic === undefined ? address : `${address}.${encodeName(topic)}`;
    const ack = readAck(await this.deps.publisher().request(subject, data, h, `broadcast on "${channel}"`));
    if (ack.error) throw ackError(ack, `broadcast on "${channel}"`);
  }

  async watch(
    channel: string,
    listener: Listener,
    options: WatchOptions | undefined,
  ): Promise<{ position: number; stop: () => Promise<void> }> {
    this.deps.addresses.channel(channel);
    await this.ensure(channel);
    const stream = this.deps.names.channelStream(channel);
    const what = `watch on "${channel}"`;
    let consumer: Consumer;
    let messages: ConsumerMessages;
    const cursor = new WatchCursor(options, true);
    try {
      const { state } = await this.deps.jsm().streams.info(stream);
      cursor.begin(state.last_seq, state.messages > 0 ? state.first_seq - 1 : state.last_seq);
      consumer = await this.deps
        .nc()
        .jetstream()
        .consumers.get(stream, { opt_start_seq: cursor.position + 1 });
      messages = await consumer.consume({
        max_messages: 256,
        callback: (m) => {
          if (!cursor.next(m.seq)) return;
          try {
            listener(m.data, String(m.seq));
          } catch {
            // A watcher's failure is its own.
          }
        },
      });
    } catch (e) {
      throw requestError(e, what, this.deps.timeoutMs);
    }
    const position = cursor.position;
    let stopped: Promise<void> | undefined;
    const stop = () =>
      (stopped ??= (async () => {
        this.watches.delete(stop);
        await settledWithin(
          messages.close().then(() => consumer.delete()),
          this.deps.timeoutMs,
        ).catch(() => undefined);
      })());
    this.watches.add(stop);
    return { position, stop };
  }

  /** Stops every watch (the transport is closing). */
  async close(): Promise<void> {
    await Promise.all([...this.watches].map((stop) => stop()));
  }
}
