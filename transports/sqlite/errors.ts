/**
 * @module
 * SQLite's error codes turned into `TransportError`s whose code says what
 * the user must do: another program holds the file (`LOCKED`), it cannot be
 * written (`READ_ONLY`), opened (`CANNOT_OPEN`) or read as a database
 * (`CORRUPT`). The original error stays as the cause.
 */
import { TransportError } from '../../core/transport.js';

const byCode: [prefix: string, code: string, says: string][] = [
  ['SQLITE_BUSY', 'LOCKED', 'is locked by another connection or program (busy_timeout ran out)'],
  ['SQLITE_LOCKED', 'LOCKED', 'is locked by another connection or program'],
  [
    'SQLITE_READONLY',
    'READ_ONLY',
    'cannot be written: this process must be able to write the file, its -wal and -shm files beside it, and their directory (read-only file, directory or mount)',
  ],
  ['SQLITE_CANTOPEN', 'CANNOT_OPEN', 'cannot be opened (missing directory, a directory, or no permission)'],
  ['SQLITE_PERM', 'READ_ONLY', 'cannot be written (no permission)'],
  ['SQLITE_AUTH', 'READ_ONLY', 'cannot be written (not authorised)'],
  ['SQLITE_NOTADB', 'CORRUPT', 'is not a SQLite database (or its header is damaged)'],
  ['SQLITE_CORRUPT', 'CORRUPT', 'is corrupt (truncated or damaged); restore it from a backup'],
  ['SQLITE_FULL', 'FULL', 'cannot grow: the disk is full'],
  ['SQLITE_IOERR', 'IO', 'could not be read or written (I/O error)'],
];

/** A TransportError for `err` met while doing `what` on the file at `path`; errors that are not SQLite's pass through. */
export function sqliteError(err: unknown, path: string, what: string): Error {
  if (err instanceof TransportError) return err;
  // better-sqlite3 checks the directory itself, before SQLite has a code to give.
  if (err instanceof TypeError && err.message.startsWith('Cannot open database')) {
    return new TransportError(`sqlite transport: ${what}: ${path}: ${err.message}`, { cause: err, code: 'CANNOT_OPEN' });
  }
  const code = (err as { code?: unknown })?.code;
  if (typeof code === 'string') {
    for (const [prefix, ours, says] of byCode) {
      if (code.startsWith(prefix)) {
        return new TransportError(`sqlite transport: ${what}: ${path} ${says} [${code}]`, { cause: err, code: ours });
      }
    }
    if (code.startsWith('SQLITE_')) {
      return new TransportError(`sqlite transport: ${what}: ${(err as Error).message} [${code}]`, { cause: err, code: 'SQLITE' });
    }
  }
  return err instanceof Error ? err : new Error(String(err));
}
