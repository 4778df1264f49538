/**
 * Publishing: the publishes to one subject made in one tick travel as one
 * script call (see TickBatch) that deduplicates, enqueues or schedules, and
 * trims the stream now and then; and the connection they travel on.
 */
import { randomUUID } from 'node:crypto';
import type { PublishOptions, PublishResult } from '../../core/transport.js';
import { closeConnection, transportError } from './connection.js';
import type { Keys } from './keys.js';
import { Published } from './scripts/codes.js';
import type { ScriptedRedis } from './scripts/index.js';
import { packItems } from './scripts/items.js';
import { asBuffer } from './store.js';
import { TickBatch } from './tick-batch.js';

export interface PublishSettings {
  commandTimeoutMs: number;
  /** 0: dedup off. */
  dedupWindowMs: number;
  /** 0: history unbounded. */
  maxLen: number;
}

interface Outgoing {
  data: Buffer;
  /** '' when none. */
  msgId: string;
  delay: number;
  /** Dedup window in ms; 0 for none. */
  window: number;
}

/** How far a stream may grow past `maxLen` before a trim is tried: about 1% of the cap (at most 256 entries), so one append in many pays for it. */
export function trimSlackOf(maxLen: number): number {
  return Math.max(1, Math.min(256, Math.floor(maxLen / 100)));
}

const DUPLICATE: PublishResult = Object.freeze({ duplicate: true });
const ACCEPTED: PublishResult = Object.freeze({ duplicate: false });

export class Publisher {
  /**
   * Publishes of a process that also consumes go on a connection of their own, so a `send` in a
   * request handler never queues behind the worker's record writes and acks on the command
   * connection (head-of-line blocking measured 5–20 ms per send under load).
   */
  private pub: ScriptedRedis | undefined;
  private readonly batches = new Map<string, TickBatch<Outgoing, number>>();
  private readonly trimSlack: number;
  private sinceTrimCheck = 0;

  constructor(
    private readonly cmd: ScriptedRedis,
    private readonly keys: Keys,
    private readonly settings: PublishSettings,
    /** A delayed publish was accepted: consumers of this process should look for it when it is due. */
    private readonly onDelayed: (wakeName: string, delayMs: number) => void,
  ) {
    this.trimSlack = trimSlackOf(settings.maxLen);
  }

  /** From now on, publish on a connection of its own (see `pub`) that `open` makes. */
  useOwnConnection(open: () => ScriptedRedis): void {
    if (this.pub) return;
    this.pub = open();
    // Connect now rather than on the first send; a failure here shows up on that send instead.
    this.pub.connect().catch(() => undefined);
  }

  async close(): Promise<void> {
    const pub = this.pub;
    this.pub = undefined;
    if (pub) await closeConnection(pub);
  }

  publish(subject: string, data: Uint8Array, options?: PublishOptions): Promise<PublishResult> {
    const k = this.keys.subject(subject);
    const delay = options?.delayMs && options.delayMs > 0 ? Math.ceil(options.delayMs) : 0;
    let msgId = options?.msgId;
    // A fresh id has nothing to meet in the window; a copy ioredis sends again after a lost reply is the core's to spot.
    const dedup = msgId !== undefined && this.settings.dedupWindowMs > 0 && !options?.freshId;
    // A delayed message waits outside the stream, so it needs an id of its own before it has an entry id.
    if (msgId === undefined && delay > 0) msgId = randomUUID();
    const result = this.batch(subject)
      .add({ data: asBuffer(data), msgId: msgId ?? '', delay, window: dedup ? this.settings.dedupWindowMs : 0 })
      .then(
        (r) => (r === Published.duplicate ? DUPLICATE : ACCEPTED),
        (err) => {
          throw transportError(err, `publish to ${JSON.stringify(subject)}`, this.settings.commandTimeoutMs);
        },
      );
    if (delay > 0)
      void result.then(
        () => this.onDelayed(k.wakeName, delay),
        () => {},
      );
    return result;
  }

  /** Publishes to one subject made in one tick travel as one script call (see TickBatch). */
  private batch(subject: string): TickBatch<Outgoing, number> {
    let batch = this.batches.get(subject);
    if (batch) return batch;
    const k = this.keys.subject(subject);
    const { maxLen } = this.settings;
    batch = new TickBatch((items) => {
      // A process that also consumes publishes on its own connection (see `pub`).
      const conn = this.pub ?? this.cmd;
      // The stream may grow past maxLen by the slack before a trim is worth it, so only every slack-th publish looks.
      this.sinceTrimCheck += items.length;
      const check = maxLen > 0 && this.sinceTrimCheck >= this.trimSlack;
      if (check) this.sinceTrimCheck = 0;
      const lone = items.length === 1 ? items[0] : undefined;
      if (lone && lone.delay === 0 && !check) {
        // Without a marker to set there is nothing to make atomic: a plain XADD (measured alone, it woke a blocked reader ~50 µs sooner than the script).
        if (lone.window === 0)
          return (lone.msgId ? conn.xadd(k.stream, '*', 'i', lone.msgId, 'd', lone.data) : conn.xadd(k.stream, '*', 'd', lone.data)).then(
            () => [Published.accepted],
          );
        return conn.eventidePublishOne(k.stream, k.dedupPrefix + lone.msgId, lone.data, lone.msgId, lone.window).then((r) => [r]);
      }
      const args: (string | Buffer | number)[] = [items.length + 3, k.stream, k.delayed, k.trimWait];
      const values: (string | Buffer)[] = [];
      for (const m of items) {
        args.push(m.window > 0 ? k.dedupPrefix + m.msgId : k.stream);
        values.push(m.data, m.msgId, String(m.delay), String(m.window));
      }
      args.push(check ? maxLen : '', this.trimSlack, this.keys.wake, k.wakeName, packItems(values));
      return conn.eventidePublish(...args);
    });
    this.batches.set(subject, batch);
    return batch;
  }
}
