/**
 * @module
 * Options of the SQLite transport, their defaults and checks, and how a
 * `sqlite://` URL names a file: `sqlite://./eventide.db` (relative to the
 * working directory), `sqlite:///var/lib/app/eventide.db` (absolute),
 * `sqlite://:memory:` (one database per process); options may follow as a
 * query: `sqlite://./eventide.db?synchronous=full&busyTimeoutMs=10000`.
 */
import { isNamespace, numberOption } from '../../core/lib/checks.js';
import { ConfigError } from '../../core/errors.js';
import type { FileOptions, Synchronous } from './shared-file.js';
import type { MessageLimits } from './messages.js';

export interface SqliteTransportOptions {
  /** The database file (created if missing), or ':memory:'. Either this or `url`. */
  path?: string;
  /** `sqlite://<path>`, as `EVENTIDE_TRANSPORT` takes it. */
  url?: string;
  /** Namespace of every row: letters, digits, '_' and '-'. Several namespaces may share one file. Default 'eventide'. */
  namespace?: string;
  /**
   * 'normal' (default): in WAL mode a commit survives a crash of the process
   * (kill -9 included); a power cut or OS crash may roll back the commits of
   * the last moments before it, never corrupt the file. 'full': the log is
   * synced at every commit, so what `send` accepted survives a power cut too,
   * at the cost of one fsync per commit. Applies to the whole file: the first
   * transport of a process to open it chooses.
   */
  synchronous?: Synchronous;
  /** How long a statement waits for another process's write lock before failing with code 'LOCKED'. Default 5000. */
  busyTimeoutMs?: number;
  /** Shortest interval between looks for other processes' changes (`PRAGMA data_version`), right after one. Default 2. */
  pollMinMs?: number;
  /** Longest interval between those looks, reached after a quiet while. Default 10. */
  pollMaxMs?: number;
  /** Messages each subject keeps for history and for groups created later (never one a group still holds). Default 10 000. */
  maxHistory?: number;
  /** How long a msgId deduplicates. Default 2 minutes. */
  dedupWindowMs?: number;
  /** Dead letters kept per namespace. Default 100 000. */
  maxDeadLetters?: number;
  /** How long a broadcast row stays for watchers to read. Default 60 000. */
  broadcastKeepMs?: number;
  /** Background failures (a consumer could not claim, a hand-back failed); they are retried. Default: written to stderr. */
  onError?: (err: Error) => void;
}

export interface ResolvedOptions {
  path: string;
  namespace: string;
  file: FileOptions;
  limits: MessageLimits;
  broadcastKeepMs: number;
  onError: (err: Error) => void;
}

const where = 'sqlite transport';
const numberKeys = ['busyTimeoutMs', 'pollMinMs', 'pollMaxMs', 'maxHistory', 'dedupWindowMs', 'maxDeadLetters', 'broadcastKeepMs'] as const;

/** The path and the options a `sqlite://` URL carries. */
export function parseUrl(url: string): SqliteTransportOptions {
  const m = /^sqlite:\/\/([^?]*)(?:\?(.*))?$/i.exec(url);
  if (!m || m[1] === '')
    throw new ConfigError(`${where}: "${url}" names no file: use sqlite://./eventide.db, sqlite:///abs/path.db or sqlite://:memory:`);
  const out: SqliteTransportOptions = { path: decodeURIComponent(m[1]) };
  for (const [key, value] of new URLSearchParams(m[2] ?? '')) {
    if (key === 'synchronous') out.synchronous = value as Synchronous;
    else if ((numberKeys as readonly string[]).includes(key)) out[key as (typeof numberKeys)[number]] = Number(value);
    else throw new ConfigError(`${where}: "${key}" in ${url} is not an option (synchronous, ${numberKeys.join(', ')})`);
  }
  return out;
}

export function resolveOptions(options: SqliteTransportOptions): ResolvedOptions {
  const merged = options.url ? { ...parseUrl(options.url), ...options } : options;
  const { path, namespace = 'eventide', synchronous = 'normal' } = merged;
  if (typeof path !== 'string' || path === '') throw new ConfigError(`${where} needs a path (a file, or ':memory:'), or a sqlite:// url`);
  if (!isNamespace(namespace))
    throw new ConfigError(`${where}: namespace must be letters, digits, '_' or '-', got ${JSON.stringify(namespace)}`);
  if (synchronous !== 'normal' && synchronous !== 'full') {
    throw new ConfigError(`${where}: synchronous must be 'normal' or 'full', got ${JSON.stringify(synchronous)}`);
  }
  const n = (name: (typeof numberKeys)[number], fallback: number) =>
    numberOption(merged[name], { name, where, fallback, unit: 'milliseconds or entries' });
  const pollMinMs = n('pollMinMs', 2);
  return {
    path,
    namespace,
    file: { busyTimeoutMs: n('busyTimeoutMs', 5_000), synchronous, pollMinMs, pollMaxMs: Math.max(pollMinMs, n('pollMaxMs', 10)) },
    limits: {
      maxHistory: n('maxHistory', 10_000),
      dedupWindowMs: n('dedupWindowMs', 120_000),
      maxDeadLetters: n('maxDeadLetters', 100_000),
    },
    broadcastKeepMs: n('broadcastKeepMs', 60_000),
    onError: merged.onError ?? ((err) => console.error(`eventide ${err.message}`)),
  };
}
