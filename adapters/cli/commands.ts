/**
 * @module
 * The commands: each parses its own options, calls the runtime's public API,
 * and prints. `--json` prints what the HTTP API returns for the same thing.
 */
import type { RunStatus, Runtime } from '../../index.js';
import { deadLetterView, runDetail, runSummary, toJson } from '../http/views.js';
import { sinceOption, UsageError, wholeNumber, type OptionSpecs, type Values } from './args.js';
import { serveDashboard } from './dashboard.js';
import { deadLettersTable, runsTable, runText } from './format.js';
import { Failure, openRuntime, replayFromOutside, type Connection } from './outside.js';

export interface Io {
  out: { write(text: string): unknown };
  err: { write(text: string): unknown };
  env: Record<string, string | undefined>;
}

export interface CommandContext {
  values: Values;
  positionals: string[];
  io: Io;
  connection: () => Connection;
  /** Resolves on SIGINT or SIGTERM, which from then on no longer end the process at once (only the dashboard waits for it). */
  interrupted: () => Promise<unknown>;
}

export interface Command {
  summary: string;
  usage: string;
  /** Each option on a line: what it does and its default. */
  help: string;
  options: OptionSpecs;
  positionals: number;
  run(ctx: CommandContext): Promise<void>;
}

const statuses = ['pending', 'running', 'sleeping', 'retrying', 'succeeded', 'failed', 'cancelled'] as const satisfies readonly RunStatus[];

function status(values: Values, fallback?: RunStatus): RunStatus | undefined {
  const raw = values.status;
  if (raw === undefined) return fallback;
  if (!(statuses as readonly unknown[]).includes(raw)) throw new UsageError(`--status must be one of ${statuses.join(', ')}`);
  return raw as RunStatus;
}

const str = (values: Values, name: string): string | undefined => {
  const v = values[name];
  if (v === '') throw new UsageError(`--${name} needs a value`);
  return typeof v === 'string' ? v : undefined;
};

/** Opens a runtime for the namespace, gives it to `fn`, and always stops it. */
async function withRuntime<T>(ctx: CommandContext, fn: (runtime: Runtime) => Promise<T>): Promise<T> {
  const runtime = openRuntime(ctx.connection());
  try {
    return await fn(runtime);
  } finally {
    await runtime.stop({ timeoutMs: 1_000 });
  }
}

const json = (ctx: CommandContext, value: unknown) => void ctx.io.out.write(`${toJson(value)}\n`);

export const commands: Record<string, Command> = {
  dashboard: {
    summary: 'serve the dashboard and HTTP API for a namespace',
    usage: 'eventide dashboard [--port 4400] [--host 127.0.0.1] [--token <token>]',
    help: `  --port <n>       port to listen on (0: any free port); default 4400
  --host <host>    address to listen on; default 127.0.0.1
  --token <token>  bearer token for the API (at least 16 characters); default EVENTIDE_TOKEN;
                   without one, only this machine is answered (loopback host only)

Runs until interrupted. Reading runs, cancelling and replaying need none of the service's
functions: a replay is sent to the service's workers of that function, which run it.`,
    options: { port: { type: 'string' }, host: { type: 'string' }, token: { type: 'string' } },
    positionals: 0,
    run: async (ctx) =>
      serveDashboard(ctx.connection(), {
        port: wholeNumber(ctx.values, 'port', 4400, 0, 65_535),
        host: str(ctx.values, 'host') ?? '127.0.0.1',
        token: str(ctx.values, 'token') ?? (ctx.io.env.EVENTIDE_TOKEN || undefined),
        print: (line) => void ctx.io.out.write(`${line}\n`),
        closed: ctx.interrupted(),
      }),
  },

  send: {
    summary: 'send an event',
    usage: `eventide send <name> [--data '{"userId":"u1"}'] [--id <event id>] [--json]`,
    help: `  <name>           the event's name, e.g. user/created; required
  --data <json>    the event's data, as JSON; default {}
  --id <id>        the event's id: sending the same id again starts no new run; default a new id
  --json           print { "ids": [...] } instead of the id

The service's schemas are in its code, not here: data is checked only for what can travel.`,
    options: { data: { type: 'string', short: 'd' }, id: { type: 'string' }, json: { type: 'boolean' } },
    positionals: 1,
    run: async (ctx) => {
      const [name] = ctx.positionals;
      if (!name) throw new UsageError('send needs the event name, e.g. eventide send user/created');
      const raw = str(ctx.values, 'data') ?? '{}';
      let data: unknown;
      try {
        data = JSON.parse(raw);
      } catch (e) {
        throw new UsageError(`--data is not JSON: ${(e as Error).message}`);
      }
      const id = str(ctx.values, 'id');
      const { ids } = await withRuntime(ctx, (rt) => rt.send({ name, data, ...(id !== undefined ? { id } : {}) }));
      if (ctx.values.json) json(ctx, { ids });
      else ctx.io.out.write(`${ids[0]}\n`);
    },
  },

  runs: {
    summary: 'list runs, newest first',
    usage: 'eventide runs [--function <id>] [--status failed] [--limit 20] [--json]',
    help: `  --function <id>  only this function's runs; default all
  --status <s>     only runs in this state: ${statuses.join(', ')}; default all
  --limit <n>      at most this many (1–10000); default 20
  --json           print a JSON array of run summaries (as GET /runs)`,
    options: {
      function: { type: 'string', short: 'f' },
      status: { type: 'string', short: 's' },
      limit: { type: 'string' },
      json: { type: 'boolean' },
    },
    positionals: 0,
    run: async (ctx) => {
      const query = {
        functionId: str(ctx.values, 'function'),
        status: status(ctx.values),
        limit: wholeNumber(ctx.values, 'limit', 20, 1, 10_000),
      };
      const runs = (await withRuntime(ctx, (rt) => rt.listRuns(query))).map(runSummary);
      if (ctx.values.json) json(ctx, runs);
      // Naming the namespace makes a mistyped one (which is simply empty) easy to spot.
      else ctx.io.out.write(runs.length ? runsTable(runs) : `no runs in namespace "${ctx.connection().namespace}"\n`);
    },
  },

  run: {
    summary: 'show one run: status, steps, logs, error, output',
    usage: 'eventide run <run id> [--json]',
    help: `  <run id>         the run, e.g. run_3kq…; required
  --json           print the run as JSON (as GET /runs/:id)`,
    options: { json: { type: 'boolean' } },
    positionals: 1,
    run: async (ctx) => {
      const [id] = ctx.positionals;
      if (!id) throw new UsageError('run needs a run id, e.g. eventide run run_3kq…');
      const run = await withRuntime(ctx, (rt) => rt.getRun(id));
      if (!run) throw new Failure(`no run "${id}" in namespace "${ctx.connection().namespace}"`);
      if (ctx.values.json) json(ctx, runDetail(run));
      else ctx.io.out.write(runText(runDetail(run)));
    },
  },

  replay: {
    summary: "start fresh runs of a function's failed (or other) runs, after a fix",
    usage:
      'eventide replay --function <id> [--status failed] [--since 2h] [--json]\n       eventide replay --run <run id> [--run <run id> …] [--json]',
    help: `  --function <id>  replay this function's runs; required, unless --run
  --status <s>     which of its runs: ${statuses.join(', ')}; default failed
  --since <when>   only runs created since: a duration back (30m, 2h, 7d) or a date (2026-12-01T09:00Z); default all
  --run <id>       replay this run (repeatable), instead of --function
  --json           print { "ids": [...] } of the new runs

The service's workers run the replays with their current code; this command only sends them.`,
    options: {
      function: { type: 'string', short: 'f' },
      status: { type: 'string', short: 's' },
      since: { type: 'string' },
      run: { type: 'string', multiple: true },
      json: { type: 'boolean' },
    },
    positionals: 0,
    run: async (ctx) => {
      const functionId = str(ctx.values, 'function');
      const runIds = ctx.values.run as string[] | undefined;
      if (!functionId === !runIds) throw new UsageError('replay needs --function <id> or --run <run id>, not both');
      if (runIds && (ctx.values.status !== undefined || ctx.values.since !== undefined))
        throw new UsageError('--status and --since select runs of a --function; --run names them itself');
      const wanted = status(ctx.values, 'failed');
      const since = ctx.values.since === undefined ? undefined : sinceOption(String(ctx.values.since), Date.now());
      const connection = ctx.connection();
      const ids = await withRuntime(ctx, async (rt) => {
        if (runIds) return replayFromOutside(connection, rt, { runIds });
        if (since === undefined) return replayFromOutside(connection, rt, { functionId, status: wanted });
        const runs = await rt.listRuns({ functionId, status: wanted, limit: Number.MAX_SAFE_INTEGER });
        // As a replay by status does: runs already replayed are left out.
        const chosen = runs.filter((r) => r.createdAt >= since && r.replayedBy === undefined).map((r) => r.id);
        return chosen.length ? replayFromOutside(connection, rt, { runIds: chosen }) : [];
      });
      if (ctx.values.json) json(ctx, { ids });
      else if (ids.length === 0) ctx.io.out.write(`no ${runIds ? '' : `${wanted} `}runs to replay\n`);
      else
        ctx.io.out.write(`${ids.length} replay${ids.length === 1 ? '' : 's'} sent; the service's workers run them:\n${ids.join('\n')}\n`);
    },
  },

  'dead-letters': {
    summary: 'list messages the transport gave up on, newest first',
    usage: 'eventide dead-letters [--limit 20] [--json]',
    help: `  --limit <n>      at most this many (1–1000); default 20
  --json           print a JSON array (as GET /dead-letters)`,
    options: { limit: { type: 'string' }, json: { type: 'boolean' } },
    positionals: 0,
    run: async (ctx) => {
      const limit = wholeNumber(ctx.values, 'limit', 20, 1, 1_000);
      const letters = (await withRuntime(ctx, (rt) => rt.deadLetters({ limit }))).map(deadLetterView);
      if (ctx.values.json) json(ctx, letters);
      else ctx.io.out.write(letters.length ? deadLettersTable(letters) : `no dead letters in namespace "${ctx.connection().namespace}"\n`);
    },
  },
};
