/**
 * A consumer's blocking read: one XREADGROUP over the subject stream and the
 * group's retry stream, on a connection of its own (a blocked connection
 * serves nothing else), asking for no more entries than the consumer can
 * take. A stop unblocks it at once (CLIENT UNBLOCK) rather than waiting out
 * the block.
 */
import { settledWithin } from '../../core/lib/bounded.js';
import { closeConnection, isCluster, openSideConnection } from './connection.js';
import type { GroupKeys, SubjectKeys } from './keys.js';
import type { ScriptedRedis } from './scripts/index.js';
import { nextBackoff, type StreamReply } from './streams.js';

/** What the read needs from its consumer. */
export interface ReadTarget {
  /** Entries to ask for now; none (0 or less) waits for `slotFreed` first. */
  wanted(): number;
  /** Resolves once a slot frees, or the consumer stops. */
  slotFreed(): Promise<void>;
  accept(reply: NonNullable<StreamReply>): void;
  /** The streams or the group vanished (namespace destroyed, Redis restarted without persistence): recreate them. */
  ensureGroups(): Promise<unknown>;
  report(err: unknown, what: string): void;
}

const noop = () => {};
/** CLIENT SETNAME refuses spaces and newlines. */
const segmentName = (s: string) => s.replace(/[^\x21-\x7e]/g, '_');
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class GroupReader {
  private conn: ScriptedRedis | undefined;
  /** CLIENT ID of `conn`, for CLIENT UNBLOCK. */
  private id: number | undefined;
  private idStale = true;
  private loop: Promise<void> | undefined;
  private stopping = false;

  constructor(
    private readonly cmd: ScriptedRedis,
    private readonly subjectKeys: SubjectKeys,
    private readonly groupKeys: GroupKeys,
    private readonly group: string,
    /** The consumer's name in the group. */
    private readonly consumer: string,
    /** Longest block; a stop does not wait for it. */
    private readonly blockMs: number,
    private readonly target: ReadTarget,
  ) {}

  /** Connects and starts reading; rejects with what ioredis threw when it cannot connect. */
  async start(): Promise<void> {
    const conn = openSideConnection(this.cmd, `eventide:${segmentName(this.group)}`, this.blockMs);
    // Client ids restart with the server: forget ours on every (re)connect so a stop never unblocks someone else's connection.
    conn.on('ready', () => {
      this.idStale = true;
      this.id = undefined;
    });
    try {
      await conn.connect();
    } catch (err) {
      conn.disconnect();
      throw err;
    }
    this.conn = conn;
    this.loop = this.read(conn);
  }

  private async read(conn: ScriptedRedis): Promise<void> {
    const { stream } = this.subjectKeys;
    const { retryStream } = this.groupKeys;
    let backoff = 0;
    while (!this.stopping) {
      const want = this.target.wanted();
      if (want <= 0) {
        await this.target.slotFreed();
        continue;
      }
      let reply: StreamReply;
      try {
        // On a cluster CLIENT ID would go to any node, not the one this read blocks on: a stop disconnects instead.
        if (this.idStale && !isCluster(conn)) {
          this.idStale = false;
          this.id = await conn.client('ID');
        }
        reply = (await conn.callBuffer(
          'XREADGROUP',
          'GROUP',
          this.group,
          this.consumer,
          'COUNT',
          want,
          'BLOCK',
          this.blockMs,
          'STREAMS',
          stream,
          retryStream,
          '>',
          '>',
        )) as StreamReply;
        backoff = 0;
      } catch (err) {
        if (this.stopping) break;
        const message = (err as Error).message ?? '';
        if (message.includes('NOGROUP')) await this.target.ensureGroups().catch(noop);
        else {
          this.idStale = true;
          this.target.report(err, 'read');
          await sleep((backoff = nextBackoff(backoff)));
        }
        continue;
      }
      if (reply) this.target.accept(reply);
    }
  }

  /**
   * Ends the read: unblocks it, or drops the connection when Redis does not answer. Entries a cut
   * read was already given stay pending under this consumer and are reclaimed after the ack wait.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    if (!this.loop) return;
    if (this.id !== undefined) await this.cmd.client('UNBLOCK', this.id).catch(noop);
    if (this.id === undefined || !(await settledWithin(this.loop, 250))) this.conn?.disconnect();
    await this.loop;
  }

  /** Closes the connection, once stopped. */
  async close(): Promise<void> {
    if (this.conn) await closeConnection(this.conn, 250);
  }
}
