/**
 * @module
 * A runtime for a namespace seen from outside the service: it runs no
 * function (`worker: false`) and knows none of their code. Reading, sending
 * and cancelling need none; `replay` refuses a function that the runtime
 * does not have, so this one registers a stand-in per function it replays.
 * A replay only publishes the run's event, addressed to that function: the
 * service's workers of that function run it, with their current code.
 */
import { createRuntime, defineFunction, NonRetriableError, type ReplayQuery, type RunRecord, type Runtime } from '../../index.js';
import type { FunctionView, HttpRuntime } from '../http/index.js';

export interface Connection {
  transport: string;
  namespace: string;
}

/** Thrown for what the user asked that cannot be done (no such run): exit code 1. */
export class Failure extends Error {
  override readonly name = 'Failure';
}

export function openRuntime(connection: Connection, functionIds: Iterable<string> = []): Runtime {
  const functions = [...new Set(functionIds)].map((id) =>
    defineFunction({ id, trigger: { event: `eventide-cli/stand-in/${id}` } }, () => {
      // Unreachable with worker: false; said plainly should that ever change.
      throw new NonRetriableError('a stand-in of the eventide CLI never runs a function');
    }),
  );
  return createRuntime({ transport: connection.transport, namespace: connection.namespace, worker: false, functions });
}

/** Replays through a short-lived runtime that has a stand-in for each function whose runs are replayed. */
export async function replayFromOutside(connection: Connection, reader: Runtime, query: ReplayQuery): Promise<string[]> {
  let functionIds: string[];
  if (query.runIds) {
    const runs = await Promise.all(query.runIds.map((id) => reader.getRun(id)));
    functionIds = runs.map((r, i) => {
      if (!r) throw new Failure(`no run "${query.runIds?.[i]}"`);
      return r.functionId;
    });
  } else {
    if (!query.functionId) throw new Failure('replay needs a function id or run ids');
    functionIds = [query.functionId];
  }
  const replaying = openRuntime(connection, functionIds);
  try {
    return await replaying.replay(query);
  } finally {
    await replaying.stop({ timeoutMs: 1_000 });
  }
}

/**
 * What the dashboard serves from outside: the reading runtime's methods, replay through stand-ins, and
 * as functions those seen in the namespace's runs (the reading runtime has none): from a first look at
 * the newest runs, every run list the dashboard asks for, and every run-state change.
 */
export async function outsideHttpRuntime(connection: Connection, reader: Runtime): Promise<HttpRuntime> {
  const seen = new Set<string>();
  const note = (runs: RunRecord[]) => {
    for (const r of runs) seen.add(r.functionId);
    return runs;
  };
  note(await reader.listRuns({ limit: 500 }));
  reader.on('run', (change) => seen.add(change.functionId));
  return {
    send: (events) => reader.send(events),
    on: (event, listener) => reader.on(event, listener),
    watch: (listener, options) => reader.watch(listener, options),
    getRun: (id) => reader.getRun(id),
    listRuns: async (query) => note(await reader.listRuns(query)),
    listEvents: (query) => reader.listEvents(query),
    deadLetters: (query) => reader.deadLetters(query),
    cancel: (id) => reader.cancel(id),
    listFunctions: (): FunctionView[] => [...seen].sort().map((id) => ({ id })),
    replay: (query) => replayFromOutside(connection, reader, query),
  };
}
