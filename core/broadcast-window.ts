/**
 * @module
 * How run-state changes reach other processes. They are gathered for a few
 * milliseconds and leave as one broadcast per function, with the function as
 * its topic (on NATS: `<ns>.runs.<functionId>`): a broadcast per change (or
 * per tick) cost a publish each, and, sent the moment a run ends, competed
 * with the next event's delivery for the event loop. Each broadcast starts
 * with this runtime's origin mark, so its own come back through `watch` and
 * are skipped without being decoded.
 */
import { decode } from './codec/msgpack.js';
import { writeValue } from './codec/msgpack-writer.js';
import { newEventId } from './ids.js';
import type { Transport } from './transport.js';
import type { RunStateChange } from './types.js';

/** How long run-state changes gather before one broadcast carries them. */
export const BROADCAST_WINDOW_MS = 5;

/** Each broadcast starts with its runtime's origin mark, this long. */
const ORIGIN_BYTES = 16;

export class BroadcastWindow {
  private readonly origin = Buffer.from(newEventId().slice(-ORIGIN_BYTES), 'latin1');
  private readonly outbox: RunStateChange[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    /** The transport to broadcast on, while there is one. */
    private readonly transport: () => Transport | undefined,
    private readonly onError: (e: unknown) => void,
  ) {}

  /** Queues a change; the first of a window arms the window's timer. */
  push(change: RunStateChange): void {
    if (this.outbox.push(change) === 1) {
      this.timer = setTimeout(this.flush, BROADCAST_WINDOW_MS);
      this.timer.unref?.();
    }
  }

  /** Sends what the window holds now, one broadcast per function. */
  readonly flush = (): void => {
    clearTimeout(this.timer);
    this.timer = undefined;
    const changes = this.outbox.splice(0);
    const transport = this.transport();
    if (!transport || changes.length === 0) return;
    const byFunction = new Map<string, RunStateChange[]>();
    for (const c of changes) {
      const list = byFunction.get(c.functionId);
      if (list) list.push(c);
      else byFunction.set(c.functionId, [c]);
    }
    for (const [functionId, list] of byFunction) {
      transport.broadcast('runs', Buffer.concat([this.origin, writeValue(list)]), functionId).catch(this.onError);
    }
  };

  /** The changes a broadcast from another runtime carries; `undefined` for this runtime's own and for anything malformed. */
  received(bytes: Uint8Array): RunStateChange[] | undefined {
    const origin = this.origin;
    if (bytes.length <= origin.length || Buffer.compare(origin, bytes.subarray(0, origin.length)) === 0) return undefined;
    return changesOf(bytes);
  }
}

/** The changes any runtime's broadcast carries (its origin mark skipped); `undefined` for anything malformed. */
export function changesOf(bytes: Uint8Array): RunStateChange[] | undefined {
  if (bytes.length <= ORIGIN_BYTES) return undefined;
  let changes: unknown;
  try {
    changes = decode(bytes.subarray(ORIGIN_BYTES));
  } catch {
    return undefined; // a malformed broadcast is not ours to fail over
  }
  return Array.isArray(changes) ? (changes as RunStateChange[]) : undefined;
}
