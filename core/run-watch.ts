/**
 * @module
 * `runtime.watch`: the run-state changes of every process of the namespace,
 * each with a position to resume after, read from the transport's `runs`
 * channel (this runtime's own changes included, as they come back from it).
 *
 * A broadcast carries a few milliseconds of one function's changes and has
 * one position. Each change is handed on with the position that is safe to
 * resume after once it is handled: the broadcast's own for its last change,
 * the one before for the others. A watcher that stops part way through a
 * broadcast and resumes gets the rest of it again rather than losing it (at
 * least once, never a gap).
 */
import { changesOf } from './broadcast-window.js';
import type { Position, Transport, WatchOptions, Watching } from './transport.js';
import type { RunStateChange } from './types.js';

export type RunWatchListener = (change: RunStateChange, position: Position) => void;

export async function watchRuns(
  transport: Transport,
  listener: RunWatchListener,
  options: WatchOptions | undefined,
  onListenerError: (e: unknown) => void,
): Promise<Watching> {
  let before: Position | undefined = options?.after;
  const w = await transport.watch(
    'runs',
    (bytes, position) => {
      const changes = changesOf(bytes);
      const last = (changes?.length ?? 0) - 1;
      for (let i = 0; i <= last; i++) {
        try {
          listener((changes as RunStateChange[])[i], i === last ? position : (before ?? position));
        } catch (e) {
          onListenerError(e);
        }
      }
      before = position;
    },
    options,
  );
  before ??= w.position;
  return w;
}
